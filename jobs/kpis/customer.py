"""Customer KPIs: one aggregation per interaction table carrying every KPI over it.

Each KPI's filter and window ride on its aggregate calls (FILTER (WHERE ...)), so 5 or 50
KPIs over a table cost one scan and one shuffle. KPIs computed from other KPIs are evaluated
on the joined result. Customers without any counted interaction get what the aggregate
gives over no rows (0 for count(*), null for sum), exactly as a recomputation would.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.kpis.compile import aggregate_sql, columns_read, derived_sql, timestamp
from jobs.kpis.inputs import customers, interaction_rows
from jobs.kpis.windows import earliest_start
from schemas.kpis import Kpi, KpiFile, derived_order
from schemas.model import OCCURRED_AT
from schemas.sql import column_names, parse
from schemas.tables import CUSTOMER_ID, Lake
from schemas.workspace import Workspace

AS_OF_COL = "as_of"
PLAIN_TYPES = (T.BooleanType, T.IntegerType, T.LongType, T.DoubleType, T.FloatType, T.StringType, T.DecimalType)
TableKey = tuple[str, str]  # (interaction type, role)


def customer_kpis(
    spark: SparkSession, workspace: Workspace, lake: Lake, as_of: datetime, names: list[str] | None = None
) -> DataFrame:
    """Point-in-time customer KPIs: customer_id, one column per KPI, as_of.

    Contract: one row per customer of the population (jobs.customers.customer_population,
    resolved customers once identity resolution ran); only interactions with
    occurred_at < as_of count, and every window ends at as_of, so passing a past as_of gives
    the values the KPIs had then (as far as silver still holds those interactions).
    `names` picks customer KPIs of kpis.yaml (default: all, in declared order); KPIs they
    are computed from are evaluated but not returned. as_of must be timezone-aware (UTC).
    The normal run (gold/kpis_customer) calls this with the workspace's as_of.
    """
    definitions: KpiFile | None = workspace.kpis
    if definitions is None:
        raise ValueError("the workspace has no kpis.yaml")
    wanted = names or list(definitions.of_grain("customer"))
    kpis = with_dependencies(definitions, wanted)
    frame = compute(spark, workspace, lake, kpis, as_of, customers(spark, workspace, lake))
    return frame.select(CUSTOMER_ID, *wanted, AS_OF_COL)


def with_dependencies(definitions: KpiFile, names: Iterable[str]) -> dict[str, Kpi]:
    """The named customer KPIs plus every KPI they are computed from, in declared order."""
    known = definitions.of_grain("customer")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown customer KPIs {unknown} (known: {sorted(known)})")
    needed, queue = set(), list(names)
    while queue:
        name = queue.pop()
        if name not in needed:
            needed.add(name)
            if known[name].derived:
                queue += [c for c in column_names(parse(known[name].expr)) if c in known]
    return {n: k for n, k in known.items() if n in needed}


def compute(
    spark: SparkSession, workspace: Workspace, lake: Lake, kpis: dict[str, Kpi], as_of: datetime,
    population: DataFrame,
) -> DataFrame:
    """Every KPI for every customer of the population: one aggregation per table, then derived KPIs."""
    frame = population.select(CUSTOMER_ID)
    for (interaction, role), group in by_table(kpis).items():
        rows = interaction_rows(spark, workspace, lake, interaction, role)
        roles = list(workspace.model.interactions[interaction].links)
        aggregated = aggregate_table(rows, group, as_of, roles)
        frame = attach(frame, aggregated, group, empty_values(rows, group, as_of, roles), interaction)
    return add_derived(frame, kpis, as_of).withColumn(AS_OF_COL, F.lit(as_of))


def by_table(kpis: dict[str, Kpi]) -> dict[TableKey, dict[str, Kpi]]:
    """Aggregate KPIs grouped by the (interaction, role) they are computed over."""
    groups: dict[TableKey, dict[str, Kpi]] = {}
    for name, kpi in kpis.items():
        if not kpi.derived:
            groups.setdefault((kpi.interaction, kpi.role), {})[name] = kpi  # type: ignore[index]
    return groups


def counted_rows(rows: DataFrame, kpis: dict[str, Kpi], as_of: datetime) -> DataFrame:
    """Rows any of the KPIs may count: a known customer, before as_of, after the earliest window start."""
    keep = F.col(CUSTOMER_ID).isNotNull() & (F.col(OCCURRED_AT) < F.expr(timestamp(as_of).sql("spark")))
    start = earliest_start(list(kpis.values()), as_of)
    if start is not None:
        keep &= F.col(OCCURRED_AT) >= F.expr(timestamp(start).sql("spark"))
    return rows.where(keep)


def kpi_columns(kpis: dict[str, Kpi], as_of: datetime, roles: list[str]) -> list[Column]:
    """One aggregate Column per KPI, each carrying its own filter and window."""
    return [F.expr(aggregate_sql(kpi, as_of, roles, distinct_as_set=True)).alias(name) for name, kpi in kpis.items()]


def aggregate_table(rows: DataFrame, kpis: dict[str, Kpi], as_of: datetime, roles: list[str]) -> DataFrame:
    """customer_id and every KPI of one table, in a single groupBy().agg().

    The rows are hash-partitioned by customer first: with about as many customers as rows,
    partial aggregation saves nothing, and one shuffle of the narrow rows is cheaper than a
    shuffle of 50 KPIs' aggregation buffers.
    """
    needed = {CUSTOMER_ID, OCCURRED_AT}.union(*(columns_read(k, roles) for k in kpis.values()))
    counted = counted_rows(rows, kpis, as_of).select(*sorted(needed)).repartition(CUSTOMER_ID)
    return counted.groupBy(CUSTOMER_ID).agg(*kpi_columns(kpis, as_of, roles))


def empty_values(rows: DataFrame, kpis: dict[str, Kpi], as_of: datetime, roles: list[str]) -> dict[str, Column]:
    """The KPIs over no rows at all, as typed literals: the values of a customer with no interactions."""
    empty = rows.where(F.lit(False)).agg(*kpi_columns(kpis, as_of, roles))
    row = empty.select(F.to_json(F.struct(*empty.columns)), *empty.columns).first()
    values = {}
    for field in empty.schema.fields:
        value = row[field.name]
        if value is None:
            values[field.name] = F.lit(None).cast(field.dataType)
        elif isinstance(field.dataType, PLAIN_TYPES):
            values[field.name] = F.lit(value).cast(field.dataType)
        else:  # timestamps, arrays, ...: through JSON, exactly as Spark wrote them
            values[field.name] = F.from_json(F.lit(row[0]), empty.schema)[field.name]
    return values


def attach(frame: DataFrame, aggregated: DataFrame, kpis: dict[str, Kpi], empty: dict[str, Column], tag: str) -> DataFrame:
    """frame left-joined with one table's KPIs; customers absent from it get the empty values."""
    flag = f"_has_{tag}"
    joined = frame.join(aggregated.withColumn(flag, F.lit(True)), CUSTOMER_ID, "left")
    keep = [c for c in frame.columns]
    values = [F.when(F.col(flag), F.col(n)).otherwise(empty[n]).alias(n) for n in kpis]
    return joined.select(*keep, *values)


def add_derived(frame: DataFrame, kpis: dict[str, Kpi], as_of: datetime) -> DataFrame:
    """KPIs computed from other KPIs, each after those it uses."""
    for name in derived_order(kpis):
        frame = frame.withColumn(name, F.expr(derived_sql(kpis[name], as_of)))
    return frame
