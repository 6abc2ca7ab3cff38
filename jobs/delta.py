"""Small Delta Lake helpers every job shares: existence, reads, versions, conflict retries (writes: jobs/writes.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from delta.exceptions import (
    ConcurrentAppendException,
    ConcurrentDeleteDeleteException,
    ConcurrentDeleteReadException,
    ConcurrentTransactionException,
    ConcurrentWriteException,
    DeltaConcurrentModificationException,
    MetadataChangedException,
    ProtocolChangedException,
)
from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

APP_ID_PREFIX = "customer-insights"
CONFLICT_ATTEMPTS = 4
# Delta's commit conflicts; in Python they share no base class but PySparkException.
CONFLICTS = (
    DeltaConcurrentModificationException, ConcurrentWriteException, MetadataChangedException,
    ProtocolChangedException, ConcurrentAppendException, ConcurrentDeleteReadException,
    ConcurrentDeleteDeleteException, ConcurrentTransactionException,
)

# Commit files are <20-digit version>.json; checkpoints and checksums share the prefix only.
COMMIT_DIGITS = 20
COMMIT_GLOB = "[0-9]" * COMMIT_DIGITS + ".json"

R = TypeVar("R")
log = logging.getLogger(__name__)


def retry_on_conflict(write: Callable[[], R], what: str, attempts: int = CONFLICT_ATTEMPTS) -> R:
    """Run a Delta write, retrying when a concurrent writer committed first.

    Delta's optimistic concurrency lets one of two concurrent commits win; the loser gets a
    ConcurrentModificationException and its files never become part of the table. Retrying
    re-reads the table, so only writes that are idempotent on re-run belong here (appends with
    a transaction id, MERGE by key, overwrites).
    """
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except CONFLICTS as exc:
            if attempt == attempts:
                raise
            log.warning("%s: concurrent commit (%s), retry %d of %d", what,
                        type(exc).__name__, attempt, attempts - 1)
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def table_exists(spark: SparkSession, path: str) -> bool:
    """Whether a Delta table lives at path."""
    return DeltaTable.isDeltaTable(spark, path)


def read_table(spark: SparkSession, path: str) -> DataFrame | None:
    """The current version of a Delta table, or None if there is none yet."""
    if not table_exists(spark, path):
        return None
    return spark.read.format("delta").load(path)


def stats_only_on(columns: list[str], schema: T.StructType | None = None) -> dict[str, str]:
    """Table properties that keep Delta's per-file min/max statistics to these columns.

    Statistics live in the transaction log, which VACUUM never cleans: keeping personal data
    out of them is what lets `insights forget` leave no trace in a table's history. With a
    schema, columns of types Delta keeps no statistics for (boolean, nested) are left out.
    """
    if schema is not None:
        kinds = {f.name: f.dataType for f in schema.fields}
        columns = [c for c in columns if isinstance(kinds.get(c), STATS_TYPES)]
    return {"delta.dataSkippingStatsColumns": ",".join(columns)}


# Types Delta collects min/max statistics for (data skipping).
STATS_TYPES = (
    T.StringType, T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType,
    T.DecimalType, T.DateType, T.TimestampType,
)


@dataclass(frozen=True)
class Commit:
    """A table's newest commit: its version, and when its file was written (ms since the epoch)."""

    version: int
    written_at_ms: int


def latest_commit(spark: SparkSession, path: str) -> Commit | None:
    """The newest commit of a table, or None if there is no table.

    Read from the names of the commit files in _delta_log (through the session's Hadoop file
    system, so any lake root works): history(1) would parse the commit in a Spark job, and
    every asset's metadata, skip decision and check asks for versions. The file's time tells a
    table rebuilt from scratch (version 0 again) from the one it replaced.
    """
    jvm = spark.sparkContext._jvm
    log_dir = jvm.org.apache.hadoop.fs.Path(f"{path.rstrip('/')}/_delta_log")
    fs = log_dir.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not fs.exists(log_dir):
        return None
    commits = [Commit(int(status.getPath().getName()[:COMMIT_DIGITS]), status.getModificationTime())
               for status in fs.globStatus(jvm.org.apache.hadoop.fs.Path(log_dir, COMMIT_GLOB)) or []]
    return max(commits, key=lambda c: c.version) if commits else None


def table_version(spark: SparkSession, path: str) -> int | None:
    """The latest committed version of a table, or None if there is no table."""
    commit = latest_commit(spark, path)
    return commit.version if commit is not None else None
