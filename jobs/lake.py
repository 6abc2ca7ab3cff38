"""The lake as a whole: which Delta tables it holds, their history, and vacuuming old files.

Works on any file system Spark can reach (local path, abfss://), through Hadoop's FileSystem,
so the same code lists a laptop lake and an ADLS one.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from deltalake import PostCommitHookProperties
from pyspark.sql import SparkSession

from jobs.delta import table_version
from jobs.delta_rs import open_delta, row_count_from_stats
from jobs.writes import commit_writer
from schemas.tables import Lake

FORGET_WRITER = "jobs.privacy.erase"  # the module whose MERGEs erase forgotten people (no import: it imports us)

# Tables worked on together by forget's erase. On the small tables most lakes are made of, each
# table's MERGE is mostly fixed driver-side time (the log, planning, the commit) with the
# executors idle, so a few at once overlap.
TABLES_AT_ONCE = 3
NO_HOOKS = PostCommitHookProperties(create_checkpoint=False, cleanup_expired_logs=False)
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
    rows = row_count_from_stats(path, latest - 1)
    if rows is None:
        rows = spark.read.format("delta").option("versionAsOf", latest - 1).load(path).count()
    return rows - forget_erased_rows(path)


def forget_erased_rows(path: str, newest: int = 1) -> int:
    """Rows that forget's erase MERGEs deleted among the table's newest commits (their metrics).

    Read with delta-rs (the log's newest files), not a Spark history job: every validation asks
    about the latest commit, and forget's erase about the commits after its own start.
    """
    table = open_delta(path) if newest > 0 else None
    if table is None:
        return 0
    return sum(int((commit.get("operationMetrics") or {}).get("numTargetRowsDeleted", 0))
               for commit in table.history(newest) if _forget_erase(commit))


def _forget_erase(commit: dict) -> bool:
    """Whether a commit is a MERGE of forget's erase (its writer in the commit record)."""
    return commit.get("operation") == "MERGE" and commit_writer(commit.get("userMetadata")) == FORGET_WRITER


def each_table(items: list[Item], work: Callable[[Item], Result], at_once: int = TABLES_AT_ONCE) -> list[Result]:
    """work(item) for every item, at_once of them at a time; the results in the items' order (the
    first failure is raised). Spark runs jobs from several threads; work that sets session
    settings must use a session of its own (SparkSession.newSession)."""
    if at_once <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="lake-table") as pool:
        return list(pool.map(work, items))


def vacuum_tables(tables: list[LakeTable], retention_hours: float) -> list[str]:
    """VACUUM each table there is (delta-rs): files no current version needs and older than the retention go.

    Files of removed versions, orphans of crashed writes and change-data files all older than the
    retention are deleted (full mode), so time travel cannot return what a DELETE removed; a
    vacuum that deletes files records VACUUM START and END commits, as Spark's does. delta-rs
    reads the log and lists the files itself: no Spark job (Spark's VACUUM of a small table was
    some 26). The keys of the tables vacuumed (those that exist).
    """
    return [table.key for table in tables if vacuum_table(table.path, retention_hours) is not None]


def vacuum_table(path: str, retention_hours: float) -> list[str] | None:
    """VACUUM one table: the files it deleted (relative to the table), or None when there is no table.

    Checkpoints stay the work of Spark's writers (delta-rs writes none here, nor cleans the log).
    """
    table = open_delta(path)
    if table is None:
        return None
    deleted = table.vacuum(retention_hours=retention_hours, dry_run=False, enforce_retention_duration=False,
                           full=True, post_commithook_properties=NO_HOOKS)
    _drop_checksums(path, deleted)
    return deleted


def _drop_checksums(path: str, deleted: list[str]) -> None:
    """Hadoop's local file system keeps .<file>.crc beside each file Spark wrote; delta-rs leaves them."""
    if "://" in path and not path.startswith("file:"):
        return  # object stores keep no checksum files
    root = Path(path.removeprefix("file://").removeprefix("file:"))
    for name in deleted:
        file = root / name
        file.with_name(f".{file.name}.crc").unlink(missing_ok=True)
