"""What the report reads from the lake with delta-rs: tables by key, row counts, quarantine reasons."""

from __future__ import annotations

from dataclasses import dataclass

import deltalake
import pandas as pd

from jobs.delta_rs import open_delta
from schemas.catalog import catalog
from schemas.tables import QUARANTINE, REASON_COL, Lake
from schemas.workspace import Workspace


@dataclass(frozen=True)
class TableCount:
    """One catalogue table: its key, whether it is in the lake, its rows and Delta version."""

    key: str
    entity: str
    rows: int | None  # None: the table is not in the lake
    version: int | None
    written: pd.Timestamp | None


@dataclass(frozen=True)
class QuarantineCount:
    """Rows a source sent to quarantine for one reason."""

    source: str
    reason: str
    rows: int


@dataclass(frozen=True)
class RunSummary:
    """Every table of the workspace's catalogue with its rows, and quarantine counts by reason."""

    tables: list[TableCount]
    quarantine: list[QuarantineCount]

    @property
    def present(self) -> list[TableCount]:
        return [t for t in self.tables if t.rows is not None]


class LakeReader:
    """Opens the lake's Delta tables by key ('gold/kpis_customer'); a missing table is None."""

    def __init__(self, lake_root: str):
        self.lake = Lake(lake_root)

    def table(self, key: str) -> deltalake.DeltaTable | None:
        """The Delta table at <lake>/<key>, or None when nothing was written there."""
        return open_delta(f"{self.lake.root.rstrip('/')}/{key}")

    def frame(self, key: str, columns: list[str] | None = None) -> pd.DataFrame | None:
        """The table as pandas (only `columns` if given), or None when it is missing."""
        table = self.table(key)
        return None if table is None else table.to_pandas(columns=columns)


def table_count(reader: LakeReader, key: str, entity: str) -> TableCount:
    """Rows (from the files' row counts), version and last commit time of one table."""
    table = reader.table(key)
    if table is None:
        return TableCount(key, entity, None, None, None)
    rows = table.to_pyarrow_dataset().count_rows()
    last = table.history(1)[0]
    written = pd.Timestamp(last["timestamp"], unit="ms", tz="UTC") if "timestamp" in last else None
    return TableCount(key, entity, rows, table.version(), written)


def quarantine_counts(reader: LakeReader, source: str) -> list[QuarantineCount]:
    """The quarantine table of a source grouped by reason, most frequent first."""
    frame = reader.frame(f"{QUARANTINE}/{source}", columns=[REASON_COL])
    if frame is None or frame.empty:
        return []
    counts = frame[REASON_COL].fillna("(no reason)").value_counts()
    return [QuarantineCount(source, str(reason), int(n)) for reason, n in counts.items()]


def run_summary(workspace: Workspace, reader: LakeReader) -> RunSummary:
    """The catalogue's tables in layer order with their counts, and the quarantine by reason."""
    tables = [table_count(reader, t.key, t.entity) for t in catalog(workspace)]
    quarantine = [q for source in workspace.sources for q in quarantine_counts(reader, source)]
    return RunSummary(tables, quarantine)


@dataclass(frozen=True)
class KpiData:
    """gold/kpis_customer's KPI columns and gold/kpis_business's rows (either may be missing)."""

    customer: pd.DataFrame | None
    business: pd.DataFrame | None


KPI_BOOKKEEPING = ("customer_id", "as_of", "computed_at")


def kpi_data(reader: LakeReader) -> KpiData:
    """The customer KPIs without their keys and timestamps, and the business KPIs by period."""
    customer = reader.frame("gold/kpis_customer")
    if customer is not None:
        customer = customer.drop(columns=[c for c in KPI_BOOKKEEPING if c in customer.columns])
    business = reader.frame("gold/kpis_business")
    if business is not None:
        business = business.assign(period=pd.to_datetime(business["period"]))
    return KpiData(customer, business)


@dataclass(frozen=True)
class SegmentData:
    """gold/segment_sizes (one row per segment and run) and gold/segment_overlap (pairs)."""

    sizes: pd.DataFrame | None
    overlap: pd.DataFrame | None


def segment_data(reader: LakeReader) -> SegmentData:
    """Segment sizes over runs and the pairwise overlap, as the segment jobs wrote them."""
    return SegmentData(reader.frame("gold/segment_sizes"), reader.frame("gold/segment_overlap"))
