"""Business KPIs: one value per period (day, week, month) and dimension value, as a long table.

A KPI has a row for a period (and dimension value) when at least one interaction it counts
falls in it; periods without any are absent rather than 0 or null.

All business KPIs over one interaction table come out of one aggregation with grouping sets
(one set per time grain and dimension), so the table is read once. Anonymous interactions
(no customer) count too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.kpis.compile import aggregate_sql, derived_sql, dimension_column, timestamp
from jobs.kpis.inputs import interaction_rows
from jobs.kpis.windows import earliest_start, shift
from schemas.kpis import Kpi, KpiFile, derived_order
from schemas.model import OCCURRED_AT
from schemas.sql import column_names, parse
from schemas.tables import Lake
from schemas.workspace import Workspace

KEY = ["kpi", "grain", "period", "dimension", "dimension_value"]
COLUMNS = [*KEY, "value"]
Periods = dict[str, set[date]]  # time grain -> period starts


def business_kpis(
    spark: SparkSession, workspace: Workspace, lake: Lake, as_of: datetime,
    names: list[str] | None = None, periods: Periods | None = None,
) -> DataFrame:
    """(kpi, grain, period, dimension, dimension_value, value) of business KPIs at as_of.

    `periods` limits the result to those periods (per time grain), which is what an
    incremental run recomputes; derived KPIs then need their inputs in `names` too.
    """
    definitions: KpiFile = workspace.kpis
    kpis = {n: k for n, k in definitions.of_grain("business").items() if names is None or n in names}
    frames = []
    for (interaction, role), group in _by_table(kpis).items():
        rows = interaction_rows(spark, workspace, lake, interaction, role)
        roles = list(workspace.model.interactions[interaction].links)
        frames.append(aggregate_periods(rows, group, as_of, roles, periods))
    base = _union(spark, frames)
    return add_derived(base, kpis, as_of)


def _by_table(kpis: dict[str, Kpi]) -> dict[tuple[str, str], dict[str, Kpi]]:
    groups: dict[tuple[str, str], dict[str, Kpi]] = {}
    for name, kpi in kpis.items():
        if not kpi.derived:
            groups.setdefault((kpi.interaction, kpi.role), {})[name] = kpi  # type: ignore[index]
    return groups


def aggregate_periods(
    rows: DataFrame, kpis: dict[str, Kpi], as_of: datetime, roles: list[str], periods: Periods | None = None
) -> DataFrame:
    """Every KPI of one table per period and dimension value, in one grouping-sets aggregation."""
    keep = F.col(OCCURRED_AT) < F.expr(timestamp(as_of).sql("spark"))
    start = earliest_start(list(kpis.values()), as_of)
    if start is not None:
        keep &= F.col(OCCURRED_AT) >= F.expr(timestamp(start).sql("spark"))
    grains = sorted({k.time_grain for k in kpis.values()})
    dims = sorted({d for k in kpis.values() if (d := dimension_column(k, roles)) is not None})
    if periods is not None:
        keep &= period_filter(periods, grains)
    columns = [f"_p_{g}" for g in grains] + [f"_d_{d}" for d in dims]
    prepared = rows.where(keep).select(
        "*",
        *[F.to_date(F.date_trunc(g, OCCURRED_AT)).alias(f"_p_{g}") for g in grains],
        *[F.col(d).cast("string").alias(f"_d_{d}") for d in dims],
    )
    sets = {_set_of(k, roles) for k in kpis.values()}
    ordered_sets = sorted(sets, key=str)
    aggregated = prepared.groupingSets(
        [[c for c in s if c] for s in ordered_sets], *columns
    ).agg(
        F.expr("grouping_id()").alias("_gid"),
        *[F.expr(aggregate_sql(k, as_of, roles)).alias(n) for n, k in kpis.items()],
        *[F.expr(aggregate_sql(_counter(k), as_of, roles)).alias(f"_n_{n}") for n, k in kpis.items()],
    )
    parts = []
    for name, kpi in kpis.items():
        group_set = _set_of(kpi, roles)
        gid = sum(1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in group_set)
        dim = dimension_column(kpi, roles)
        parts.append(
            aggregated.where((F.col("_gid") == gid) & (F.col(f"_n_{name}") > 0)).select(
                F.lit(name).alias("kpi"),
                F.lit(kpi.time_grain).alias("grain"),
                F.col(f"_p_{kpi.time_grain}").alias("period"),
                F.lit(kpi.dimension).cast("string").alias("dimension"),
                (F.col(f"_d_{dim}") if dim else F.lit(None).cast("string")).alias("dimension_value"),
                F.col(name).try_cast("double").alias("value"),
            )
        )
    result = parts[0]
    for part in parts[1:]:
        result = result.unionByName(part)
    if periods is not None:  # a touched week may reach outside the rows read for a touched month
        result = result.where(in_periods(periods))
    return result


def _counter(kpi: Kpi) -> Kpi:
    """count(*) over the rows the KPI counts: a period appears only where at least one is."""
    return kpi.model_copy(update={"expr": "count(*)"})


def _set_of(kpi: Kpi, roles: list[str]) -> tuple[str, str]:
    dim = dimension_column(kpi, roles)
    return (f"_p_{kpi.time_grain}", f"_d_{dim}" if dim else "")


def period_filter(periods: Periods, grains: list[str]):
    """Rows inside any touched period of the grains computed here (None of them: no rows)."""
    condition = F.lit(False)
    for grain in grains:
        for start in periods.get(grain, set()):
            begin = datetime(start.year, start.month, start.day, tzinfo=UTC)
            end = shift(begin, grain, 1)
            condition |= (F.col(OCCURRED_AT) >= F.expr(timestamp(begin).sql("spark"))) & (
                F.col(OCCURRED_AT) < F.expr(timestamp(end).sql("spark"))
            )
    return condition


def in_periods(periods: Periods):
    """Rows of gold/kpis_business whose (grain, period) is one of periods."""
    condition = F.lit(False)
    for grain, starts in periods.items():
        if starts:
            condition |= (F.col("grain") == grain) & F.col("period").isin(sorted(starts))
    return condition


def touched_periods(changed: DataFrame, grains: list[str]) -> Periods:
    """The period starts of each grain that changed rows fall in."""
    if not grains:
        return {}
    firsts = changed.where(F.col(OCCURRED_AT).isNotNull()).select(
        *[F.to_date(F.date_trunc(g, OCCURRED_AT)).alias(g) for g in grains]
    ).distinct().collect()
    return {g: {row[g] for row in firsts} for g in grains}


def add_derived(base: DataFrame, kpis: dict[str, Kpi], as_of: datetime) -> DataFrame:
    """Business KPIs computed from others: per (grain, period, dimension value) of their inputs."""
    result = base
    for name in derived_order(kpis):
        kpi = kpis[name]
        inputs = sorted(column_names(parse(kpi.expr)) & set(kpis))
        wide = (
            result.where(F.col("kpi").isin(inputs))
            .groupBy("grain", "period", "dimension", "dimension_value")
            .pivot("kpi", inputs)
            .agg(F.first("value"))
        )
        derived = wide.select(
            F.lit(name).alias("kpi"), "grain", "period", "dimension", "dimension_value",
            F.expr(derived_sql(kpi, as_of)).try_cast("double").alias("value"),
        )
        result = result.unionByName(derived)
    return result.select(*COLUMNS)


def _union(spark: SparkSession, frames: list[DataFrame]) -> DataFrame:
    if not frames:
        return spark.createDataFrame(
            [], "kpi string, grain string, period date, dimension string, dimension_value string, value double"
        )
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result
