"""Where each table lives under the lake root and the columns every layer shares.

A table's lake path, its Dagster asset key and its job module say the same thing:
`<lake>/silver/customer` is asset `silver/customer`, written by `jobs/silver.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

BRONZE, SILVER, GOLD, QUARANTINE, META = "bronze", "silver", "gold", "quarantine", "meta"

# Ingestion columns added to every bronze row.
SOURCE_COL = "_source"
FILE_COL = "_file"
BATCH_COL = "_batch_id"
INGESTED_AT_COL = "_ingested_at"
INGESTION_COLUMNS = (SOURCE_COL, FILE_COL, BATCH_COL, INGESTED_AT_COL)

# Quarantine columns besides the ingestion columns.
RAW_COL = "_raw"
REASON_COL = "_reason"

# Silver key and bookkeeping columns.
RECORD_ID = "record_id"
SOURCE_KEY = "source_key"
SOURCE = "source"
ROW_HASH = "_row_hash"
UPDATED_AT = "_updated_at"
# Silver's trace of values it could not normalise: array<struct<attribute, reason>>, null when none
# (the raw value stays in bronze; the reasons are schemas/formats' ISSUE_REASONS).
ISSUES_COL = "_issues"
ISSUE_ATTRIBUTE, ISSUE_REASON = "attribute", "reason"
KEY_SEPARATOR = "|"

def link_column(role: str) -> str:
    """Silver column holding the record_id of the profile in that role."""
    return f"{role}_record_id"


@dataclass(frozen=True)
class Lake:
    """The lake root (local path or abfss:// URI) and the path of every table under it."""

    root: str

    def path(self, layer: str, name: str) -> str:
        return f"{self.root.rstrip('/')}/{layer}/{name}"

    def bronze(self, source: str) -> str:
        return self.path(BRONZE, source)

    def quarantine(self, source: str) -> str:
        return self.path(QUARANTINE, source)

    def silver(self, type_name: str) -> str:
        return self.path(SILVER, type_name)

    def gold(self, name: str) -> str:
        return self.path(GOLD, name)

    def meta(self, name: str) -> str:
        return self.path(META, name)

    def name_of(self, path: str) -> str | None:
        """A table's name under the root, '<layer>/<name>' as the catalogue names it; None when not under it.

        The name, not the path, is what a record of what a table was built from keeps: it stays
        the same when the lake is moved, copied or read through another URI.
        """
        root = self.root.rstrip("/") + "/"
        if not path.startswith(root):
            return None
        return path[len(root):].strip("/") or None

    @property
    def is_local(self) -> bool:
        return "://" not in self.root or self.root.startswith("file://")


def abfss_parts(uri: str) -> tuple[str, str, str] | None:
    """abfss://<container>@<account host>/<folder> as (https://<account host>, container, folder); None otherwise."""
    from urllib.parse import urlparse

    parsed = urlparse(uri)
    if parsed.scheme not in ("abfss", "abfs") or "@" not in parsed.netloc:
        return None
    container, host = parsed.netloc.split("@", 1)
    return f"https://{host}", container, parsed.path.strip("/")


# The customer a record or interaction belongs to (identity resolution's stable ID).
CUSTOMER_ID = "customer_id"

# Data quality and privacy (issue 6).
FORGET_REQUESTS = "forget_requests"  # meta: audit of `insights forget`, hashed, no personal data

# Predictive scoring (gold/scores, schemas.catalog.SCORES): the columns of a row.
SCORE_COLUMNS = ("customer_id", "prediction", "score", "model_name", "model_version", "scored_at")
