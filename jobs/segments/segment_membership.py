"""gold/segment_membership: the current members of each segment, with the time they entered."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta import read_table, table_version
from jobs.segments.audience import SEGMENT, SINCE
from jobs.writes import overwrite
from schemas.catalog import SEGMENT_MEMBERSHIP
from schemas.tables import CUSTOMER_ID, Lake


def membership(previous: DataFrame, current: DataFrame, at: datetime) -> DataFrame:
    """(segment, customer_id, since): members who stay keep the time they entered."""
    keys = [SEGMENT, CUSTOMER_ID]
    return current.select(*keys).join(previous.select(*keys, SINCE), keys, "left").select(
        *keys, F.coalesce(F.col(SINCE), F.lit(at)).alias(SINCE)
    )


def previous_members(spark: SparkSession, lake: Lake, names: list[str]) -> DataFrame:
    """The last run's members of these segments (none before the first run)."""
    previous = read_table(spark, lake.gold(SEGMENT_MEMBERSHIP.name))
    if previous is None:
        previous = spark.createDataFrame([], f"{SEGMENT} string, {CUSTOMER_ID} string, {SINCE} timestamp")
    return previous.where(F.col(SEGMENT).isin(names)).localCheckpoint()


def next_version(spark: SparkSession, lake: Lake) -> int:
    """The membership version this run will write: the transaction id of its events and sizes."""
    version = table_version(spark, lake.gold(SEGMENT_MEMBERSHIP.name))
    return 0 if version is None else version + 1


def write_segment_membership(previous: DataFrame, current: DataFrame, at: datetime, lake: Lake) -> None:
    """Replace the membership with the current members, keeping the entry time of those who stay."""
    overwrite(membership(previous, current, at), lake.gold(SEGMENT_MEMBERSHIP.name))
