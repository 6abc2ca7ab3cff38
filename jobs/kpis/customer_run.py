"""The plan of a customer KPI refresh: everything recomputed, or only the customers changes touch.

An incremental run recomputes the customers whose interactions changed (change data feed) or
whom identity resolution now assigns differently, adds new customers, deletes vanished ones,
and keeps every other value: the MERGE gives the rows a full recompute gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from delta.tables import DeltaMergeBuilder, DeltaTable
from pyspark.errors import AnalysisException, PySparkException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.built_from import BuiltFrom, last_built_from
from jobs.delta import read_table
from jobs.kpis.customer import AS_OF_COL, add_derived, aggregate_table, by_table, compute, empty_values
from jobs.kpis.inputs import customers, interaction_rows
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
from schemas.catalog import CUSTOMER_IDS, INTERACTION_CUSTOMERS
from schemas.kpis import Kpi, KpiFile
from schemas.tables import CUSTOMER_ID, Lake
from schemas.workspace import Workspace

Group = tuple[str, str]  # (interaction, role)


@dataclass(frozen=True)
class CustomerRun:
    """Everything an incremental customer refresh reads: the tables, and the two build records."""

    spark: SparkSession
    workspace: Workspace
    lake: Lake
    kpis: dict[str, Kpi]
    as_of: datetime
    path: str
    previous: BuiltFrom
    now: BuiltFrom
    tables: dict[str, str]  # interaction -> silver path
    primary: str  # silver path of the primary profile


@dataclass(frozen=True)
class Population:
    """Customers to add (new in the population) and to delete (gone from it)."""

    new: DataFrame
    gone: DataFrame


def plan_customer_kpis(
    spark: SparkSession, workspace: Workspace, lake: Lake, definitions: KpiFile, path: str, *, full: bool = False,
) -> KpiPlan:
    """What bringing the customer KPI table at path up to date with these definitions takes."""
    kpis = definitions.of_grain("customer")
    as_of = workspace_as_of(spark, workspace, lake, definitions)
    tables = {i: lake.silver(i) for i in kpi_interactions(definitions, "customer")}
    identity = identity_paths(lake)
    primary = lake.silver(workspace.model.primary_profile or "customer")
    now = kpi_built_from(spark, lake, kpis, as_of, [*tables.values(), primary, *identity])
    previous = last_built_from(spark, path, lake)
    reason = full_reason(previous, now, full)
    if reason is None and previous == now:
        return KpiPlan("unchanged", "no input changed", as_of, now)
    if reason is None:
        try:
            return _incremental(CustomerRun(spark, workspace, lake, kpis, as_of, path, previous, now, tables, primary))
        except FeedUnavailable as error:
            reason = str(error)
    population = customers(spark, workspace, lake)
    frame = compute(spark, workspace, lake, kpis, as_of, population)
    table = frame.select(CUSTOMER_ID, *kpis, AS_OF_COL).withColumn(COMPUTED_AT, F.lit(datetime.now(UTC)))
    return KpiPlan("full", reason, as_of, now, frame=table, stats_columns=(CUSTOMER_ID,))


def _touched_customers(run: CustomerRun, interaction: str, role: str) -> DataFrame | None:
    """customer_ids with rows changed in an interaction table since the last run (None: unchanged)."""
    path = run.tables[interaction]
    before, now = versions(run.previous, run.now, run.lake, path)
    if before == now:
        return None
    if before is None or now is None:
        raise FeedUnavailable(f"{run.lake.name_of(path)} {'appeared' if before is None else 'vanished'} "
                              f"since the last run (version {before}, now {now})")
    feed = changes(run.spark, path, before, now)
    if feed is None:
        raise FeedUnavailable(f"change data feed of {run.lake.name_of(path)} unreadable for versions {before + 1}..{now}")
    rows = interaction_rows(run.spark, run.workspace, run.lake, interaction, role, rows=feed)
    try:
        return rows.where(F.col(CUSTOMER_ID).isNotNull()).select(CUSTOMER_ID).distinct().localCheckpoint()
    except (AnalysisException, PySparkException) as error:
        raise FeedUnavailable(f"change data feed of {run.lake.name_of(path)}: {error}") from error


def _remapped_customers(run: CustomerRun, interaction: str, role: str) -> DataFrame | None:
    """customer_ids (before and after) of interactions identity resolution now assigns differently."""
    path = run.lake.gold(INTERACTION_CUSTOMERS.name)
    before, now = versions(run.previous, run.now, run.lake, path)
    if before is None or before == now:
        return None

    def mapping(version: int) -> DataFrame:
        table = run.spark.read.format("delta").option("versionAsOf", version).load(path)
        return table.where((F.col("interaction_type") == interaction) & (F.col("role") == role)).select(
            "record_id", CUSTOMER_ID
        )

    old, new = mapping(before).alias("o"), mapping(now).alias("n")
    changed = old.join(new, "record_id", "full_outer").where(~F.col(f"o.{CUSTOMER_ID}").eqNullSafe(F.col(f"n.{CUSTOMER_ID}")))
    ids = changed.select(F.explode(F.array(f"o.{CUSTOMER_ID}", f"n.{CUSTOMER_ID}")).alias(CUSTOMER_ID))
    try:
        return ids.where(F.col(CUSTOMER_ID).isNotNull()).distinct().localCheckpoint()
    except (AnalysisException, PySparkException) as error:
        raise FeedUnavailable(f"earlier version {before} of {INTERACTION_CUSTOMERS.key} unreadable: {error}") from error


def _touched(run: CustomerRun, groups: dict[Group, dict[str, Kpi]]) -> dict[Group, DataFrame]:
    """(interaction, role) -> the customers whose values of that group may have changed."""
    touched = {}
    for (interaction, role) in groups:
        changed = [_touched_customers(run, interaction, role), _remapped_customers(run, interaction, role)]
        changed = [ids for ids in changed if ids is not None]
        if changed:
            ids = changed[0] if len(changed) == 1 else changed[0].unionByName(changed[1]).distinct().localCheckpoint()
            touched[(interaction, role)] = ids
    return touched


def _population(run: CustomerRun, known: DataFrame) -> Population:
    """New and vanished customers, looked for only when the population's inputs changed."""
    if changed_inputs(run.previous, run.now, run.lake, (run.primary, run.lake.gold(CUSTOMER_IDS.name))):
        population = customers(run.spark, run.workspace, run.lake)
        return Population(population.join(known, CUSTOMER_ID, "left_anti").localCheckpoint(),
                          known.join(population, CUSTOMER_ID, "left_anti").localCheckpoint())
    empty = known.limit(0)
    return Population(empty, empty)


def _group_values(
    run: CustomerRun, frame: DataFrame, group_key: Group, group: dict[str, Kpi], ids: DataFrame | None, covered: bool,
) -> tuple[DataFrame, dict[str, Column]]:
    """The frame joined with what one group's values need, and each KPI's value expression."""
    interaction, role = group_key
    rows = interaction_rows(run.spark, run.workspace, run.lake, interaction, role)
    roles = list(run.workspace.model.interactions[interaction].links)
    empty = empty_values(rows, group, run.as_of, roles)
    if ids is None:
        return frame, {n: F.when(F.col("_old"), F.col(f"_old_{n}")).otherwise(empty[n]) for n in group}
    flag, has = f"_touched_{interaction}_{role}", f"_has_{interaction}_{role}"
    fresh = aggregate_table(rows.join(F.broadcast(ids), CUSTOMER_ID, "left_semi"), group, run.as_of, roles)
    frame = frame.join(fresh.withColumn(has, F.lit(True)), CUSTOMER_ID, "left")
    if covered:
        return frame, {n: F.when(F.col(has), F.col(n)).otherwise(empty[n]) for n in group}
    frame = frame.join(ids.withColumn(flag, F.lit(True)), CUSTOMER_ID, "left")
    return frame, {
        n: F.when(F.col(flag) & F.col(has), F.col(n))
        .when(F.col(flag).isNull() & F.col("_old"), F.col(f"_old_{n}"))
        .otherwise(empty[n])
        for n in group
    }


def _recompute(
    run: CustomerRun, groups: dict[Group, dict[str, Kpi]], current: DataFrame, every: DataFrame,
    touched: dict[Group, DataFrame], covered: dict[Group, bool],
) -> DataFrame:
    """New values of every recomputed customer: fresh where its table changed for it, else kept."""
    # Old values are read only for KPIs some recomputed customer keeps (its table did not change for it).
    keep_old = [n for key, group in groups.items() if not covered.get(key, False) for n in group]
    frame = every
    if keep_old:
        old = current.join(every, CUSTOMER_ID, "left_semi").select(
            CUSTOMER_ID, F.lit(True).alias("_old"), *[F.col(n).alias(f"_old_{n}") for n in keep_old]
        )
        frame = frame.join(old, CUSTOMER_ID, "left")
    for key, group in groups.items():
        frame, values = _group_values(run, frame, key, group, touched.get(key), covered.get(key, False))
        frame = frame.select(*[c for c in frame.columns if c not in group], *[v.alias(n) for n, v in values.items()])
    return add_derived(frame, run.kpis, run.as_of).withColumn(AS_OF_COL, F.lit(run.as_of))


def _incremental(run: CustomerRun) -> KpiPlan:
    groups = by_table(run.kpis)
    touched = _touched(run, groups)
    current = read_table(run.spark, run.path)
    known = current.select(CUSTOMER_ID)
    change = _population(run, known)
    # Only customers of the population get a row, as in a full run.
    population = known.unionByName(change.new)
    touched = {
        key: ids.join(population, CUSTOMER_ID, "left_semi").join(change.gone, CUSTOMER_ID, "left_anti").localCheckpoint()
        for key, ids in touched.items()
    }
    every = change.new
    for ids in touched.values():
        every = every.unionByName(ids)
    every = every.distinct().localCheckpoint()
    recomputed = every.count()
    covered = {key: ids.count() == recomputed for key, ids in touched.items()}
    frame = _recompute(run, groups, current, every, touched, covered)
    updates = frame.select(CUSTOMER_ID, *run.kpis, AS_OF_COL).withColumn(COMPUTED_AT, F.lit(datetime.now(UTC)))
    source = updates.withColumn("_delete", F.lit(False)).unionByName(
        change.gone.withColumn("_delete", F.lit(True)), allowMissingColumns=True
    )
    return KpiPlan("incremental", f"{len(touched)} interaction table(s) changed", run.as_of, run.now,
                   recomputed=recomputed, merge=_merge(source, [CUSTOMER_ID, *run.kpis, AS_OF_COL, COMPUTED_AT]))


def _merge(source: DataFrame, columns: list[str]) -> Callable[[DeltaTable], DeltaMergeBuilder]:
    """Update recomputed customers, insert new ones, delete the vanished."""
    def build(table: DeltaTable) -> DeltaMergeBuilder:
        return (
            table.alias("t")
            .merge(source.alias("s"), f"t.{CUSTOMER_ID} = s.{CUSTOMER_ID}")
            .whenMatchedDelete(condition="s._delete")
            .whenMatchedUpdate(set={c: f"s.{c}" for c in columns})
            .whenNotMatchedInsert(condition="NOT s._delete", values={c: f"s.{c}" for c in columns})
        )
    return build
