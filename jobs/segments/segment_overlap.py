"""gold/segment_overlap: pairs of segments with their shared members, shares and Jaccard index."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.segments.audience import SEGMENT
from jobs.writes import overwrite
from schemas.catalog import SEGMENT_OVERLAP
from schemas.tables import CUSTOMER_ID, Lake


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


def write_segment_overlap(current: DataFrame, lake: Lake) -> None:
    """Replace the overlap with the current members' pairs."""
    overwrite(overlap(current), lake.gold(SEGMENT_OVERLAP.name))
