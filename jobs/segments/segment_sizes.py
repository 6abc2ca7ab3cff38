"""gold/segment_sizes: members, entries and exits per segment and run, appended once per run."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta import read_table
from jobs.segments.audience import SEGMENT
from jobs.segments.segment_events import ENTERED, LEFT
from jobs.writes import append
from schemas.catalog import SEGMENT_SIZES
from schemas.tables import Lake


def segment_sizes(
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


def recorded_sizes(spark: SparkSession, lake: Lake, as_of: datetime) -> dict[str, int]:
    """Segment -> the size last recorded in gold/segment_sizes at this as_of."""
    sizes = read_table(spark, lake.gold(SEGMENT_SIZES.name))
    if sizes is None:
        return {}
    latest = sizes.where(F.col("as_of") == F.lit(as_of)).groupBy(SEGMENT).agg(F.max_by("size", "at").alias("size"))
    return {r[SEGMENT]: r["size"] for r in latest.collect()}


def write_segment_sizes(counts: DataFrame, lake: Lake, txn: int) -> None:
    """Append the run's sizes once: txn is the membership version the run writes."""
    append(counts, lake.gold(SEGMENT_SIZES.name), once=(SEGMENT_SIZES.name, txn))
