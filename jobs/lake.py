"""The lake as a whole: which Delta tables it holds, their history, and vacuuming old files.

Works on any file system Spark can reach (local path, abfss://), through Hadoop's FileSystem,
so the same code lists a laptop lake and an ADLS one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from jobs.delta import table_version
from jobs.delta_rs import open_delta
from schemas.privacy import DEFAULT_RETENTION_HOURS
from schemas.tables import Lake

FORGET_WRITER = "jobs.privacy.erase"  # the module whose MERGEs erase forgotten people (no import: it imports us)

RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"
# Tables worked on together by lake-wide passes (forget's erase, its vacuum). On the small tables
# most lakes are made of, each table's MERGE or VACUUM is mostly fixed driver-side time (the log,
# planning, the commit) with the executors idle, so a few at once overlap.
TABLES_AT_ONCE = 3
Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True)
class LakeTable:
    """One Delta table under the lake root: its layer, name and full path."""

    layer: str
    name: str
    path: str

    @property
    def key(self) -> str:
        """'<layer>/<name>', the table's lake path and Dagster asset key."""
        return f"{self.layer}/{self.name}"


def lake_tables(spark: SparkSession, lake: Lake) -> list[LakeTable]:
    """Every Delta table at <root>/<layer>/<name>, sorted by layer and name."""
    jvm = spark.sparkContext._jvm  # noqa: SLF001 - Hadoop FS is only reachable through the gateway
    pattern = jvm.org.apache.hadoop.fs.Path(f"{lake.root.rstrip('/')}/*/*/_delta_log")
    fs = pattern.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # noqa: SLF001
    found = []
    for status in fs.globStatus(pattern) or []:
        table = status.getPath().getParent()
        found.append((table.getParent().getName(), table.getName()))
    return [LakeTable(layer, name, lake.path(layer, name)) for layer, name in sorted(found)]


def previous_row_count(spark: SparkSession, path: str) -> int | None:
    """Rows of the version before the latest (time travel), or None when there is none.

    When the latest commit is a forget's erase, the rows it removed are expected gone: the count is
    the version before less those rows, so the next run's "no rows lost" gate holds a shrink that
    forget made (and only that one) as explained.
    """
    latest = table_version(spark, path)
    if not latest:  # no table, or only version 0
        return None
    return spark.read.format("delta").option("versionAsOf", latest - 1).load(path).count() - _forgotten_rows(path)


def _forgotten_rows(path: str) -> int:
    """Rows the latest commit deleted, if a forget's erase made it (its MERGE's metrics); else 0.

    Read with delta-rs (the newest log file), not a Spark history job: every validation asks.
    """
    table = open_delta(path)
    last = table.history(1)[0] if table is not None else {}
    if last.get("operation") != "MERGE" or f'"writer": "{FORGET_WRITER}"' not in str(last.get("userMetadata") or ""):
        return 0
    return int((last.get("operationMetrics") or {}).get("numTargetRowsDeleted", 0))


@contextmanager
def retention_check_off(spark: SparkSession, retention_hours: float) -> Iterator[None]:
    """Allow VACUUM below Delta's 7-day safety floor for this block only, when asked to."""
    if retention_hours >= DEFAULT_RETENTION_HOURS:
        yield
        return
    before = spark.conf.get(RETENTION_CHECK, "true")
    spark.conf.set(RETENTION_CHECK, "false")
    try:
        yield
    finally:
        spark.conf.set(RETENTION_CHECK, before)


@contextmanager
def _listing_parallelism(spark: SparkSession) -> Iterator[None]:
    """VACUUM lists files with spark.sql.sources.parallelPartitionDiscovery.parallelism tasks
    (10,000 by default): a minute and more per small table; the cores are enough."""
    key = "spark.sql.sources.parallelPartitionDiscovery.parallelism"
    before = spark.conf.get(key, None)
    spark.conf.set(key, str(max(1, spark.sparkContext.defaultParallelism)))
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def each_table(items: list[Item], work: Callable[[Item], Result], at_once: int = TABLES_AT_ONCE) -> list[Result]:
    """work(item) for every item, at_once of them at a time; the results in the items' order (the
    first failure is raised). Spark runs jobs from several threads; work that sets session
    settings must use a session of its own (SparkSession.newSession)."""
    if at_once <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="lake-table") as pool:
        return list(pool.map(work, items))


def vacuum_tables(spark: SparkSession, tables: list[LakeTable], retention_hours: float) -> list[str]:
    """VACUUM each table: files no current version needs and older than the retention go.

    Files of removed versions, orphans of crashed writes and change-data files all older
    than the retention are deleted, so time travel cannot return what a DELETE removed.
    """
    with retention_check_off(spark, retention_hours), _listing_parallelism(spark):
        each_table(tables, lambda table: DeltaTable.forPath(spark, table.path).vacuum(retention_hours))
    return [table.key for table in tables]
