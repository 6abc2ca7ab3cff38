"""Segment membership, who entered and who left, sizes over time and overlap: one run's writes.

Each run compares the new members with the last run's (gold/segment_membership):
newcomers are `entered`, members no longer matching are `left` (gold/segment_events, at the
run's time). Events and sizes are appended with a Delta transaction id derived from the
membership table's version, so a run retried after a crash never records an event twice. A
run in which nobody entered or left and whose sizes at this as_of are already recorded writes
nothing, so a re-run on the same data leaves every table unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta import read_table, table_version
from jobs.writes import append
from jobs.kpis.refresh import KPIS_CUSTOMER, workspace_as_of
from jobs.segments.audience import SEGMENT, SINCE, audience, members
from schemas.segments import SegmentFile
from schemas.tables import CUSTOMER_ID, Lake
from schemas.workspace import Workspace

MEMBERSHIP, EVENTS, SIZES, OVERLAP = "segment_membership", "segment_events", "segment_sizes", "segment_overlap"
ENTERED, LEFT = "entered", "left"


@dataclass(frozen=True)
class SegmentRun:
    """What one segment run found, per segment: size, entered, left."""

    at: datetime
    as_of: datetime
    sizes: dict[str, int]
    entered: dict[str, int]
    left: dict[str, int]


def diff(previous: DataFrame, current: DataFrame, at: datetime, as_of: datetime) -> DataFrame:
    """(segment, customer_id, event, at, as_of): entered = new members, left = members no more."""
    keys = [SEGMENT, CUSTOMER_ID]
    entered = current.select(*keys).join(previous.select(*keys), keys, "left_anti").withColumn("event", F.lit(ENTERED))
    left = previous.select(*keys).join(current.select(*keys), keys, "left_anti").withColumn("event", F.lit(LEFT))
    return entered.unionByName(left).withColumn("at", F.lit(at)).withColumn("as_of", F.lit(as_of))


def membership(previous: DataFrame, current: DataFrame, at: datetime) -> DataFrame:
    """(segment, customer_id, since): members who stay keep the time they entered."""
    keys = [SEGMENT, CUSTOMER_ID]
    return current.select(*keys).join(previous.select(*keys, SINCE), keys, "left").select(
        *keys, F.coalesce(F.col(SINCE), F.lit(at)).alias(SINCE)
    )


def overlap(current: DataFrame) -> DataFrame:
    """(segment_a, segment_b, customers, share_of_a, jaccard) for every pair with a shared member."""
    a = current.select(F.col(SEGMENT).alias("segment_a"), CUSTOMER_ID)
    b = current.select(F.col(SEGMENT).alias("segment_b"), CUSTOMER_ID)
    sizes = current.groupBy(SEGMENT).count()
    pairs = a.join(b, CUSTOMER_ID).groupBy("segment_a", "segment_b").agg(F.count(F.lit(1)).alias("customers"))
    size_a = sizes.select(F.col(SEGMENT).alias("segment_a"), F.col("count").alias("_size_a"))
    size_b = sizes.select(F.col(SEGMENT).alias("segment_b"), F.col("count").alias("_size_b"))
    return pairs.join(size_a, "segment_a").join(size_b, "segment_b").select(
        "segment_a", "segment_b", "customers",
        (F.col("customers") / F.col("_size_a")).alias("share_of_a"),
        (F.col("customers") / (F.col("_size_a") + F.col("_size_b") - F.col("customers"))).alias("jaccard"),
    )


def refresh_segments(
    spark: SparkSession, workspace: Workspace, lake: Lake, at: datetime | None = None
) -> SegmentRun:
    """Evaluate every segment at the KPIs' as_of and write membership, events, sizes and overlap."""
    segments: SegmentFile = workspace.segments
    at = at or datetime.now(UTC)
    kpis = read_table(spark, lake.gold(KPIS_CUSTOMER))
    as_of = _as_of(spark, workspace, lake, kpis)
    current = members(audience(spark, workspace, lake, segments, as_of, kpis), segments).localCheckpoint()
    names = list(segments.segments)
    previous = read_table(spark, lake.gold(MEMBERSHIP))
    if previous is None:
        previous = spark.createDataFrame([], f"{SEGMENT} string, {CUSTOMER_ID} string, {SINCE} timestamp")
    previous = previous.where(F.col(SEGMENT).isin(names)).localCheckpoint()
    events = diff(previous, current, at, as_of).localCheckpoint()
    counts = _counts(spark, names, current, events, at, as_of).localCheckpoint()
    rows = {r[SEGMENT]: r for r in counts.collect()}
    run = SegmentRun(
        at, as_of,
        sizes={n: rows[n]["size"] for n in names},
        entered={n: rows[n][ENTERED] for n in names},
        left={n: rows[n][LEFT] for n in names},
    )
    recorded = _recorded_sizes(spark, lake, as_of)
    if events.isEmpty() and {n: recorded.get(n) for n in names} == run.sizes:
        return run
    version = table_version(spark, lake.gold(MEMBERSHIP))
    txn = 0 if version is None else version + 1  # the membership version this run will write
    append(events, lake.gold(EVENTS), once=("segment_events", txn))
    append(counts, lake.gold(SIZES), once=("segment_sizes", txn))
    membership(previous, current, at).write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(
        lake.gold(MEMBERSHIP)
    )
    overlap(current).write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(
        lake.gold(OVERLAP)
    )
    return run


def _recorded_sizes(spark: SparkSession, lake: Lake, as_of: datetime) -> dict[str, int]:
    """Segment -> the size last recorded in gold/segment_sizes at this as_of."""
    sizes = read_table(spark, lake.gold(SIZES))
    if sizes is None:
        return {}
    latest = sizes.where(F.col("as_of") == F.lit(as_of)).groupBy(SEGMENT).agg(F.max_by("size", "at").alias("size"))
    return {r[SEGMENT]: r["size"] for r in latest.collect()}


def _as_of(spark: SparkSession, workspace: Workspace, lake: Lake, kpis: DataFrame | None) -> datetime:
    """The as_of of gold/kpis_customer, so KPI and event tests look at the same moment."""
    if kpis is not None:
        micros = kpis.agg(F.max(F.unix_micros("as_of"))).first()[0]
        if micros is not None:
            return datetime.fromtimestamp(micros / 1e6, UTC)
    return workspace_as_of(spark, workspace, lake)


def _counts(
    spark: SparkSession, names: list[str], current: DataFrame, events: DataFrame, at: datetime, as_of: datetime
) -> DataFrame:
    """(segment, at, as_of, size, entered, left), a row for every segment, empty ones too."""
    all_segments = spark.createDataFrame([(n,) for n in names], f"{SEGMENT} string")
    sizes = current.groupBy(SEGMENT).agg(F.count(F.lit(1)).alias("size"))
    moves = events.groupBy(SEGMENT).agg(
        F.count_if(F.col("event") == ENTERED).alias(ENTERED), F.count_if(F.col("event") == LEFT).alias(LEFT)
    )
    return all_segments.join(sizes, SEGMENT, "left").join(moves, SEGMENT, "left").select(
        SEGMENT, F.lit(at).alias("at"), F.lit(as_of).alias("as_of"),
        *[F.coalesce(F.col(c), F.lit(0)).cast("long").alias(c) for c in ("size", ENTERED, LEFT)],
    )
