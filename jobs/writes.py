"""The one write path: every table is overwritten, appended or merged here, each retried on conflict.

Each commit carries a small JSON record in its userMetadata: the module that wrote it (so the
catalogue's claim "this module writes that table" can be checked against the log) and, when
the step gives one, what it was built from (jobs/built_from.py).
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from delta.tables import DeltaMergeBuilder, DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from jobs.built_from import BuiltFrom
from jobs.delta import APP_ID_PREFIX, retry_on_conflict, table_exists, table_version
from jobs.delta_rs import open_delta

USER_METADATA_CONF = "spark.databricks.delta.commitInfo.userMetadata"
# A table a run appends to or MERGEs into gains files each run; past this many it is compacted. Tiny and
# test lakes stay far below it, so their runs pay nothing (one delta-rs read of the log).
COMPACT_MIN_FILES = 128


def writer_module(skip: int = 2) -> str:
    """The module of the first caller outside this one: who really writes the table."""
    frame = sys._getframe(skip)  # noqa: SLF001 - the caller's module name is all we need
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    return frame.f_globals.get("__name__", "?") if frame is not None else "?"


def commit_record(writer: str, built: BuiltFrom | None, write_id: str | None = None) -> str:
    """The userMetadata of one commit."""
    record: dict[str, Any] = {"writer": writer}
    if built is not None:
        record["built_from"] = built.to_dict()
    if write_id is not None:
        record["write_id"] = write_id
    return json.dumps(record, sort_keys=True, default=str)


def last_writer(spark: SparkSession, path: str) -> str | None:
    """The module that made a table's newest commit, if it went through this path."""
    if not table_exists(spark, path):
        return None
    return commit_writer(DeltaTable.forPath(spark, path).history(1).select("userMetadata").first()[0])


def commit_writer(user_metadata: str | None) -> str | None:
    """The writer a commit's userMetadata names (commit_record's), or None for a commit made elsewhere."""
    try:
        record = json.loads(user_metadata) if user_metadata else None
    except ValueError:
        return None
    return record.get("writer") if isinstance(record, dict) else None


def overwrite(
    df: DataFrame,
    path: str,
    *,
    built: BuiltFrom | None = None,
    replace_where: str | None = None,
    merge_schema: bool = False,
    properties: dict[str, str] | None = None,
) -> None:
    """Replace the table (or the rows replace_where selects) with df; older versions stay readable.

    Without replace_where the schema is replaced too. `properties` (delta.*) apply when the
    table is created.
    """
    writer, creates = writer_module(), not table_exists(df.sparkSession, path)

    def write() -> None:
        out = df.write.format("delta").mode("overwrite").option("userMetadata", commit_record(writer, built))
        if replace_where is not None:
            out = out.option("replaceWhere", replace_where)
        elif not merge_schema:
            out = out.option("overwriteSchema", "true")
        if merge_schema:
            out = out.option("mergeSchema", "true")
        out.options(**(properties if creates and properties else {})).save(path)

    retry_on_conflict(write, f"overwrite {path}")


def append(
    df: DataFrame,
    path: str,
    *,
    once: tuple[str, int] | None = None,
    merge_schema: bool = False,
    properties: dict[str, str] | None = None,
    built: BuiltFrom | None = None,
) -> bool:
    """Append df; with once=(app_id, version), only if that pair has not committed to the table.

    Delta records the pair in the same atomic commit as the rows, so a retried batch after a
    crash is written exactly once, with no bookkeeping of our own. True when this call made the
    commit; False when the pair had committed already (an earlier try, or a writer racing this one).
    """
    writer, creates = writer_module(), properties and not table_exists(df.sparkSession, path)
    write_id = uuid.uuid4().hex if once is not None else None  # finds this call's commit among racing ones

    def write() -> None:
        out = (df.write.format("delta").mode("append")
               .option("userMetadata", commit_record(writer, built, write_id))
               .option("mergeSchema", str(merge_schema).lower()))
        if once is not None:
            out = out.option("txnAppId", f"{APP_ID_PREFIX}:{once[0]}").option("txnVersion", once[1])
        out.options(**(properties if creates else {})).save(path)

    before = table_version(df.sparkSession, path)
    retry_on_conflict(write, f"append to {path}")
    return write_id is None or _committed(path, write_id, before)


def _committed(path: str, write_id: str, before: int | None) -> bool:
    """Whether a commit after version `before` carries this write's id (delta-rs: a few log files, no Spark job)."""
    table = open_delta(path)
    if table is None:
        return False
    newer = table.version() - (before if before is not None else -1)
    if newer <= 0:
        return False
    return any(write_id in str(commit.get("userMetadata") or "") for commit in table.history(newer))


def merge(
    spark: SparkSession,
    path: str,
    build: Callable[[DeltaTable], DeltaMergeBuilder],
    *,
    built: BuiltFrom | None = None,
) -> None:
    """Run the MERGE that build makes on the table; a lost race re-reads the table and merges again.

    Only MERGEs that are idempotent by key belong here (a re-run after the winner's commit must
    not double anything).
    """
    writer = writer_module()

    def write() -> None:
        with commit_metadata(spark, commit_record(writer, built)):
            build(DeltaTable.forPath(spark, path)).execute()

    retry_on_conflict(write, f"merge into {path}")


def create(spark: SparkSession, path: str, schema: StructType, properties: dict[str, str] | None = None) -> None:
    """Create an empty table at path if there is none (downstream readers expect it to exist)."""
    writer = writer_module()

    def write() -> None:
        builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(schema)
        for key, value in (properties or {}).items():
            builder = builder.property(key, value)
        with commit_metadata(spark, commit_record(writer, None)):
            builder.execute()

    retry_on_conflict(write, f"create {path}")


def set_properties(spark: SparkSession, path: str, properties: dict[str, str]) -> None:
    """Set table properties (delta.*) on an existing table, retried on conflict."""
    writer = writer_module()
    pairs = ", ".join(f"'{k}' = '{v}'" for k, v in properties.items())

    def write() -> None:
        with commit_metadata(spark, commit_record(writer, None)):
            spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ({pairs})")

    retry_on_conflict(write, f"set properties of {path}")


def add_columns(spark: SparkSession, path: str, fields: StructType) -> None:
    """Add (nullable) columns to an existing table, so a table written before they existed has today's schema."""
    writer = writer_module()
    columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in fields)

    def write() -> None:
        with commit_metadata(spark, commit_record(writer, None)):
            spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS ({columns})")

    retry_on_conflict(write, f"add columns to {path}")


def delete(spark: SparkSession, path: str, condition: str) -> None:
    """Delete the rows matching condition (a SQL predicate), retried on conflict."""
    writer = writer_module()

    def write() -> None:
        with commit_metadata(spark, commit_record(writer, None)):
            DeltaTable.forPath(spark, path).delete(condition)

    retry_on_conflict(write, f"delete from {path}")


def compact(spark: SparkSession, path: str, min_files: int = COMPACT_MIN_FILES) -> bool:
    """OPTIMIZE (bin-packing compaction) a table left with more than min_files files; True when it ran.

    The file count comes from the Delta log with delta-rs (no Spark job); the compaction commit
    names the calling module as every write does and carries no built-from record (readers skip it)."""
    table = open_delta(path)
    if table is None or len(table.file_uris()) <= min_files:
        return False
    writer = writer_module()

    def write() -> None:
        with commit_metadata(spark, commit_record(writer, None)):
            DeltaTable.forPath(spark, path).optimize().executeCompaction()

    retry_on_conflict(write, f"compact {path}")
    return True


@contextmanager
def commit_metadata(spark: SparkSession, text: str) -> Iterator[None]:
    """Attach userMetadata to the commits made inside (MERGE and DELETE have no writer option)."""
    spark.conf.set(USER_METADATA_CONF, text)
    try:
        yield
    finally:
        spark.conf.unset(USER_METADATA_CONF)
