"""gold/customer_360: one wide row per customer, the table the card, reports and Power BI read.

The golden record (with <attr>_source), the source records behind it, every customer KPI
(`kpi_<name>`), current segments, the latest score of each prediction with its model's grade,
interaction counts by type, the profiles related through the model's relationships and the
last N interactions (workspace.yaml `customer_360.timeline_length`). Rebuilt from its inputs
when one changed, then MERGEd by customer_id with only the rows whose hash changed (and
deletes for customers who disappeared): a run on unchanged inputs writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from jobs.built_from import built_from
from jobs.customer_timeline import AMOUNT, CHANNEL, INTERACTION_TYPE, by_customer_id, timeline_types
from jobs.delta import read_table, stats_only_on
from jobs.related_profiles import Related, customer_relationships, related_profiles
from jobs.row_changes import Mode, plan_refresh, with_row_hash
from jobs.writes import merge, overwrite
from schemas.catalog import (
    CUSTOMER_360, CUSTOMER_IDS, CUSTOMER_TIMELINE, GOLDEN_CUSTOMER, KPIS_CUSTOMER, SCORES, SEGMENT_MEMBERSHIP,
)
from schemas.model import OCCURRED_AT
from schemas.tables import CUSTOMER_ID, RECORD_ID, SOURCE, SOURCE_KEY, Lake
from schemas.workspace import Workspace

UPDATED_AT, KPIS_AS_OF = "updated_at", "kpis_as_of"
RECORDS_TYPE = "array<struct<record_id:string,source:string,source_key:string>>"
SEGMENTS_TYPE = "array<struct<segment:string,since:timestamp>>"
SCORES_TYPE = ("array<struct<prediction:string,score:double,model_name:string,model_version:bigint,"
               "grade:string,scored_at:timestamp>>")
TIMELINE_TYPE = ("array<struct<occurred_at:timestamp,interaction_type:string,record_id:string,source:string,"
                 "channel:string,amount:double>>")


@dataclass(frozen=True)
class Customer360Inputs:
    """The tables one customer_360 build reads (None: the workspace does not build that table)."""

    golden: DataFrame
    ids: DataFrame  # gold/customer_ids: record_id, customer_id, source
    profiles: DataFrame  # silver/<primary profile>: record_id, source_key
    timeline: DataFrame  # gold/customer_timeline
    interaction_types: list[str]
    timeline_length: int
    kpis: DataFrame | None = None
    kpi_names: list[str] = field(default_factory=list)
    segments: DataFrame | None = None
    scores: DataFrame | None = None
    related: list[tuple[Related, DataFrame]] = field(default_factory=list)  # with the related type's silver


def kpi_column(name: str) -> str:
    """The customer_360 column of a customer KPI."""
    return f"kpi_{name}"


def count_column(interaction_type: str) -> str:
    """The customer_360 column counting a customer's interactions of one type."""
    return f"{interaction_type}_count"


def _source_records(ids: DataFrame, profiles: DataFrame) -> DataFrame:
    records = ids.select(RECORD_ID, CUSTOMER_ID, SOURCE).join(profiles.select(RECORD_ID, SOURCE_KEY), RECORD_ID, "left")
    return records.groupBy(CUSTOMER_ID).agg(
        F.sort_array(F.collect_list(F.struct(RECORD_ID, SOURCE, SOURCE_KEY))).alias("records"))


def _kpis(kpis: DataFrame, names: list[str]) -> DataFrame:
    return kpis.select(CUSTOMER_ID, *[F.col(n).alias(kpi_column(n)) for n in names],
                       F.col("as_of").cast("timestamp").alias(KPIS_AS_OF))


def _segments(membership: DataFrame) -> DataFrame:
    return membership.groupBy(CUSTOMER_ID).agg(
        F.sort_array(F.collect_list(F.struct("segment", F.col("since").cast("timestamp").alias("since"))))
        .alias("segments"))


def _scores(scores: DataFrame) -> DataFrame:
    """The latest score of each prediction per customer, sorted by prediction."""
    grade = F.col("grade") if "grade" in scores.columns else F.lit(None)
    score = F.struct(F.col("prediction"), F.col("score").cast("double").alias("score"), "model_name",
                     F.col("model_version").cast("long").alias("model_version"), grade.cast("string").alias("grade"),
                     F.col("scored_at").cast("timestamp").alias("scored_at"))
    latest = scores.groupBy(CUSTOMER_ID, "prediction").agg(
        F.max_by(score, F.struct("scored_at", "model_version")).alias("_s"))
    return latest.groupBy(CUSTOMER_ID).agg(F.sort_array(F.collect_list("_s")).alias("scores"))


def _counts(timeline: DataFrame, types: list[str]) -> DataFrame:
    counts = timeline.groupBy(CUSTOMER_ID).pivot(INTERACTION_TYPE, types).count()
    return counts.select(CUSTOMER_ID, *[F.col(t).cast("long").alias(count_column(t)) for t in types])


def _recent(timeline: DataFrame, length: int) -> DataFrame:
    """The last `length` interactions of each customer, newest first (ties by type and record_id)."""
    newest = Window.partitionBy(CUSTOMER_ID).orderBy(
        F.col(OCCURRED_AT).desc(), F.col(INTERACTION_TYPE).desc(), F.col(RECORD_ID).desc())
    event = F.struct(OCCURRED_AT, INTERACTION_TYPE, RECORD_ID, SOURCE, CHANNEL, AMOUNT)
    return (timeline.withColumn("_n", F.row_number().over(newest)).where(F.col("_n") <= length)
            .groupBy(CUSTOMER_ID).agg(F.sort_array(F.collect_list(event), asc=False).alias("timeline")))


def _nested(part: DataFrame | None, column: str, kind: str) -> tuple[DataFrame | None, list[Column]]:
    """A nested column joined from part, an empty array (of its type) for customers part lacks."""
    empty = F.array().cast(kind)
    value = F.coalesce(F.col(column), empty) if part is not None else empty
    return part, [value.cast(kind).alias(column)]


def customer_360_rows(inputs: Customer360Inputs) -> DataFrame:
    """One row per golden customer in the contract's column order (no _row_hash, no updated_at)."""
    golden = inputs.golden
    parts: list[tuple[DataFrame | None, list[Column]]] = [(None, [F.col(c) for c in golden.columns])]
    parts.append(_nested(_source_records(inputs.ids, inputs.profiles), "records", RECORDS_TYPE))
    if inputs.kpis is not None:
        parts.append((_kpis(inputs.kpis, inputs.kpi_names),
                      [F.col(kpi_column(n)) for n in inputs.kpi_names] + [F.col(KPIS_AS_OF)]))
    else:
        parts.append((None, [F.lit(None).cast("timestamp").alias(KPIS_AS_OF)]))
    parts.append(_nested(_segments(inputs.segments) if inputs.segments is not None else None, "segments", SEGMENTS_TYPE))
    parts.append(_nested(_scores(inputs.scores) if inputs.scores is not None else None, "scores", SCORES_TYPE))
    types = inputs.interaction_types
    parts.append((_counts(inputs.timeline, types),
                  [F.coalesce(F.col(count_column(t)), F.lit(0)).cast("long").alias(count_column(t)) for t in types]))
    for related, target in inputs.related:
        parts.append((related_profiles(golden, related, target), [F.col(related.column)]))
    parts.append(_nested(_recent(inputs.timeline, inputs.timeline_length), "timeline", TIMELINE_TYPE))
    rows = golden
    for part, _ in parts:
        if part is not None:
            rows = rows.join(part, CUSTOMER_ID, "left")
    return rows.select(*[c for _, columns in parts for c in columns])


@dataclass(frozen=True)
class Customer360Result:
    """How the refresh went: skipped, full, merge or unchanged, and the rows it wrote."""

    mode: Mode
    customers: int
    upserted: int
    deleted: int


def _inputs(spark: SparkSession, workspace: Workspace, lake: Lake) -> Customer360Inputs:
    """Read every input table of one build."""
    golden = read_table(spark, lake.gold(GOLDEN_CUSTOMER.name))
    fed = workspace.silver_types()
    kpis = read_table(spark, lake.gold(KPIS_CUSTOMER.name))
    names = list(workspace.kpis.of_grain("customer")) if workspace.kpis is not None else []
    related = [(r, read_table(spark, lake.silver(r.relationship.to)))
               for r in customer_relationships(workspace.model, golden.columns, fed)]
    return Customer360Inputs(
        golden=golden, ids=read_table(spark, lake.gold(CUSTOMER_IDS.name)),
        profiles=read_table(spark, lake.silver(workspace.model.primary_profile)),
        timeline=read_table(spark, lake.gold(CUSTOMER_TIMELINE.name)), interaction_types=timeline_types(workspace),
        timeline_length=workspace.settings.customer_360.timeline_length,
        kpis=kpis, kpi_names=[n for n in names if kpis is not None and n in kpis.columns],
        segments=read_table(spark, lake.gold(SEGMENT_MEMBERSHIP.name)),
        scores=read_table(spark, lake.gold(SCORES.name)),
        related=[(r, t) for r, t in related if t is not None])


def _read_from(workspace: Workspace, lake: Lake) -> list[str]:
    """Every table a build may read (a table not written yet has version None)."""
    tables = [GOLDEN_CUSTOMER, CUSTOMER_IDS, KPIS_CUSTOMER, SEGMENT_MEMBERSHIP, SCORES, CUSTOMER_TIMELINE]
    profiles = {workspace.model.primary_profile} | {r.to for r in workspace.model.relationships.values()}
    return [*(lake.gold(t.name) for t in tables),
            *(lake.silver(p) for p in sorted(profiles) if p in workspace.silver_types())]


def build_customer_360(spark: SparkSession, workspace: Workspace, lake: Lake,
                       now: datetime | None = None) -> Customer360Result:
    """Bring gold/customer_360 up to date: only customers whose row changed are rewritten."""
    path = lake.gold(CUSTOMER_360.name)
    built = built_from(spark, lake, _read_from(workspace, lake),
                       settings=workspace.settings.customer_360.model_dump(),
                       relationships={n: r.model_dump(by_alias=True) for n, r in workspace.model.relationships.items()},
                       kpis=sorted(workspace.kpis.of_grain("customer")) if workspace.kpis is not None else [])
    at = (now or datetime.now(UTC)).replace(microsecond=0)

    def rebuild() -> DataFrame:
        rows = with_row_hash(customer_360_rows(_inputs(spark, workspace, lake)))
        return rows.withColumn(UPDATED_AT, F.lit(at).cast("timestamp")).localCheckpoint(eager=True)

    plan = plan_refresh(spark, path, built, rebuild, [CUSTOMER_ID])
    if plan.full is not None:
        overwrite(by_customer_id(plan.full), path, built=built, properties=stats_only_on([CUSTOMER_ID]))
    elif plan.changes is not None and not plan.changes.empty:
        merge(spark, path, plan.changes.merge_builder(plan.changes.upserts.columns), built=built)
    customers = read_table(spark, lake.gold(CUSTOMER_360.name)).count()
    return Customer360Result(plan.mode, customers, customers if plan.full is not None else plan.upserted,
                             plan.deleted)
