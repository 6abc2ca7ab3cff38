"""Small Delta Lake helpers every job shares: existence, reads, idempotent appends."""

from __future__ import annotations

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession

APP_ID_PREFIX = "customer-insights"


def table_exists(spark: SparkSession, path: str) -> bool:
    """Whether a Delta table lives at path."""
    return DeltaTable.isDeltaTable(spark, path)


def read_table(spark: SparkSession, path: str) -> DataFrame | None:
    """The current version of a Delta table, or None if there is none yet."""
    if not table_exists(spark, path):
        return None
    return spark.read.format("delta").load(path)


def append_once(
    df: DataFrame, path: str, app_id: str, version: int, merge_schema: bool = False
) -> None:
    """Append df unless this (app_id, version) already committed to the table.

    Delta records the pair in the same atomic commit as the rows, so a retried batch after a
    crash is written exactly once, with no bookkeeping of our own.
    """
    (
        df.write.format("delta")
        .mode("append")
        .option("txnAppId", f"{APP_ID_PREFIX}:{app_id}")
        .option("txnVersion", version)
        .option("mergeSchema", str(merge_schema).lower())
        .save(path)
    )


def table_version(spark: SparkSession, path: str) -> int | None:
    """The latest committed version of a table, or None if there is no table."""
    if not table_exists(spark, path):
        return None
    return DeltaTable.forPath(spark, path).history(1).select("version").first()[0]
