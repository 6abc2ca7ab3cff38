"""Where an export goes: an ADLS Gen2 (DFS) or Blob URI parsed into account, container and folder, and its store.

`abfss://<container>@<account>.dfs.core.windows.net/<folder>` writes through azure-storage-file-datalake
(publish = one directory rename). `https://<account>.blob.core.windows.net/<container>/<folder>` writes
through azure-storage-blob (publish = copy, manifest last); a loopback host (Azurite) names the account
in the path: `http://127.0.0.1:10000/devstoreaccount1/<container>/<folder>`. Credentials: the one given,
else AZURE_STORAGE_CONNECTION_STRING, else DefaultAzureCredential (AZURE_CLIENT_ID, ... , managed identity).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

from jobs.export.store import ExportStore
from schemas.tables import abfss_parts

CONNECTION_STRING = "AZURE_STORAGE_CONNECTION_STRING"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Destination:
    """An export destination: the endpoint kind, the account's URL, the container and the folder in it."""

    kind: Literal["dfs", "blob"]
    account_url: str
    container: str
    folder: str

    @classmethod
    def parse(cls, uri: str) -> Destination:
        """The destination a URI names, or ValueError saying which forms are accepted."""
        dfs = abfss_parts(uri)
        if dfs is not None:
            return cls("dfs", *dfs)
        parsed = urlparse(uri)
        parts = [p for p in parsed.path.split("/") if p]
        if parsed.scheme in ("http", "https") and parsed.hostname:
            path_style = parsed.hostname in LOOPBACK or parsed.netloc.split(":")[0] in LOOPBACK
            account, parts = ([f"/{parts[0]}"], parts[1:]) if path_style and parts else ([""], parts)
            if parts:
                return cls("blob", f"{parsed.scheme}://{parsed.netloc}{account[0]}", parts[0], "/".join(parts[1:]))
        raise ValueError(f"--to '{uri}': give abfss://<container>@<account>.dfs.core.windows.net/<folder> or "
                         "https://<account>.blob.core.windows.net/<container>/<folder>")

    @property
    def uri(self) -> str:
        """The destination spelt back, without credentials."""
        if self.kind == "dfs":
            return f"abfss://{self.container}@{urlparse(self.account_url).netloc}/{self.folder}".rstrip("/")
        return f"{self.account_url}/{self.container}/{self.folder}".rstrip("/")


def _credential(credential: Any) -> Any:
    if credential is not None:
        return credential
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def open_store(destination: Destination, credential: Any = None, **client_options: Any) -> ExportStore:
    """The container's store for this destination (client_options: e.g. an azure-core transport in tests)."""
    connection = os.environ.get(CONNECTION_STRING) if credential is None else None
    if destination.kind == "blob":
        from azure.storage.blob import BlobServiceClient

        from jobs.export.blob_store import BlobStore

        service = (BlobServiceClient.from_connection_string(connection, **client_options) if connection else
                   BlobServiceClient(destination.account_url, credential=_credential(credential), **client_options))
        return BlobStore(service.get_container_client(destination.container))
    from azure.storage.filedatalake import DataLakeServiceClient

    from jobs.export.dfs_store import DfsStore

    service = (DataLakeServiceClient.from_connection_string(connection, **client_options) if connection else
               DataLakeServiceClient(destination.account_url, credential=_credential(credential), **client_options))
    return DfsStore(service.get_file_system_client(destination.container))
