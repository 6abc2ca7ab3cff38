"""A user-delegation SAS for one table directory, never granting more than the principal's role allows.

What is asked is checked first, without network: the path must be a catalogue table, the role must
be able to read it whole (schemas/table_access.py), the permissions at most read and list (a role
grants reading; writes are the pipeline's), the lifetime at most 7 days (a user delegation key's
limit). The SAS is then signed with a user delegation key of the identity running the command and,
for a user or service principal, names it as `suoid`, so ADLS also checks that principal's ACLs.
An account without hierarchical namespace (a Blob account, Azurite) has no directory SAS (sr=d): `sign_blobs`
signs one SAS per blob under the directory (sr=b) with the same key, permissions and validity instead;
`sign_version_files` (`insights access sas --per-file`) one per file of the table's current Delta version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import pyarrow as pa
from azure.storage.blob import BlobServiceClient, generate_blob_sas
from azure.storage.filedatalake import DataLakeServiceClient, generate_directory_sas

from insights.access.lake_storage import LakeLocation
from schemas.catalog import by_key
from schemas.permissions import AccessDenied, Permissions
from schemas.table_access import table_refusal
from schemas.workspace import Workspace

if TYPE_CHECKING:
    from deltalake import DeltaTable

READ_PERMISSIONS = "rl"  # read and list: what a grant in access.yaml can mean for files
SAS_ORDER = "racwdlmeop"  # the order ADLS wants the letters in
MAX_LIFETIME = timedelta(days=7)
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class SasRequest:
    """A SAS the principal may have: the table, its directory in the container, permissions, validity."""

    table: str
    directory: str
    permissions: str
    start: datetime
    expiry: datetime
    agent: str | None  # the object ID ADLS checks ACLs for (users and service principals)


def lifetime(text: str) -> timedelta:
    """'30m', '1h', '7d' as a timedelta, at most 7 days, or ValueError saying what is accepted."""
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if not match or int(match[1]) == 0:
        raise ValueError(f"--expires '{text}': give minutes, hours or days, like 30m, 1h or 7d")
    span = timedelta(**{UNITS[match[2]]: int(match[1])})
    if span > MAX_LIFETIME:
        raise ValueError(f"--expires '{text}': a user-delegation SAS lives at most 7 days")
    return span


def sas_request(workspace: Workspace, allowed: Permissions, path: str, permissions: str, expires: str,
                prefix: str = "", now: datetime | None = None) -> SasRequest:
    """What would be signed, or AccessDenied / ValueError naming what is refused and why."""
    tables = by_key(workspace)
    key = path.strip("/")
    if key not in tables:
        raise ValueError(f"--path '{path}' is not a table of the catalogue (e.g. {', '.join(sorted(tables)[-3:])})")
    extra = sorted(set(permissions) - set(READ_PERMISSIONS), key=SAS_ORDER.find)
    unknown = sorted(set(permissions) - set(SAS_ORDER))
    if unknown or not permissions:
        raise ValueError(f"--permissions '{permissions}': use letters of {SAS_ORDER}")
    if extra:
        raise AccessDenied(f"{allowed.who} may be given at most '{READ_PERMISSIONS}' (read, list): access.yaml "
                           f"grants reading, so '{''.join(extra)}' is refused")
    why = table_refusal(tables[key], allowed, workspace)
    if why is not None:
        raise AccessDenied(f"{allowed.who} may not read {key} as files: {why}")
    start = (now or datetime.now(UTC)).replace(microsecond=0) - timedelta(minutes=5)  # clock skew
    access = workspace.access
    listed = access.principals.get(allowed.principal or "") if access else None
    member = allowed.via_group is not None  # a user or service principal with its role through a group
    agent = allowed.principal if member or (listed is not None and listed.kind != "group") else None
    order = "".join(sorted(set(permissions), key=SAS_ORDER.find))
    directory = "/".join(p for p in (prefix.strip("/"), key) if p)
    return SasRequest(key, directory, order, start, start + timedelta(minutes=5) + lifetime(expires), agent)


def _default_credential(credential: Any) -> Any:
    """The given credential, else DefaultAzureCredential: a user delegation key needs an Entra identity."""
    if credential is not None:
        return credential
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def sign(request: SasRequest, location: LakeLocation, credential: Any = None, sts_hook: Any = None,
         **client_options: Any) -> str:
    """The SAS URL of the directory: a user delegation key for the request's validity, then the signature.

    sts_hook, if given, receives the string that was signed (tests recompute the signature from it).
    """
    service = DataLakeServiceClient(location.account_url, credential=_default_credential(credential), **client_options)
    key = service.get_user_delegation_key(request.start, request.expiry)
    token = generate_directory_sas(service.account_name, location.container, request.directory, key,
                                   permission=request.permissions, expiry=request.expiry, start=request.start,
                                   protocol="https", agent_object_id=request.agent, sts_hook=sts_hook)
    return f"{location.account_url}/{location.container}/{request.directory}?{token}"


def _signed_each(service: BlobServiceClient, request: SasRequest, account_url: str, container: str,
                 names: list[str]) -> dict[str, str]:
    """name -> its own SAS URL (sr=b), read only (a blob cannot be listed), with one user delegation key."""
    key = service.get_user_delegation_key(request.start, request.expiry)
    permission = request.permissions.replace("l", "")
    base = account_url.rstrip("/")
    return {name: f"{base}/{container}/{quote(name)}?" + generate_blob_sas(
        service.account_name, container, name, user_delegation_key=key, permission=permission, expiry=request.expiry,
        start=request.start, protocol="https") for name in names}


def sign_blobs(request: SasRequest, account_url: str, container: str, credential: Any = None,
               **client_options: Any) -> dict[str, str]:
    """Each blob under the directory with its own SAS URL (sr=b): a directory's files where sr=d does not exist.

    It covers the blobs there now, read only: a blob cannot be listed. No suoid: a Blob account has no ACLs to
    check it against.
    """
    service = BlobServiceClient(account_url, credential=_default_credential(credential), **client_options)
    names = [b.name for b in service.get_container_client(container).list_blobs(name_starts_with=request.directory + "/")]
    return _signed_each(service, request, account_url, container, names)


def log_version(name: str) -> int | None:
    """The version a `_delta_log/` file belongs to (commit, checkpoint, checksum), None for anything else."""
    number = name.rsplit("/", 1)[-1].split(".", 1)[0]
    return int(number) if len(number) == 20 and number.isdigit() else None


def version_files(table: DeltaTable, directory: str, listed: list[str]) -> list[str]:
    """The blobs a reader needs for the table's current version: its data files, and its log up to that version.

    listed: the blob names under `<directory>/_delta_log/`. Files an overwrite or delete removed, not vacuumed
    yet, and later commits are left out.
    """
    version = table.version()
    paths = pa.table(table.get_add_actions(flatten=True)).column("path").to_pylist()
    data = [f"{directory}/{unquote(p)}" for p in paths]
    log = [n for n in listed if (v := log_version(n)) is not None and v <= version]
    return sorted(log) + sorted(data)


def sign_version_files(request: SasRequest, account_url: str, container: str, table: DeltaTable,
                       credential: Any = None, **client_options: Any) -> dict[str, str]:
    """`--per-file`: one SAS URL (sr=b) per file of the table's current Delta version, for endpoints without sr=d."""
    service = BlobServiceClient(account_url, credential=_default_credential(credential), **client_options)
    log = [b.name for b in service.get_container_client(container).list_blobs(
        name_starts_with=f"{request.directory}/_delta_log/")]
    return _signed_each(service, request, account_url, container, version_files(table, request.directory, log))
