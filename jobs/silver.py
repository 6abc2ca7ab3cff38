"""Merge bronze rows into the model's silver tables: typed, normalised, one row per source record.

Each silver table (one per profile or interaction type) gathers every source that feeds it.
New bronze batches are read, conformed (jobs/conform.py: the one place values are typed and
normalised), deduplicated by record and merged with Delta MERGE, so a re-run with nothing new
changes no row. A value that could not be normalised is null with its reason in `_issues`; the
build counts them per attribute and reason over the whole table (`SilverResult.issues`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import deltalake
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset
from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.conform import ISSUES_TYPE, conform_source
from jobs.delta import read_table, stats_only_on, table_version
from jobs.delta_rs import column_max_from_stats, open_delta, row_count
from jobs.writes import add_columns, compact, create, merge
from jobs.spark_types import SPARK_TYPES
from schemas.model import Model
from schemas.tables import (
    BATCH_COL,
    FILE_COL,
    INGESTED_AT_COL,
    ISSUE_ATTRIBUTE,
    ISSUE_REASON,
    ISSUES_COL,
    RECORD_ID,
    ROW_HASH,
    SOURCE,
    SOURCE_KEY,
    UPDATED_AT,
    Lake,
    link_column,
)
from schemas.workspace import Workspace

BOOKKEEPING = (BATCH_COL, INGESTED_AT_COL, ROW_HASH, UPDATED_AT)


@dataclass(frozen=True)
class SilverResult:
    """What one silver build did."""

    table: str
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_total: int
    issues: tuple[tuple[str, str, int], ...] = ()  # (attribute, reason, values) the table holds as null


def latest_per_record(conformed: DataFrame, hashed_columns: list[str]) -> DataFrame:
    """One row per record_id: the newest batch wins; identical rows collapse."""
    with_hash = conformed.withColumn(
        ROW_HASH, F.sha2(F.to_json(F.struct(*[F.col(c) for c in hashed_columns])), 256)
    )
    newest_first = Window.partitionBy(RECORD_ID).orderBy(
        F.col(BATCH_COL).desc(), F.col(INGESTED_AT_COL).desc(), F.col(FILE_COL).desc(), F.col(ROW_HASH).desc()
    )
    return (
        with_hash.withColumn("_rank", F.row_number().over(newest_first))
        .where("_rank = 1")
        .drop("_rank", FILE_COL)
        .withColumn(UPDATED_AT, F.col(INGESTED_AT_COL))
    )


def silver_columns(model: Model, type_name: str) -> list[str]:
    """Column order of a silver table."""
    links = [link_column(r) for r in model.link_roles(type_name)]
    return [RECORD_ID, SOURCE, SOURCE_KEY, *links, *model.attributes_of(type_name), ISSUES_COL, *BOOKKEEPING]


def silver_schema(model: Model, type_name: str) -> T.StructType:
    """The Spark schema of a silver table."""
    text = [RECORD_ID, SOURCE, SOURCE_KEY, *[link_column(r) for r in model.link_roles(type_name)]]
    fields = [T.StructField(c, T.StringType()) for c in text]
    fields += [T.StructField(a, SPARK_TYPES[s.type]) for a, s in model.attributes_of(type_name).items()]
    fields += [
        T.StructField(ISSUES_COL, ISSUES_TYPE),
        T.StructField(BATCH_COL, T.LongType()),
        T.StructField(INGESTED_AT_COL, T.TimestampType()),
        T.StructField(ROW_HASH, T.StringType()),
        T.StructField(UPDATED_AT, T.TimestampType()),
    ]
    return T.StructType(fields)


def newest_batch(spark: SparkSession, path: str) -> int | None:
    """A bronze table's newest batch, from its files' statistics in the Delta log (Spark only for a table
    written without them); None when it holds no rows."""
    try:
        return column_max_from_stats(path, BATCH_COL)
    except LookupError:
        bronze = read_table(spark, path)
        return bronze.agg(F.max(BATCH_COL)).first()[0] if bronze is not None else None


def holds_batch(silver: pyarrow.dataset.Dataset, name: str, batch: int) -> bool:
    """Whether silver holds a row of the source from this batch or a later one: a delta-rs read of two
    columns, pruned by the files' statistics, that stops at the first such row."""
    wanted = (pc.field(SOURCE) == name) & (pc.field(BATCH_COL) >= batch)
    return silver.head(1, columns=[BATCH_COL], filter=wanted).num_rows > 0


def pending_sources(spark: SparkSession, lake: Lake, path: str, names: list[str]) -> list[str]:
    """The sources whose newest bronze batch silver does not hold yet: no Spark job when nothing is new."""
    table = open_delta(path)
    silver = table.to_pyarrow_dataset() if table is not None else None
    pending = []
    for name in names:
        newest = newest_batch(spark, lake.bronze(name))
        if newest is not None and (silver is None or not holds_batch(silver, name, newest)):
            pending.append(name)
    return pending


def new_bronze_rows(spark: SparkSession, lake: Lake, name: str, seen: dict[str, int]) -> DataFrame | None:
    """Bronze rows of a source from batches after the newest one silver holds (`seen_batches`)."""
    bronze = read_table(spark, lake.bronze(name))
    if bronze is None or name not in seen:
        return bronze
    return bronze.where(F.col(BATCH_COL) > seen[name])


def seen_batches(silver: DataFrame | None) -> dict[str, int]:
    """The newest bronze batch silver holds, per source: one Spark job for every source of the table."""
    if silver is None:
        return {}
    rows = silver.groupBy(SOURCE).agg(F.max(BATCH_COL).alias("seen")).collect()
    return {r[SOURCE]: r["seen"] for r in rows if r["seen"] is not None}


def build_silver(spark: SparkSession, workspace: Workspace, type_name: str, lake: Lake) -> SilverResult:
    """Merge the new bronze rows of every source of a type into its silver table."""
    path = lake.silver(type_name)
    model = workspace.model
    existing = with_issues_column(spark, path, read_table(spark, path))
    sources = workspace.sources_for(type_name)
    pending = pending_sources(spark, lake, path, list(sources))
    seen = seen_batches(existing) if pending else {}
    frames = [
        conform_source(new_bronze_rows(spark, lake, name, seen), name, sources[name], model,
                       workspace.settings.defaults.country)
        for name in pending
    ]
    columns = silver_columns(model, type_name)
    if existing is None:  # downstream readers expect the table even before data arrives
        personal = {a for a, spec in model.attributes_of(type_name).items() if spec.pii}
        create_silver_table(spark, path, silver_schema(model, type_name),
                            stats_columns=[c for c in columns if c not in personal])
    if not frames:
        current = open_delta(path)
        return SilverResult(type_name, 0, 0, 0, row_count(current), issue_counts(current))
    conformed = frames[0]
    for frame in frames[1:]:
        conformed = conformed.unionByName(frame)
    hashed = [c for c in columns if c not in BOOKKEEPING]
    latest = latest_per_record(conformed, hashed).select(*columns)
    return merge_into(spark, latest, path, type_name)


def with_issues_column(spark: SparkSession, path: str, existing: DataFrame | None) -> DataFrame | None:
    """The table, given _issues (all null) if written before silver kept it: its suite expects the column."""
    if existing is None or ISSUES_COL in existing.columns:
        return existing
    add_columns(spark, path, T.StructType([T.StructField(ISSUES_COL, ISSUES_TYPE)]))
    return read_table(spark, path)


def create_silver_table(
    spark: SparkSession, path: str, schema: T.StructType, stats_columns: list[str] | None = None
) -> None:
    """An empty silver table whose changes downstream jobs can read incrementally (change data feed).

    The change data feed is a writer feature only: readers (delta-rs, Power BI) still see
    reader protocol 1. stats_columns: the only columns whose min/max go into the Delta log
    (personal data kept out, so `insights forget` leaves none in the table's history).
    """
    properties = {"delta.enableChangeDataFeed": "true"}
    if stats_columns:
        properties |= stats_only_on(stats_columns, schema)
    create(spark, path, schema, properties)


def merge_into(spark: SparkSession, latest: DataFrame, path: str, table: str) -> SilverResult:
    """Upsert: insert new records, update records whose content changed in a newer batch."""
    if read_table(spark, path) is None:
        create_silver_table(spark, path, latest.schema)
    target = DeltaTable.forPath(spark, path)
    before = table_version(spark, path)
    # A concurrent run merging the same records wins or loses as a whole; the loser re-merges,
    # and the row-hash condition makes that a no-op for records the winner already wrote.
    merge(spark, path, lambda table: (
        table.alias("t")
        .merge(latest.alias("s"), f"t.{RECORD_ID} = s.{RECORD_ID}")
        .whenMatchedUpdateAll(condition=f"s.{ROW_HASH} <> t.{ROW_HASH} AND s.{BATCH_COL} >= t.{BATCH_COL}")
        .whenNotMatchedInsertAll()
        .withSchemaEvolution()
    ))
    metrics = {}
    if table_version(spark, path) != before:  # the merge committed: its counts are in its commit
        metrics = target.history(1).select("operationMetrics").first()[0] or {}
        compact(spark, path)  # after its metrics are read: a MERGE rewrites touched files and adds new ones
    return SilverResult(
        table=table,
        rows_read=int(metrics.get("numSourceRows", 0)),
        rows_inserted=int(metrics.get("numTargetRowsInserted", 0)),
        rows_updated=int(metrics.get("numTargetRowsUpdated", 0)),
        rows_total=row_count(current := open_delta(path)),
        issues=issue_counts(current),
    )


def issue_counts(table: deltalake.DeltaTable) -> tuple[tuple[str, str, int], ...]:
    """(attribute, reason, values) of the values silver could not normalise, sorted; () for none.

    Read with delta-rs batch by batch, only the rows that have issues: no Spark job, and memory bounded
    by a batch."""
    dataset = table.to_pyarrow_dataset()
    if ISSUES_COL not in dataset.schema.names:  # a table of other columns (benchmarks)
        return ()
    counts: Counter[tuple[str, str]] = Counter()
    for batch in dataset.to_batches(columns=[ISSUES_COL], filter=pc.field(ISSUES_COL).is_valid()):
        issues = pc.list_flatten(batch.column(0))
        pairs = pa.table({ISSUE_ATTRIBUTE: issues.field(ISSUE_ATTRIBUTE), ISSUE_REASON: issues.field(ISSUE_REASON)})
        for row in pairs.group_by([ISSUE_ATTRIBUTE, ISSUE_REASON]).aggregate([([], "count_all")]).to_pylist():
            counts[(row[ISSUE_ATTRIBUTE], row[ISSUE_REASON])] += row["count_all"]
    return tuple(sorted((attribute, reason, n) for (attribute, reason), n in counts.items()))
