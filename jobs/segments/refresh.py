"""One segment run: evaluate every rule, then write membership, events, sizes and overlap.

Each run compares the new members with the last run's (gold/segment_membership):
newcomers are `entered`, members no longer matching are `left` (gold/segment_events, at the
run's time). Events and sizes are appended with a Delta transaction id derived from the
membership table's version, so a run retried after a crash never records an event twice. A
run in which nobody entered or left and whose sizes at this as_of are already recorded writes
nothing, so a re-run on the same data leaves every table unchanged. Each table's module writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta import read_table
from jobs.kpis.refresh import workspace_as_of
from jobs.segments.audience import SEGMENT, audience, members
from jobs.segments.segment_events import ENTERED, LEFT, diff, write_segment_events
from jobs.segments.segment_membership import next_version, previous_members, write_segment_membership
from jobs.segments.segment_overlap import write_segment_overlap
from jobs.segments.segment_sizes import recorded_sizes, segment_sizes, write_segment_sizes
from schemas.catalog import KPIS_CUSTOMER
from schemas.segments import SegmentFile
from schemas.tables import Lake
from schemas.workspace import Workspace


@dataclass(frozen=True)
class SegmentRun:
    """What one segment run found, per segment: size, entered, left."""

    at: datetime
    as_of: datetime
    sizes: dict[str, int]
    entered: dict[str, int]
    left: dict[str, int]


def refresh_segments(
    spark: SparkSession, workspace: Workspace, lake: Lake, at: datetime | None = None
) -> SegmentRun:
    """Evaluate every segment at the KPIs' as_of and write membership, events, sizes and overlap."""
    segments: SegmentFile = workspace.segments
    at = at or datetime.now(UTC)
    kpis = read_table(spark, lake.gold(KPIS_CUSTOMER.name))
    as_of = _as_of(spark, workspace, lake, kpis)
    current = members(audience(spark, workspace, lake, segments, as_of, kpis), segments).localCheckpoint()
    names = list(segments.segments)
    previous = previous_members(spark, lake, names)
    events = diff(previous, current, at, as_of).localCheckpoint()
    counts = segment_sizes(spark, names, current, events, at, as_of).localCheckpoint()
    rows = {r[SEGMENT]: r for r in counts.collect()}
    run = SegmentRun(
        at, as_of,
        sizes={n: rows[n]["size"] for n in names},
        entered={n: rows[n][ENTERED] for n in names},
        left={n: rows[n][LEFT] for n in names},
    )
    recorded = recorded_sizes(spark, lake, as_of)
    if events.isEmpty() and {n: recorded.get(n) for n in names} == run.sizes:
        return run
    txn = next_version(spark, lake)
    write_segment_events(events, lake, txn)
    write_segment_sizes(counts, lake, txn)
    write_segment_membership(previous, current, at, lake)
    write_segment_overlap(current, lake)
    return run


def _as_of(spark: SparkSession, workspace: Workspace, lake: Lake, kpis: DataFrame | None) -> datetime:
    """The as_of of gold/kpis_customer, so KPI and event tests look at the same moment."""
    if kpis is not None:
        micros = kpis.agg(F.max(F.unix_micros("as_of"))).first()[0]
        if micros is not None:
            return datetime.fromtimestamp(micros / 1e6, UTC)
    return workspace_as_of(spark, workspace, lake)
