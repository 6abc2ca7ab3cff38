"""The plan of a business KPI refresh: every period, or only the periods changed rows fall in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from delta.tables import DeltaMergeBuilder, DeltaTable
from pyspark.errors import AnalysisException, PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.built_from import BuiltFrom, last_built_from
from jobs.delta import read_table
from jobs.kpis.business import COLUMNS as BUSINESS_COLUMNS
from jobs.kpis.business import KEY as BUSINESS_KEY
from jobs.kpis.business import Periods, add_derived, aggregate_periods, business_kpis, in_periods, touched_periods
from jobs.kpis.customer import AS_OF_COL
from jobs.kpis.inputs import interaction_rows
from jobs.kpis.refresh import (
    COMPUTED_AT,
    FeedUnavailable,
    KpiPlan,
    changed_inputs,
    full_reason,
    identity_paths,
    kpi_interactions,
    versions,
    workspace_as_of,
)
from jobs.kpis.state import changes, kpi_built_from
from schemas.kpis import Kpi, KpiFile
from schemas.tables import CUSTOMER_ID, Lake
from schemas.workspace import Workspace


@dataclass(frozen=True)
class BusinessRun:
    """Everything an incremental business refresh reads: the tables, and the two build records."""

    spark: SparkSession
    workspace: Workspace
    lake: Lake
    kpis: dict[str, Kpi]
    as_of: datetime
    path: str
    previous: BuiltFrom
    now: BuiltFrom
    tables: dict[str, str]  # interaction -> silver path


def plan_business_kpis(
    spark: SparkSession, workspace: Workspace, lake: Lake, definitions: KpiFile, path: str, *, full: bool = False,
) -> KpiPlan:
    """What bringing the business KPI table at path up to date with these definitions takes."""
    kpis = definitions.of_grain("business")
    as_of = workspace_as_of(spark, workspace, lake, definitions)
    tables = {i: lake.silver(i) for i in kpi_interactions(definitions, "business")}
    identity = identity_paths(lake)
    now = kpi_built_from(spark, lake, kpis, as_of, [*tables.values(), *identity])
    previous = last_built_from(spark, path, lake)
    reason = full_reason(previous, now, full)
    if reason is None and previous == now:
        return KpiPlan("unchanged", "no input changed", as_of, now)
    if reason is None and _counts_customers(kpis) and changed_inputs(previous, now, lake, identity):
        reason = "identity resolution changed and business KPIs count customers"
    if reason is None:
        try:
            return _incremental(BusinessRun(spark, workspace, lake, kpis, as_of, path, previous, now, tables))
        except FeedUnavailable as error:
            reason = str(error)
    table = business_kpis(spark, workspace, lake, as_of, list(kpis))
    return KpiPlan("full", reason, as_of, now, frame=_stamp(table, as_of), stats_columns=("kpi", "grain", "period"))


def _counts_customers(kpis: dict[str, Kpi]) -> bool:
    """Whether any business KPI reads customer_id (then identity resolution changes its values)."""
    from schemas.sql import column_names, parse

    return any(CUSTOMER_ID in column_names(parse(k.expr)) | column_names(parse(k.filter or "true")) for k in kpis.values())


def _stamp(table: DataFrame, as_of: datetime) -> DataFrame:
    return table.select(*BUSINESS_COLUMNS).withColumn(AS_OF_COL, F.lit(as_of)).withColumn(
        COMPUTED_AT, F.lit(datetime.now(UTC))
    )


def _changed_feeds(run: BusinessRun) -> dict[str, DataFrame]:
    """interaction -> the change data feed of its table since the last run, for tables that changed."""
    changed: dict[str, DataFrame] = {}
    for interaction, table_path in run.tables.items():
        before, now = versions(run.previous, run.now, run.lake, table_path)
        if before == now:
            continue
        name = run.lake.name_of(table_path)
        if before is None or now is None:
            raise FeedUnavailable(f"{name} {'appeared' if before is None else 'vanished'} since the last run "
                                  f"(version {before}, now {now})")
        feed = changes(run.spark, table_path, before, now)
        if feed is None:
            raise FeedUnavailable(f"change data feed of {name} unreadable for versions {before + 1}..{now}")
        changed[interaction] = feed
    return changed


def _touched(changed: dict[str, DataFrame], grains: list[str]) -> Periods:
    """Per time grain, the period starts the changed rows fall in."""
    periods: Periods = {g: set() for g in grains}
    try:
        for feed in changed.values():
            for grain, starts in touched_periods(feed, grains).items():
                periods[grain] |= starts
    except (AnalysisException, PySparkException) as error:
        raise FeedUnavailable(f"change data feed: {error}") from error
    return periods


def _incremental(run: BusinessRun) -> KpiPlan:
    kpis, as_of = run.kpis, run.as_of
    changed = _changed_feeds(run)
    periods = _touched(changed, sorted({k.time_grain for k in kpis.values()}))
    recomputed_kpis = {n: k for n, k in kpis.items() if not k.derived and k.interaction in changed}
    frames = []
    for interaction in sorted(changed):
        for role in sorted({k.role for k in recomputed_kpis.values() if k.interaction == interaction}):
            group = {n: k for n, k in recomputed_kpis.items() if k.interaction == interaction and k.role == role}
            rows = interaction_rows(run.spark, run.workspace, run.lake, interaction, role)
            roles = list(run.workspace.model.interactions[interaction].links)
            frames.append(aggregate_periods(rows, group, as_of, roles, periods))
    touched = in_periods(periods)
    base = read_table(run.spark, run.path).where(touched & ~F.col("kpi").isin(list(recomputed_kpis))).select(
        *BUSINESS_COLUMNS
    )
    for frame in frames:
        base = base.unionByName(frame)
    derived = [n for n, k in kpis.items() if k.derived]
    with_derived = add_derived(base.where(~F.col("kpi").isin(derived)), kpis, as_of)
    affected = [*recomputed_kpis, *derived]
    source = _stamp(with_derived.where(F.col("kpi").isin(affected)), as_of).localCheckpoint()
    stale = _sql_in_periods(periods, "t") + " AND t.kpi IN (" + ", ".join(f"'{k}'" for k in affected) + ")"
    return KpiPlan("incremental", f"{len(changed)} interaction table(s) changed", as_of, run.now,
                   recomputed=sum(len(s) for s in periods.values()), merge=_merge(source, stale))


def _merge(source: DataFrame, stale: str) -> Callable[[DeltaTable], DeltaMergeBuilder]:
    """Update and insert the recomputed rows; delete stale rows of the touched periods."""
    on = " AND ".join(
        f"t.{c} <=> s.{c}" if c.startswith("dimension") else f"t.{c} = s.{c}" for c in BUSINESS_KEY
    )

    def build(table: DeltaTable) -> DeltaMergeBuilder:
        return (
            table.alias("t")
            .merge(source.alias("s"), on)
            .whenMatchedUpdate(set={c: f"s.{c}" for c in ("value", AS_OF_COL, COMPUTED_AT)})
            .whenNotMatchedInsertAll()
            .whenNotMatchedBySourceDelete(condition=stale)
        )
    return build


def _sql_in_periods(periods: Periods, alias: str) -> str:
    """The same test as in_periods, as SQL text for a MERGE condition."""
    parts = []
    for grain, starts in periods.items():
        if starts:
            dates = ", ".join(f"DATE'{d.isoformat()}'" for d in sorted(starts))
            parts.append(f"({alias}.grain = '{grain}' AND {alias}.period IN ({dates}))")
    return "(" + (" OR ".join(parts) or "false") + ")"
