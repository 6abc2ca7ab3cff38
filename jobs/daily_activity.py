"""gold/daily_activity: interactions per day, interaction type and channel, for Power BI trends.

A full build overwrites the table; a backfill of one day replaces that day only (Delta
replaceWhere on `day`), so re-running a day never touches the others and never doubles it.
Days are calendar days of the session time zone (UTC in every shipped Spark profile).
"""

from __future__ import annotations

from datetime import date
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.customers import with_customer_id
from jobs.delta import read_table
from jobs.writes import overwrite
from schemas.catalog import DAILY_ACTIVITY
from schemas.model import OCCURRED_AT, Model
from schemas.tables import CUSTOMER_ID, Lake

DAY, TYPE, CHANNEL = "day", "interaction_type", "channel"
UNKNOWN = "unknown"
CUSTOMER_ROLE = "customer"


def activity_rows(frames: dict[str, DataFrame], dimension: str) -> DataFrame:
    """One row per (day, interaction_type, channel) with interactions and distinct customers.

    frames: interaction type -> its silver rows with a customer_id column (null if unlinked).
    """
    parts = [
        df.select(
            F.to_date(OCCURRED_AT).alias(DAY),
            F.lit(type_name).alias(TYPE),
            F.coalesce(
                F.lower(F.col(dimension).cast("string")) if dimension in df.columns else F.lit(None),
                F.lit(UNKNOWN),
            ).alias(CHANNEL),
            F.col(CUSTOMER_ID).cast("string").alias(CUSTOMER_ID),
        )
        for type_name, df in frames.items()
    ]
    union = reduce(DataFrame.unionByName, parts)
    return (
        union.where(F.col(DAY).isNotNull())
        .groupBy(DAY, TYPE, CHANNEL)
        .agg(
            F.count(F.lit(1)).alias("interactions"),
            F.count_distinct(CUSTOMER_ID).alias("customers"),
        )
    )


def interaction_frames(
    spark: SparkSession, lake: Lake, model_types: list[str], roles: dict[str, list[str]]
) -> dict[str, DataFrame]:
    """Silver rows of each interaction type, with the customer each belongs to."""
    frames = {}
    for type_name in model_types:
        df = read_table(spark, lake.silver(type_name))
        if df is None:
            continue
        if CUSTOMER_ROLE in roles.get(type_name, []):
            df = with_customer_id(spark, lake, df, type_name, CUSTOMER_ROLE)
        else:
            df = df.withColumn(CUSTOMER_ID, F.lit(None).cast("string"))
        frames[type_name] = df
    return frames


def build_daily_activity(
    spark: SparkSession, lake: Lake, model: Model, types: list[str], dimension: str,
    day: date | None = None,
) -> int:
    """Write gold/daily_activity: every day (overwrite) or one day (replaceWhere); rows written."""
    roles = {t: model.link_roles(t) for t in types}
    frames = interaction_frames(spark, lake, types, roles)
    if not frames:
        return 0
    rows = activity_rows(frames, dimension)
    return write_activity(rows, lake.gold(DAILY_ACTIVITY.name), day)


def write_activity(rows: DataFrame, path: str, day: date | None = None) -> int:
    """Overwrite the table with rows, or, for a day, replace only that day's rows."""
    if day is not None:
        rows = rows.where(F.col(DAY) == F.lit(day))
    # Delta checks every written row satisfies the predicate, and removes only those
    overwrite(rows, path, replace_where=None if day is None else f"{DAY} = DATE'{day.isoformat()}'")
    return rows.count()
