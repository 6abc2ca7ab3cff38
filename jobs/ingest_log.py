"""meta/ingest_log: every file landed, so that landing the same file again adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow.compute as pc
from pyspark.sql import SparkSession
from pyspark.sql import types as T

from jobs.delta_rs import open_delta
from jobs.files import SourceFile
from jobs.writes import append
from schemas.catalog import INGEST_LOG as TABLE
from schemas.tables import Lake

INGEST_LOG = TABLE.name
INGEST_LOG_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("file", T.StringType(), False),
        T.StructField("file_size", T.LongType(), False),
        T.StructField("file_modified_at", T.TimestampType(), True),
        T.StructField("batch_id", T.LongType(), False),
        T.StructField("rows_landed", T.LongType(), False),
        T.StructField("rows_quarantined", T.LongType(), False),
        T.StructField("landed_at", T.TimestampType(), False),
    ]
)


def landed_files(lake: Lake, name: str) -> tuple[set[str], int]:
    """Files of a source already in the ingest log, and the source's last batch id (0 if none).

    Read with delta-rs: a landing that finds nothing new runs no Spark job (Spark's read took three)."""
    table = open_delta(lake.meta(INGEST_LOG))
    if table is None:
        return set(), 0
    rows = table.to_pyarrow_dataset().to_table(columns=["file", "batch_id"], filter=pc.field("source") == name)
    return set(rows.column("file").to_pylist()), pc.max(rows.column("batch_id")).as_py() or 0  # (null when none)


def record_batch(
    spark: SparkSession,
    lake: Lake,
    name: str,
    batch_id: int,
    files: list[SourceFile],
    stats: dict[str, tuple[int, int, int]],
    landed_at: datetime,
) -> None:
    """Log a batch's files with their row counts, exactly once per (source, batch)."""
    rows = [
        (name, f.path, f.size, f.modified_at, batch_id, *stats.get(f.path, (0, 0, 0))[:2], landed_at)
        for f in files
    ]
    log = spark.createDataFrame(rows, INGEST_LOG_SCHEMA)
    append(log, lake.meta(INGEST_LOG), once=(f"ingest:{name}", batch_id))


def last_landed_at(lake: Lake, name: str) -> datetime | None:
    """When the source last landed a batch (None if never): its last good landing, since a batch
    that fails writes nothing here. Read with delta-rs: no Spark job for a check or metadata."""
    table = open_delta(lake.meta(INGEST_LOG))
    if table is None:
        return None
    rows = table.to_pyarrow_dataset().to_table(columns=["landed_at"], filter=pc.field("source") == name)
    last = pc.max(rows.column("landed_at")).as_py()
    # a Delta timestamp is UTC by the protocol, whether or not the reader attaches the zone
    return None if last is None else last.replace(tzinfo=UTC) if last.tzinfo is None else last.astimezone(UTC)
