"""meta/forget_requests, the audit of `insights forget`: what was done, with no personal data.

The identifier asked for and the person's identifiers are kept only as one-way hashes; the
latter also serve as the suppression list that keeps re-sent rows out of bronze.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.delta import read_table
from jobs.writes import append
from schemas.tables import FORGET_REQUESTS, Lake

AUDIT_SCHEMA = T.StructType(
    [
        T.StructField("request_id", T.StringType(), False),
        T.StructField("requested_at", T.TimestampType(), False),
        T.StructField("identifier_kind", T.StringType(), False),
        T.StructField("identifier_hash", T.StringType(), False),
        T.StructField("subject_hashes", T.ArrayType(T.StringType()), False),
        T.StructField("tables", T.ArrayType(T.StringType()), False),
        T.StructField("rows_removed", T.MapType(T.StringType(), T.LongType()), False),
        T.StructField("total_rows_removed", T.LongType(), False),
        T.StructField("retention_hours", T.DoubleType(), False),
        T.StructField("vacuumed_tables", T.LongType(), False),
    ]
)


@dataclass(frozen=True)
class AuditEntry:
    """One forget request as the audit table stores it."""

    request_id: str
    requested_at: datetime
    identifier_kind: str
    identifier_hash: str
    subject_hashes: list[str]
    rows_removed: dict[str, int]
    retention_hours: float
    vacuumed_tables: int


def record_request(spark: SparkSession, lake: Lake, entry: AuditEntry) -> None:
    """Append the request to meta/forget_requests."""
    touched = {t: n for t, n in entry.rows_removed.items() if n}
    row = (
        entry.request_id, entry.requested_at, entry.identifier_kind, entry.identifier_hash,
        entry.subject_hashes, sorted(touched), touched, sum(touched.values()),
        float(entry.retention_hours), entry.vacuumed_tables,
    )
    df = spark.createDataFrame([row], AUDIT_SCHEMA)
    append(df, lake.meta(FORGET_REQUESTS))


def suppressed_hashes(spark: SparkSession, lake: Lake) -> list[str]:
    """Every hashed identifier of a forgotten person (empty before the first request)."""
    audit = read_table(spark, lake.meta(FORGET_REQUESTS))
    if audit is None:
        return []
    rows = audit.select(F.explode("subject_hashes").alias("h")).distinct().collect()
    return sorted(r.h for r in rows)
