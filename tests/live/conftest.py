"""The live suite's account: skipped, naming the missing variables, unless AZURE_STORAGE_ACCOUNT and credentials are set.

Credentials are read as every client reads them (schemas/environment.py's azure_credentials), but a SAS is not
enough: ACLs and user delegation keys need an Entra identity. Each session writes under a folder of its own
(`live-<random>`) in INSIGHTS_LIVE_CONTAINER (default `insights-live`), deleted at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.azure_credentials import AuthMethod, AzureCredentials, credentials_values

ACCOUNT_VARIABLE = "AZURE_STORAGE_ACCOUNT"
CONTAINER_VARIABLE = "INSIGHTS_LIVE_CONTAINER"
IDENTITY_VARIABLES = ("AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE "
                      "instead of the secret, or INSIGHTS_AZURE_AUTH=managed_identity)")


def missing_variables(environ: Mapping[str, str]) -> list[str]:
    """What the live suite still needs from the environment, spelt as variables; empty when it can run."""
    missing = [] if environ.get(ACCOUNT_VARIABLE) else [ACCOUNT_VARIABLE]
    try:
        values = credentials_values(environ)
    except ValueError as exc:
        return [*missing, str(exc)]
    if values["method"] is AuthMethod.SAS:
        return [*missing, f"an Entra identity, not AZURE_STORAGE_SAS_TOKEN: {IDENTITY_VARIABLES}"]
    if values["method"] is AuthMethod.MANAGED_IDENTITY and "INSIGHTS_AZURE_AUTH" not in environ:
        return [*missing, IDENTITY_VARIABLES]
    try:
        AzureCredentials(**values)
    except ValidationError as exc:
        return [*missing, *(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())]
    return missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Live tests skip with the missing variables; the pipeline run only when selected with -m live_pipeline."""
    missing = missing_variables(os.environ)
    selected = "live_pipeline" in (config.option.markexpr or "")
    for item in items:
        if item.get_closest_marker("live") and missing:
            item.add_marker(pytest.mark.skip(reason="live suite needs " + "; ".join(missing)))
        elif item.get_closest_marker("live_pipeline") and not selected:
            item.add_marker(pytest.mark.skip(reason="the full pipeline on abfss runs only with -m live_pipeline "
                                                    "(make test-live-pipeline: about 15 minutes of Spark)"))


@dataclass(frozen=True)
class LiveAccount:
    """The account, the container, this session's folder in it, and the identity the tests act as."""

    account: str
    container: str
    folder: str
    credentials: AzureCredentials
    credential: Any  # what the azure-storage clients take (DefaultAzureCredential on the chosen identity)

    @property
    def dfs_url(self) -> str:
        return f"https://{self.account}.dfs.core.windows.net"

    def abfss(self, path: str = "") -> str:
        """abfss://<container>@<account>.dfs.core.windows.net/<session folder>/<path>."""
        return f"abfss://{self.container}@{self.account}.dfs.core.windows.net/{self.folder}/{path}".rstrip("/")

    def file_system(self) -> Any:
        from azure.storage.filedatalake import DataLakeServiceClient

        return DataLakeServiceClient(self.dfs_url, credential=self.credential).get_file_system_client(self.container)


@pytest.fixture(scope="session")
def live() -> Iterator[LiveAccount]:
    """This session's folder in the live container (created if missing), removed afterwards."""
    from schemas.environment import azure_credentials

    credentials = azure_credentials()
    account = LiveAccount(os.environ[ACCOUNT_VARIABLE], os.environ.get(CONTAINER_VARIABLE, "insights-live"),
                          f"live-{uuid.uuid4().hex[:12]}", credentials, credentials.token_credential())
    client = account.file_system()
    if not client.exists():
        client.create_file_system()
    client.create_directory(account.folder)
    yield account
    client.get_directory_client(account.folder).delete_directory()
