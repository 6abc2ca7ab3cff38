"""Keep gold/kpis_customer and gold/kpis_business up to date: full or incremental runs.

A run compares what the table was last computed from (jobs/kpis/state.py) with now. Same
definitions and as_of, and only new versions of the inputs: it reads the change data feed of
the changed silver interaction tables and compares the two versions of identity
resolution's interaction -> customer map, recomputes only the customers (and periods) those
rows touch, and MERGEs them in, giving the values a full recompute gives. Anything else
(first run, changed definitions, a moved as_of, an unreadable feed or version) is a full
recompute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from delta.tables import DeltaTable
from pyspark.errors import AnalysisException, PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta import read_table, stats_only_on
from jobs.kpis.asof import resolve_as_of
from jobs.kpis.business import COLUMNS as BUSINESS_COLUMNS
from jobs.kpis.business import KEY as BUSINESS_KEY
from jobs.kpis.business import Periods, add_derived as add_business_derived
from jobs.kpis.business import aggregate_periods, business_kpis, in_periods, touched_periods
from jobs.kpis.customer import (
    AS_OF_COL,
    add_derived,
    aggregate_table,
    by_table,
    compute,
    empty_values,
)
from jobs.kpis.inputs import customers, interaction_rows
from jobs.kpis.state import RunState, changes, commit_metadata, fingerprint, input_versions, last_state
from schemas.kpis import Kpi, KpiFile
from schemas.catalog import CUSTOMER_IDS, INTERACTION_CUSTOMERS
from schemas.tables import CUSTOMER_ID, Lake
from schemas.workspace import Workspace

KPIS_CUSTOMER, KPIS_BUSINESS = "kpis_customer", "kpis_business"
COMPUTED_AT = "computed_at"


@dataclass(frozen=True)
class KpiRun:
    """What one refresh did."""

    table: str
    mode: str  # full | incremental | unchanged
    reason: str
    as_of: datetime
    recomputed: int  # customers (or periods) recomputed
    rows: int


def kpi_interactions(definitions: KpiFile, grain: str | None = None) -> list[str]:
    """Interaction types the (customer or business) KPIs aggregate."""
    kpis = definitions.kpis if grain is None else definitions.of_grain(grain)
    return sorted({k.interaction for k in kpis.values() if k.interaction})


def workspace_as_of(spark: SparkSession, workspace: Workspace, lake: Lake, definitions: KpiFile | None = None) -> datetime:
    """The as_of of the workspace's kpis.yaml, resolved against the lake now."""
    definitions = definitions or workspace.kpis or KpiFile(kpis={})
    return resolve_as_of(spark, lake, definitions.as_of, kpi_interactions(definitions))


# ------------------------------------------------------------------ customer KPIs


def refresh_customer_kpis(
    spark: SparkSession, workspace: Workspace, lake: Lake, *, full: bool = False,
    definitions: KpiFile | None = None, path: str | None = None,
) -> KpiRun:
    """Bring gold/kpis_customer (or `path`) up to date; `definitions` overrides kpis.yaml (benchmarks)."""
    definitions = definitions or workspace.kpis
    kpis = definitions.of_grain("customer")
    path = path or lake.gold(KPIS_CUSTOMER)
    as_of = workspace_as_of(spark, workspace, lake, definitions)
    tables = {i: lake.silver(i) for i in kpi_interactions(definitions, "customer")}
    identity = [lake.gold(CUSTOMER_IDS.name), lake.gold(INTERACTION_CUSTOMERS.name)]
    primary = lake.silver(workspace.model.primary_profile or "customer")
    state = RunState(fingerprint(kpis), as_of.isoformat(), input_versions(spark, [*tables.values(), primary, *identity]))
    previous = last_state(spark, path)
    reason = _full_reason(previous, state, identity, full)
    if reason is None and previous is not None and previous.versions == state.versions:
        return KpiRun(path, "unchanged", "no input changed", as_of, 0, _count(spark, path))
    if reason is None:
        try:
            return _incremental_customers(spark, workspace, lake, kpis, as_of, path, previous, state, tables, primary)
        except _FeedUnavailable as error:
            reason = str(error)
    population = customers(spark, workspace, lake)
    frame = compute(spark, workspace, lake, kpis, as_of, population)
    table = frame.select(CUSTOMER_ID, *kpis, AS_OF_COL).withColumn(COMPUTED_AT, F.lit(datetime.now(UTC)))
    _overwrite(table, path, state, [CUSTOMER_ID])
    rows = _count(spark, path)
    return KpiRun(path, "full", reason, as_of, rows, rows)


class _FeedUnavailable(RuntimeError):
    """The change data feed cannot say what changed: recompute everything."""


def _full_reason(previous: RunState | None, state: RunState, identity: list[str], full: bool) -> str | None:
    if full:
        return "full recompute asked for"
    if previous is None:
        return "first run"
    if previous.fingerprint != state.fingerprint:
        return "KPI definitions changed"
    if previous.as_of != state.as_of:
        return f"as_of moved from {previous.as_of} to {state.as_of}"
    for path in identity:
        if (previous.versions.get(path) is None) != (state.versions.get(path) is None):
            return f"identity resolution output {path.rsplit('/', 1)[-1]} appeared or vanished"
    if set(previous.versions) != set(state.versions):
        return "the set of input tables changed"
    return None


def _touched_customers(
    spark: SparkSession, workspace: Workspace, lake: Lake, interaction: str, role: str,
    previous: RunState, state: RunState, path: str,
) -> DataFrame | None:
    """customer_ids with rows changed in an interaction table since the last run (None: unchanged)."""
    before, now = previous.versions.get(path), state.versions.get(path)
    if before == now:
        return None
    if before is None or now is None:
        raise _FeedUnavailable(f"{path.rsplit('/', 2)[-2:]} appeared or vanished")
    feed = changes(spark, path, before, now)
    if feed is None:
        raise _FeedUnavailable(f"change data feed of {path} unreadable for versions {before + 1}..{now}")
    rows = interaction_rows(spark, workspace, lake, interaction, role, rows=feed)
    try:
        return rows.where(F.col(CUSTOMER_ID).isNotNull()).select(CUSTOMER_ID).distinct().localCheckpoint()
    except (AnalysisException, PySparkException) as error:
        raise _FeedUnavailable(f"change data feed of {path}: {error}") from error


def _remapped_customers(
    spark: SparkSession, lake: Lake, interaction: str, role: str, previous: RunState, state: RunState
) -> DataFrame | None:
    """customer_ids (before and after) of interactions identity resolution now assigns differently."""
    path = lake.gold(INTERACTION_CUSTOMERS.name)
    before, now = previous.versions.get(path), state.versions.get(path)
    if before is None or before == now:
        return None

    def mapping(version: int) -> DataFrame:
        table = spark.read.format("delta").option("versionAsOf", version).load(path)
        return table.where((F.col("interaction_type") == interaction) & (F.col("role") == role)).select(
            "record_id", CUSTOMER_ID
        )

    old, new = mapping(before).alias("o"), mapping(now).alias("n")
    changed = old.join(new, "record_id", "full_outer").where(~F.col(f"o.{CUSTOMER_ID}").eqNullSafe(F.col(f"n.{CUSTOMER_ID}")))
    ids = changed.select(F.explode(F.array(f"o.{CUSTOMER_ID}", f"n.{CUSTOMER_ID}")).alias(CUSTOMER_ID))
    try:
        return ids.where(F.col(CUSTOMER_ID).isNotNull()).distinct().localCheckpoint()
    except (AnalysisException, PySparkException) as error:
        raise _FeedUnavailable(f"earlier version {before} of {path} unreadable: {error}") from error


def _incremental_customers(
    spark: SparkSession, workspace: Workspace, lake: Lake, kpis: dict[str, Kpi], as_of: datetime,
    path: str, previous: RunState, state: RunState, tables: dict[str, str], primary: str,
) -> KpiRun:
    groups = by_table(kpis)
    touched = {}
    for (interaction, role) in groups:
        changed = [
            _touched_customers(spark, workspace, lake, interaction, role, previous, state, tables[interaction]),
            _remapped_customers(spark, lake, interaction, role, previous, state),
        ]
        changed = [ids for ids in changed if ids is not None]
        if changed:
            ids = changed[0] if len(changed) == 1 else changed[0].unionByName(changed[1]).distinct().localCheckpoint()
            touched[(interaction, role)] = ids
    current = read_table(spark, path)
    known = current.select(CUSTOMER_ID)
    population_inputs = (primary, lake.gold(CUSTOMER_IDS.name))
    if any(previous.versions.get(p) != state.versions.get(p) for p in population_inputs):
        population = customers(spark, workspace, lake)
        new_ids = population.join(known, CUSTOMER_ID, "left_anti").localCheckpoint()
        gone_ids = known.join(population, CUSTOMER_ID, "left_anti").localCheckpoint()
    else:
        new_ids = gone_ids = known.limit(0)
    # Only customers of the population get a row, as in a full run.
    population = known.unionByName(new_ids)
    touched = {
        key: ids.join(population, CUSTOMER_ID, "left_semi").join(gone_ids, CUSTOMER_ID, "left_anti").localCheckpoint()
        for key, ids in touched.items()
    }
    every = new_ids
    for ids in touched.values():
        every = every.unionByName(ids)
    every = every.distinct().localCheckpoint()
    recomputed = every.count()
    covered = {key: ids.count() == recomputed for key, ids in touched.items()}

    # Old values are read only for KPIs some recomputed customer keeps (its table did not change for it).
    keep_old = [n for key, group in groups.items() if not covered.get(key, False) for n in group]
    frame = every
    if keep_old:
        old = current.join(every, CUSTOMER_ID, "left_semi").select(
            CUSTOMER_ID, F.lit(True).alias("_old"), *[F.col(n).alias(f"_old_{n}") for n in keep_old]
        )
        frame = frame.join(old, CUSTOMER_ID, "left")
    for (interaction, role), group in groups.items():
        rows = interaction_rows(spark, workspace, lake, interaction, role)
        roles = list(workspace.model.interactions[interaction].links)
        empty = empty_values(rows, group, as_of, roles)
        ids = touched.get((interaction, role))
        if ids is None:
            values = {n: F.when(F.col("_old"), F.col(f"_old_{n}")).otherwise(empty[n]) for n in group}
        else:
            flag, has = f"_touched_{interaction}_{role}", f"_has_{interaction}_{role}"
            fresh = aggregate_table(rows.join(F.broadcast(ids), CUSTOMER_ID, "left_semi"), group, as_of, roles)
            frame = frame.join(fresh.withColumn(has, F.lit(True)), CUSTOMER_ID, "left")
            if covered[(interaction, role)]:
                values = {n: F.when(F.col(has), F.col(n)).otherwise(empty[n]) for n in group}
            else:
                frame = frame.join(ids.withColumn(flag, F.lit(True)), CUSTOMER_ID, "left")
                values = {
                    n: F.when(F.col(flag) & F.col(has), F.col(n))
                    .when(F.col(flag).isNull() & F.col("_old"), F.col(f"_old_{n}"))
                    .otherwise(empty[n])
                    for n in group
                }
        frame = frame.select(*[c for c in frame.columns if c not in group], *[v.alias(n) for n, v in values.items()])
    frame = add_derived(frame, kpis, as_of).withColumn(AS_OF_COL, F.lit(as_of))
    now = datetime.now(UTC)
    updates = frame.select(CUSTOMER_ID, *kpis, AS_OF_COL).withColumn(COMPUTED_AT, F.lit(now))
    source = updates.withColumn("_delete", F.lit(False)).unionByName(
        gone_ids.withColumn("_delete", F.lit(True)), allowMissingColumns=True
    )
    columns = [CUSTOMER_ID, *kpis, AS_OF_COL, COMPUTED_AT]
    with commit_metadata(spark, state):
        (
            DeltaTable.forPath(spark, path).alias("t")
            .merge(source.alias("s"), f"t.{CUSTOMER_ID} = s.{CUSTOMER_ID}")
            .whenMatchedDelete(condition="s._delete")
            .whenMatchedUpdate(set={c: f"s.{c}" for c in columns})
            .whenNotMatchedInsert(condition="NOT s._delete", values={c: f"s.{c}" for c in columns})
            .execute()
        )
    return KpiRun(path, "incremental", f"{len(touched)} interaction table(s) changed", as_of, recomputed,
                  _count(spark, path))


# ------------------------------------------------------------------ business KPIs


def refresh_business_kpis(
    spark: SparkSession, workspace: Workspace, lake: Lake, *, full: bool = False,
    definitions: KpiFile | None = None, path: str | None = None,
) -> KpiRun:
    """Bring gold/kpis_business (or `path`) up to date: every period, or only the touched ones."""
    definitions = definitions or workspace.kpis
    kpis = definitions.of_grain("business")
    path = path or lake.gold(KPIS_BUSINESS)
    as_of = workspace_as_of(spark, workspace, lake, definitions)
    tables = {i: lake.silver(i) for i in kpi_interactions(definitions, "business")}
    identity = [lake.gold(CUSTOMER_IDS.name), lake.gold(INTERACTION_CUSTOMERS.name)]
    state = RunState(fingerprint(kpis), as_of.isoformat(), input_versions(spark, [*tables.values(), *identity]))
    previous = last_state(spark, path)
    reason = _full_reason(previous, state, identity, full)
    if reason is None and previous is not None and previous.versions == state.versions:
        return KpiRun(path, "unchanged", "no input changed", as_of, 0, _count(spark, path))
    if reason is None and previous is not None and _counts_customers(kpis) and any(
        previous.versions.get(p) != state.versions.get(p) for p in identity
    ):
        reason = "identity resolution changed and business KPIs count customers"
    if reason is None:
        try:
            return _incremental_business(spark, workspace, lake, definitions, kpis, as_of, path, previous, state, tables)
        except _FeedUnavailable as error:
            reason = str(error)
    table = business_kpis(spark, workspace, lake, as_of, list(kpis))
    _overwrite(_stamp(table, as_of), path, state, ["kpi", "grain", "period"])
    rows = _count(spark, path)
    return KpiRun(path, "full", reason, as_of, rows, rows)


def _counts_customers(kpis: dict[str, Kpi]) -> bool:
    """Whether any business KPI reads customer_id (then identity resolution changes its values)."""
    from schemas.sql import column_names, parse

    return any(CUSTOMER_ID in column_names(parse(k.expr)) | column_names(parse(k.filter or "true")) for k in kpis.values())


def _stamp(table: DataFrame, as_of: datetime) -> DataFrame:
    return table.select(*BUSINESS_COLUMNS).withColumn(AS_OF_COL, F.lit(as_of)).withColumn(
        COMPUTED_AT, F.lit(datetime.now(UTC))
    )


def _incremental_business(
    spark: SparkSession, workspace: Workspace, lake: Lake, definitions: KpiFile, kpis: dict[str, Kpi],
    as_of: datetime, path: str, previous: RunState, state: RunState, tables: dict[str, str],
) -> KpiRun:
    grains = sorted({k.time_grain for k in kpis.values()})
    changed: dict[str, DataFrame] = {}
    for interaction, table_path in tables.items():
        before, now = previous.versions.get(table_path), state.versions.get(table_path)
        if before == now:
            continue
        if before is None or now is None:
            raise _FeedUnavailable(f"{table_path} appeared or vanished")
        feed = changes(spark, table_path, before, now)
        if feed is None:
            raise _FeedUnavailable(f"change data feed of {table_path} unreadable")
        changed[interaction] = feed
    periods: Periods = {g: set() for g in grains}
    try:
        for feed in changed.values():
            for grain, starts in touched_periods(feed, grains).items():
                periods[grain] |= starts
    except (AnalysisException, PySparkException) as error:
        raise _FeedUnavailable(f"change data feed: {error}") from error

    recomputed_kpis = {n: k for n, k in kpis.items() if not k.derived and k.interaction in changed}
    frames = []
    for interaction in sorted(changed):
        for role in sorted({k.role for k in recomputed_kpis.values() if k.interaction == interaction}):
            group = {n: k for n, k in recomputed_kpis.items() if k.interaction == interaction and k.role == role}
            rows = interaction_rows(spark, workspace, lake, interaction, role)
            roles = list(workspace.model.interactions[interaction].links)
            frames.append(aggregate_periods(rows, group, as_of, roles, periods))
    touched = in_periods(periods)
    kept = read_table(spark, path).where(touched & ~F.col("kpi").isin(list(recomputed_kpis))).select(*BUSINESS_COLUMNS)
    base = kept
    for frame in frames:
        base = base.unionByName(frame)
    derived = [n for n, k in kpis.items() if k.derived]
    with_derived = add_business_derived(base.where(~F.col("kpi").isin(derived)), kpis, as_of)
    affected = [*recomputed_kpis, *derived]
    source = _stamp(with_derived.where(F.col("kpi").isin(affected)), as_of).localCheckpoint()
    on = " AND ".join(
        f"t.{c} <=> s.{c}" if c.startswith("dimension") else f"t.{c} = s.{c}" for c in BUSINESS_KEY
    )
    stale = _sql_in_periods(periods, "t") + " AND t.kpi IN (" + ", ".join(f"'{k}'" for k in affected) + ")"
    with commit_metadata(spark, state):
        (
            DeltaTable.forPath(spark, path).alias("t")
            .merge(source.alias("s"), on)
            .whenMatchedUpdate(set={c: f"s.{c}" for c in ("value", AS_OF_COL, COMPUTED_AT)})
            .whenNotMatchedInsertAll()
            .whenNotMatchedBySourceDelete(condition=stale)
            .execute()
        )
    count = sum(len(s) for s in periods.values())
    return KpiRun(path, "incremental", f"{len(changed)} interaction table(s) changed", as_of, count,
                  _count(spark, path))


def _sql_in_periods(periods: Periods, alias: str) -> str:
    """The same test as in_periods, as SQL text for a MERGE condition."""
    parts = []
    for grain, starts in periods.items():
        if starts:
            dates = ", ".join(f"DATE'{d.isoformat()}'" for d in sorted(starts))
            parts.append(f"({alias}.grain = '{grain}' AND {alias}.period IN ({dates}))")
    return "(" + (" OR ".join(parts) or "false") + ")"


# ------------------------------------------------------------------ writing


def _overwrite(table: DataFrame, path: str, state: RunState, stats_columns: list[str]) -> None:
    """Replace the table; per-file statistics only on the key columns (set when the table is created).

    Min/max statistics on 50 KPI columns cost more to collect than they save: nobody prunes
    files of a one-row-per-customer table by a KPI's value.
    """
    (
        table.write.format("delta").mode("overwrite")
        .option("overwriteSchema", "true")
        .option("userMetadata", state.to_json())
        .options(**stats_only_on(stats_columns))
        .save(path)
    )


def _count(spark: SparkSession, path: str) -> int:
    table = read_table(spark, path)
    return 0 if table is None else table.count()
