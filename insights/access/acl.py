"""The POSIX ACLs access.yaml asks for on the lake's directories, and the ACL strings ADLS Gen2 speaks.

Each table directory a principal may read whole (schemas/table_access.py) gets `r-x` for it, as an
access entry and a default entry (files written later inherit it), set recursively. Its parent
directories up to the container get `--x` (traverse only) for everyone with a table below.
Entries are `[default:]user|group:<object id>:<permissions>`, as x-ms-acl carries them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.access import AccessFile
from schemas.catalog import catalog
from schemas.permissions import permissions_for
from schemas.table_access import table_refusal
from schemas.workspace import Workspace

READ, TRAVERSE = "r-x", "--x"
Scope = Literal["access", "default"]


@dataclass(frozen=True, order=True)
class AclEntry:
    """One ACL entry: scope, type (user, group, mask, other), qualifier (an object ID or empty), permissions."""

    scope: Scope
    kind: str
    qualifier: str
    permissions: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies the entry, whatever its permissions."""
        return self.scope, self.kind, self.qualifier

    def __str__(self) -> str:
        prefix = "default:" if self.scope == "default" else ""
        return f"{prefix}{self.kind}:{self.qualifier}" + (f":{self.permissions}" if self.permissions else "")

    def without_permissions(self) -> str:
        """The entry as a removal names it ([default:]type:id)."""
        return str(AclEntry(self.scope, self.kind, self.qualifier))


def parse_acl(text: str) -> list[AclEntry]:
    """x-ms-acl's comma-separated entries as AclEntry objects."""
    entries = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        fields = part.split(":")
        scope: Scope = "default" if fields[0] == "default" else "access"
        fields = fields[1:] if scope == "default" else fields
        if len(fields) != 3:
            raise ValueError(f"not an ACL entry: '{part}' (expected [default:]type:id:permissions)")
        entries.append(AclEntry(scope, fields[0], fields[1], fields[2]))
    return entries


@dataclass(frozen=True)
class DirectoryAcl:
    """The named entries access.yaml wants on one directory, and why a listed principal gets none."""

    path: str  # under the container
    entries: tuple[AclEntry, ...]
    recursive: bool  # a table: its files too; a parent: the directory alone
    withheld: tuple[tuple[str, str], ...] = ()  # (object ID, why it may not read the table)


def _entries(access: AccessFile, object_id: str, permissions: str, default: bool) -> list[AclEntry]:
    kind = "group" if access.principals[object_id].kind == "group" else "user"
    scopes: list[Scope] = ["access", "default"] if default else ["access"]
    return [AclEntry(scope, kind, object_id, permissions) for scope in scopes]


def desired_acls(workspace: Workspace, prefix: str) -> list[DirectoryAcl]:
    """The ACL of every table directory of the catalogue under prefix, and of each parent up to the container."""
    access = workspace.access
    if access is None:
        raise ValueError("the workspace has no access.yaml: there is nothing to turn into ACLs")
    allowed = {oid: permissions_for(workspace, oid) for oid in access.principals}
    tables, below = [], {}
    for table in catalog(workspace):
        path = "/".join(p for p in (prefix.strip("/"), table.key) if p)
        refusals = {oid: table_refusal(table, permissions, workspace) for oid, permissions in allowed.items()}
        readers = sorted(oid for oid, why in refusals.items() if why is None)
        entries = [e for oid in readers for e in _entries(access, oid, READ, default=True)]
        withheld = tuple(sorted((oid, why) for oid, why in refusals.items() if why is not None))
        tables.append(DirectoryAcl(path, tuple(sorted(entries)), True, withheld))
        parts = path.split("/")
        for depth in range(len(parts)):
            below.setdefault("/".join(parts[:depth]), set()).update(readers)
    parents = [DirectoryAcl(path, tuple(sorted(e for oid in sorted(oids) for e in _entries(access, oid, TRAVERSE, False))),
                            False) for path, oids in sorted(below.items())]
    return parents + tables
