"""The lake's directories in ADLS Gen2 through azure-storage-file-datalake: read ACLs, change them.

The client authenticates with DefaultAzureCredential (AZURE_CLIENT_ID, AZURE_TENANT_ID,
AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, a managed identity, `az login`); tests inject
a credential and an azure-core transport instead, so every request can be checked offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.filedatalake import DataLakeServiceClient, FileSystemClient

from insights.access.acl import AclEntry, desired_acls, parse_acl
from insights.access.acl_plan import DirectoryChange, plan_change
from schemas.tables import abfss_parts
from schemas.workspace import Workspace


@dataclass(frozen=True)
class LakeLocation:
    """An abfss:// lake root: the account's DFS endpoint, the container (file system) and the folder in it."""

    account_url: str
    container: str
    prefix: str

    @classmethod
    def parse(cls, root: str) -> LakeLocation:
        """abfss://<container>@<account>.dfs.core.windows.net/<folder>, or ValueError saying what is expected."""
        parts = abfss_parts(root)
        if parts is None:
            raise ValueError(f"'{root}' is not an ADLS Gen2 lake root: ACLs need "
                             "abfss://<container>@<account>.dfs.core.windows.net/<folder>")
        return cls(*parts)


class AclChangeFailed(RuntimeError):
    """ADLS reported paths whose ACL it could not change; the continuation token resumes the change."""


def file_system(location: LakeLocation, credential: Any = None, **client_options: Any) -> FileSystemClient:
    """The container's client: DefaultAzureCredential unless a credential is given (client_options: e.g. transport)."""
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    service = DataLakeServiceClient(location.account_url, credential=credential, **client_options)
    return service.get_file_system_client(location.container)


def actual_acl(client: FileSystemClient, path: str) -> list[AclEntry] | None:
    """The directory's ACL as get_access_control reads it (object IDs, not names), None if it does not exist."""
    try:
        control = client.get_directory_client(path or "/").get_access_control(upn=False)
    except ResourceNotFoundError:
        return None
    return parse_acl(control.get("acl") or "")


def apply_change(client: FileSystemClient, change: DirectoryChange) -> int:
    """Make one directory's change: recursive modify and remove for a table, one set for a parent; paths changed."""
    directory = client.get_directory_client(change.desired.path or "/")
    if not change.desired.recursive:
        directory.set_access_control(acl=change.merged())
        return 1
    changed = 0
    for entries, method, spelt in ((change.grant, directory.update_access_control_recursive, str),  # mode=modify
                                   (change.revoke, directory.remove_access_control_recursive,  # mode=remove
                                    AclEntry.without_permissions)):
        if not entries:
            continue
        result = method(acl=",".join(spelt(e) for e in entries))
        counters = result.counters
        if counters.failure_count:
            raise AclChangeFailed(f"{change.desired.path}: {counters.failure_count} paths kept their ACL; resume with "
                                  f"continuation token {result.continuation}")
        changed += counters.directories_successful + counters.files_successful
    return changed


def plan_lake(workspace: Workspace, client: FileSystemClient, prefix: str) -> list[DirectoryChange]:
    """Every directory's change, from access.yaml's desired ACLs and each directory's actual one."""
    managed = set(workspace.access.principals) if workspace.access else set()
    return [plan_change(d, actual_acl(client, d.path), managed) for d in desired_acls(workspace, prefix)]
