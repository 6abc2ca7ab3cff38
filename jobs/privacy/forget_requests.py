"""meta/forget_requests: the queue and the audit of `insights forget`, one row per request.

A request is queued with the identifier asked for (normalised as silver stores it); the batch
that resolves it replaces the identifier with hashes only (the person's identifiers, which
also serve as the suppression list that keeps re-sent rows out of bronze), the rows removed
and the tables touched. Status: queued -> erased (gone from the latest versions) -> complete
(a vacuum that passed the retention deleted the older file versions too).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow.dataset as ds
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.delta import read_table, stats_only_on, table_exists
from jobs.delta_rs import open_delta
from jobs.normalize import email as normal_email
from jobs.normalize import phone as normal_phone
from jobs.writes import append, merge, set_properties
from schemas.tables import FORGET_REQUESTS, Lake

QUEUED, ERASED, COMPLETE = "queued", "erased", "complete"
# Statistics live in the log, which VACUUM never cleans: none of the identifier while it waits.
STATS = stats_only_on(["request_id", "requested_at", "status", "batch_id"])
KINDS = ("customer", "email", "phone")
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
        # the queue (added later: null in requests applied before it existed)
        T.StructField("status", T.StringType(), True),
        T.StructField("identifier", T.StringType(), True),  # plain text only while queued
        T.StructField("batch_id", T.StringType(), True),
        T.StructField("erased_at", T.TimestampType(), True),
        T.StructField("completed_at", T.TimestampType(), True),
    ]
)


@dataclass(frozen=True)
class Ask:
    """One identifier a person asked to be forgotten by: customer, email or phone."""

    kind: str
    value: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown identifier kind {self.kind!r}; known: {', '.join(KINDS)}")


@dataclass(frozen=True)
class Pending:
    """A queued request as the batch resolves it (identifier already normalised)."""

    request_id: str
    kind: str
    value: str


@dataclass(frozen=True)
class Erasure:
    """An erased request waiting to become complete."""

    request_id: str
    erased_at: datetime
    retention_hours: float
    tables: list[str]


@dataclass(frozen=True)
class Resolution:
    """What one batch did to one request."""

    request_id: str
    subject_hashes: list[str]
    rows_removed: dict[str, int]
    tables: list[str]


def queue_requests(spark: SparkSession, lake: Lake, asks: list[Ask], region: str,
                   retention_hours: float) -> list[str]:
    """Append the requests as queued (identifier normalised and hashed); their request IDs."""
    now = datetime.now(UTC).replace(microsecond=0)
    ids = [str(uuid.uuid4()) for _ in asks]
    raw = spark.createDataFrame([(i, a.kind, a.value) for i, a in zip(ids, asks, strict=True)],
                                "request_id string, identifier_kind string, given string")
    given, kind = F.col("given"), F.col("identifier_kind")
    canonical = F.coalesce(
        F.when(kind == "email", normal_email(given)).when(kind == "phone", normal_phone(given, region))
        .otherwise(F.trim(given)), F.trim(given))
    rows = raw.withColumn("identifier", canonical).select(
        "request_id", F.lit(now).alias("requested_at"), "identifier_kind", "identifier",
        F.sha2(F.concat_ws(":", kind, canonical), 256).alias("identifier_hash"))
    path = lake.meta(FORGET_REQUESTS)
    if table_exists(spark, path) and "status" not in spark.read.format("delta").load(path).columns:
        set_properties(spark, path, STATS)  # an audit from before the queue: no statistics of identifiers
    append(_audit_rows(rows, retention_hours), path, merge_schema=True, properties=STATS)
    return ids


def _audit_rows(rows: DataFrame, retention_hours: float) -> DataFrame:
    """Queued rows in the audit's column order and types."""
    empty = {
        "subject_hashes": F.array().cast("array<string>"), "tables": F.array().cast("array<string>"),
        "rows_removed": F.create_map().cast("map<string,bigint>"), "total_rows_removed": F.lit(0).cast("bigint"),
        "retention_hours": F.lit(float(retention_hours)), "vacuumed_tables": F.lit(0).cast("bigint"),
        "status": F.lit(QUEUED), "batch_id": F.lit(None).cast("string"),
        "erased_at": F.lit(None).cast("timestamp"), "completed_at": F.lit(None).cast("timestamp"),
    }
    columns = [empty[f.name].alias(f.name) if f.name in empty else F.col(f.name).cast(f.dataType)
               for f in AUDIT_SCHEMA.fields]
    return rows.select(*columns)


def pending_requests(lake: Lake, only: list[str] | None = None) -> list[Pending]:
    """Queued requests, oldest first (only those named, when given)."""
    rows = [r for r in _audit(lake, ["request_id", "requested_at", "identifier_kind", "identifier"], QUEUED)
            if only is None or r["request_id"] in only]
    rows.sort(key=lambda r: (r["requested_at"], r["request_id"]))
    return [Pending(r["request_id"], r["identifier_kind"], r["identifier"]) for r in rows]


def mark_erased(spark: SparkSession, lake: Lake, batch_id: str, done: list[Resolution]) -> None:
    """Requests erased from the latest versions: identifier dropped, hashes and counts kept."""
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [(r.request_id, r.subject_hashes, sorted(r.tables), {t: n for t, n in r.rows_removed.items() if n},
             sum(r.rows_removed.values())) for r in done]
    source = spark.createDataFrame(rows, "request_id string, subject_hashes array<string>, tables array<string>, "
                                         "rows_removed map<string,bigint>, total_rows_removed bigint")
    values = {c: F.col(f"s.{c}") for c in ("subject_hashes", "tables", "rows_removed", "total_rows_removed")}
    values |= {"status": F.lit(ERASED), "identifier": F.lit(None).cast("string"), "batch_id": F.lit(batch_id),
               "erased_at": F.lit(now)}
    _update(spark, lake, source, values)


def mark_complete(spark: SparkSession, lake: Lake, request_ids: list[str], vacuumed: int,
                  completed_at: datetime) -> None:
    """Requests whose older file versions a vacuum past their retention deleted."""
    source = spark.createDataFrame([(i,) for i in request_ids], "request_id string")
    _update(spark, lake, source, {"status": F.lit(COMPLETE), "completed_at": F.lit(completed_at),
                                  "vacuumed_tables": F.lit(vacuumed).cast("bigint")})


def erased_requests(lake: Lake) -> list[Erasure]:
    """Requests erased from the latest versions and waiting for a vacuum past their retention."""
    rows = _audit(lake, ["request_id", "erased_at", "retention_hours", "tables"], ERASED)
    return [Erasure(r["request_id"], r["erased_at"], r["retention_hours"], list(r["tables"])) for r in rows]


def _audit(lake: Lake, columns: list[str], status: str) -> list[dict]:
    """The audit's rows of one status (delta-rs: a small read, no Spark job); none before the queue existed."""
    table = open_delta(lake.meta(FORGET_REQUESTS))
    if table is None:
        return []
    dataset = table.to_pyarrow_dataset()
    if "status" not in dataset.schema.names:
        return []
    return dataset.to_table(columns=columns, filter=ds.field("status") == status).to_pylist()


def _update(spark: SparkSession, lake: Lake, source: DataFrame, values: dict) -> None:
    """MERGE-update the requests of source (by request_id) with values."""
    merge(spark, lake.meta(FORGET_REQUESTS), lambda table: table.alias("t").merge(
        source.alias("s"), "t.request_id = s.request_id").whenMatchedUpdate(set=values))


def suppressed_hashes(spark: SparkSession, lake: Lake) -> list[str]:
    """Every hashed identifier of a forgotten person (empty before the first request)."""
    audit = read_table(spark, lake.meta(FORGET_REQUESTS))
    if audit is None:
        return []
    rows = audit.select(F.explode("subject_hashes").alias("h")).distinct().collect()
    return sorted(r.h for r in rows)
