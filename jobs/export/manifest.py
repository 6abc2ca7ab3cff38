"""What an export wrote, as JSON in the container: one record per staged table, and the manifest readers trust.

Layout under the destination folder (`<id>` hashes the export's name, format, principal, masks and each
table's Delta version, so a re-run of the same export finds its own staging):

    _staging/<id>/_export.json       which export started this staging, and when (stale staging: jobs/export/stale.py)
    _staging/<id>/<table>/...        files being written (never read by anyone)
    _staging/<id>/_tables/<table>.json  written after the table's last file: the table is complete
    <id>/<table>/...                 published files
    <id>/_manifest.json              written last: the export exists once this is there
    _latest.json                     the newest published export's id and manifest path
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict

MANIFEST = "_manifest.json"
LATEST = "_latest.json"
STAGING = "_staging"
STAGING_RECORD = "_export.json"
TABLE_RECORDS = "_tables"


class Record(BaseModel):
    """Base of the JSON records: strict about keys, so a damaged record is noticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(indent=2).encode("utf-8")


class ExportedFile(Record):
    """One file of a table: its path under the table's folder, size in bytes and SHA-256."""

    name: str
    size: int
    sha256: str


class ExportedTable(Record):
    """One table as exported: catalogue key, the Delta version read, rows, its files and the masks applied."""

    table: str
    folder: str  # under the export's folder
    delta_version: int
    rows: int
    files: list[ExportedFile]
    masked_columns: dict[str, str]  # column (or column.field) -> hash | null


class Grants(Record):
    """Whom the export read as and what that applied: the role, and every mask (column -> hash or null)."""

    principal: str | None
    role: str
    admin: bool
    masks: dict[str, str]


class Manifest(Record):
    """The export readers may trust: every table, its version, rows, files with checksums, and the grants."""

    export: str
    export_id: str
    format: str
    destination: str
    exported_at: datetime
    grants: Grants
    tables: list[ExportedTable]


class Staging(Record):
    """Written when an export starts staging: whose staging this is, so a later export may judge it stale."""

    export: str
    export_id: str
    started_at: datetime


class Latest(Record):
    """Where the newest published export of this destination is."""

    export_id: str
    manifest: str


def export_id(name: str, fmt: str, versions: dict[str, int], grants: Grants) -> str:
    """The same export of the same table versions with the same grants has the same id (resumable, idempotent)."""
    text = json.dumps({"name": name, "format": fmt, "versions": versions, "grants": grants.model_dump()},
                      sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def join(*parts: str) -> str:
    """A container path from folder parts (empty ones skipped)."""
    return "/".join(p.strip("/") for p in parts if p.strip("/"))
