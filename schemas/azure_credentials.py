"""How this deployment authenticates to ADLS Gen2, from the variables azure-identity reads, secrets kept secret.

One typed value serves every client: Spark's hadoop-azure settings (jobs/abfs.py), delta-rs storage
options (jobs/delta_rs.py) and the azure-storage clients (token_credential), so the lake
is reached the same way whichever engine reads it. Secrets are SecretStr: they print as '**********'.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from schemas.redaction import redact_uri

DEFAULT_AUTHORITY = "https://login.microsoftonline.com/"

# Each field and the variable it is read from: azure-identity's names, plus the SAS token (as the az CLI
# and delta-rs' object_store name it) and our choice of method.
AZURE_VARIABLES = {
    "method": "INSIGHTS_AZURE_AUTH",
    "client_id": "AZURE_CLIENT_ID",
    "tenant_id": "AZURE_TENANT_ID",
    "client_secret": "AZURE_CLIENT_SECRET",
    "federated_token_file": "AZURE_FEDERATED_TOKEN_FILE",
    "authority_host": "AZURE_AUTHORITY_HOST",
    "sas_token": "AZURE_STORAGE_SAS_TOKEN",
}


class AuthMethod(StrEnum):
    """The ways the lake can be reached; inferred in DefaultAzureCredential's order unless INSIGHTS_AZURE_AUTH says."""

    SERVICE_PRINCIPAL = "service_principal"
    WORKLOAD_IDENTITY = "workload_identity"
    MANAGED_IDENTITY = "managed_identity"
    SAS = "sas"


# What each method cannot work without (managed identity: an optional client ID picks a user-assigned one).
REQUIRED = {
    AuthMethod.SERVICE_PRINCIPAL: ("client_id", "tenant_id", "client_secret"),
    AuthMethod.WORKLOAD_IDENTITY: ("client_id", "tenant_id", "federated_token_file"),
    AuthMethod.MANAGED_IDENTITY: (),
    AuthMethod.SAS: ("sas_token",),
}


class AbfssRoot(BaseModel):
    """An abfss:// URI split as ADLS Gen2 names it: the container (file system), the account's host, the folder."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, hide_input_in_errors=True)

    container: str
    host: str = Field(description="<account>.dfs.core.windows.net, the key hadoop-azure's per-account settings end in")
    folder: str

    @classmethod
    def parse(cls, uri: str) -> AbfssRoot:
        """abfss://<container>@<account>.dfs.core.windows.net/<folder>, or ValueError saying what is expected."""
        parsed = urlparse(uri)
        if parsed.scheme not in ("abfss", "abfs") or "@" not in parsed.netloc or parsed.query:
            raise ValueError(f"'{redact_uri(uri)}' is not an ADLS Gen2 location: expected "
                             "abfss://<container>@<account>.dfs.core.windows.net/<folder> (no query string)")
        container, host = parsed.netloc.split("@", 1)
        return cls(container=container, host=host, folder=parsed.path.strip("/"))

    @property
    def account(self) -> str:
        """The storage account's name (the host's first label)."""
        return self.host.split(".", 1)[0]


class AzureCredentials(BaseModel):
    """One authentication method and what it needs; each missing value is named by its variable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, hide_input_in_errors=True)

    method: AuthMethod
    client_id: str | None = None
    tenant_id: str | None = None
    client_secret: SecretStr | None = None
    federated_token_file: str | None = None
    authority_host: str = DEFAULT_AUTHORITY
    sas_token: SecretStr | None = None

    @model_validator(mode="after")
    def _complete(self) -> AzureCredentials:
        missing = [AZURE_VARIABLES[f] for f in REQUIRED[self.method] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"authentication '{self.method}' needs {', '.join(missing)} to be set")
        return self

    @property
    def authority(self) -> str:
        """The authority host with one trailing slash (hadoop-azure and token URLs append to it)."""
        return self.authority_host.rstrip("/") + "/"

    def token_credential(self) -> Any:
        """What azure-storage clients take: the SAS token, else DefaultAzureCredential on the chosen identity only.

        It reads the same variables; the identities not chosen are left out so it cannot pick another one than
        Spark does (developer sign-ins such as `az login` stay, after it).
        """
        if self.method is AuthMethod.SAS and self.sas_token is not None:
            return self.sas_token.get_secret_value()
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential(
            exclude_environment_credential=self.method is not AuthMethod.SERVICE_PRINCIPAL,
            exclude_workload_identity_credential=self.method is not AuthMethod.WORKLOAD_IDENTITY,
            exclude_managed_identity_credential=self.method is not AuthMethod.MANAGED_IDENTITY,
        )


def infer_method(values: Mapping[str, str]) -> AuthMethod:
    """The method the variables set up: SAS token, service principal, workload identity, else managed identity."""
    if values.get("sas_token"):
        return AuthMethod.SAS
    if values.get("client_secret"):
        return AuthMethod.SERVICE_PRINCIPAL
    if values.get("federated_token_file"):
        return AuthMethod.WORKLOAD_IDENTITY
    return AuthMethod.MANAGED_IDENTITY


def credentials_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """The credential fields the environment sets (empty variables count as unset), the method inferred if not named."""
    values: dict[str, Any] = {f: environ[v] for f, v in AZURE_VARIABLES.items() if environ.get(v)}
    if "method" in values:
        known = [m.value for m in AuthMethod]
        if values["method"] not in known:
            raise ValueError(f"INSIGHTS_AZURE_AUTH: '{values['method']}' is not a method (known: {known})")
        values["method"] = AuthMethod(values["method"])
    else:
        values["method"] = infer_method(values)
    chosen = set(REQUIRED[values["method"]]) | {"method", "authority_host"}
    if values["method"] is AuthMethod.MANAGED_IDENTITY:
        chosen.add("client_id")
    elif values["method"] is not AuthMethod.SAS:
        chosen |= {"client_id", "tenant_id"}
    return {f: v for f, v in values.items() if f in chosen}


def object_store_options(root: AbfssRoot, credentials: AzureCredentials) -> dict[str, str]:
    """delta-rs storage_options (object_store's azure keys) for the account, by the same method as Spark.

    Complete options stop delta-rs from mixing in other AZURE_* variables (crates/azure/src/config.rs).
    """
    options = {"azure_storage_account_name": root.account}
    if credentials.client_id:
        options["azure_client_id"] = credentials.client_id
    if credentials.method in (AuthMethod.SERVICE_PRINCIPAL, AuthMethod.WORKLOAD_IDENTITY):
        options["azure_tenant_id"] = str(credentials.tenant_id)
        if credentials.authority != DEFAULT_AUTHORITY:
            options["azure_authority_host"] = credentials.authority.rstrip("/")
    if credentials.client_secret is not None:
        options["azure_client_secret"] = credentials.client_secret.get_secret_value()
    if credentials.federated_token_file:
        options["azure_federated_token_file"] = credentials.federated_token_file
    if credentials.sas_token is not None:
        options["azure_storage_sas_key"] = credentials.sas_token.get_secret_value()
    return options
