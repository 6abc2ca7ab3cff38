"""KPI definitions -> SQL text for Spark (or DuckDB): every aggregate filtered by the KPI's rows.

`sum(amount)` with filter `status = 'completed'` and a 90-day window becomes
`SUM(amount) FILTER(WHERE occurred_at < <as_of> AND occurred_at >= <as_of - 90d> AND (status = 'completed'))`,
so any number of KPIs with different filters and windows share one aggregation over the table.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlglot import exp

from jobs.kpis.windows import window_bounds
from schemas.kpis import Kpi
from schemas.model import OCCURRED_AT
from schemas.sql import AS_OF_NAME, aggregates, parse
from schemas.tables import link_column


def timestamp(moment: datetime) -> exp.Expression:
    """A UTC timestamp literal (a TIMESTAMP in Spark, a TIMESTAMPTZ in DuckDB)."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
    return parse(f"CAST('{text}' AS TIMESTAMP)")


def resolve_names(tree: exp.Expression, as_of: datetime, roles: list[str]) -> exp.Expression:
    """as_of becomes a literal; a link role (store) becomes its silver column (store_record_id)."""
    for column in list(tree.find_all(exp.Column)):
        name = column.name.lower()
        if name == AS_OF_NAME:
            column.replace(timestamp(as_of))
        elif name in roles:
            column.replace(exp.column(link_column(name)))
    return tree


def row_condition(kpi: Kpi, as_of: datetime, roles: list[str], where: str | None = None) -> exp.Expression:
    """Which interaction rows a KPI counts: before as_of, inside its window, passing its filter."""
    start, end = window_bounds(kpi.window, as_of)
    parts: list[exp.Expression] = [exp.column(OCCURRED_AT) < timestamp(end)]
    if start is not None:
        parts.append(exp.column(OCCURRED_AT) >= timestamp(start))
    text = where if where is not None else kpi.filter
    if text is not None:
        parts.append(exp.paren(resolve_names(parse(text), as_of, roles)))
    return exp.and_(*parts)


def aggregate_expression(kpi: Kpi, as_of: datetime, roles: list[str], distinct_as_set: bool = False) -> exp.Expression:
    """The KPI's aggregate with the row condition attached to every aggregate call in it.

    distinct_as_set turns count(distinct x) into size(collect_set(x)): the same number (nulls
    ignored, 0 on no rows) without the extra expand-and-aggregate stage Spark plans for
    distinct aggregates; right for per-customer KPIs, whose sets are small.
    """
    tree = resolve_names(parse(kpi.expr), as_of, roles)
    if distinct_as_set:
        for call in list(tree.find_all(exp.Count)):
            inner = call.this
            if isinstance(inner, exp.Distinct) and len(inner.expressions) == 1:
                as_set = exp.ArraySize(this=exp.ArrayUniqueAgg(this=inner.expressions[0].copy()))
                if call is tree:
                    tree = as_set
                else:
                    call.replace(as_set)
    for call in list(tree.find_all(exp.CountIf)):  # count_if(x) = count(*) FILTER (WHERE x), 0 on no rows
        counted = exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=exp.paren(call.this.copy())))
        if call is tree:
            tree = counted
        else:
            call.replace(counted)
    condition = row_condition(kpi, as_of, roles)
    for call in aggregates(tree):
        parent = call.parent
        if isinstance(parent, exp.Filter):  # the user's own FILTER (WHERE ...): both must hold
            parent.set("expression", exp.Where(this=exp.and_(parent.expression.this, condition.copy())))
        else:
            filtered = exp.Filter(this=call.copy(), expression=exp.Where(this=condition.copy()))
            if call is tree:
                return filtered
            call.replace(filtered)
    return tree


def aggregate_sql(
    kpi: Kpi, as_of: datetime, roles: list[str], dialect: str = "spark", distinct_as_set: bool = False
) -> str:
    """aggregate_expression as SQL text of a dialect (spark, duckdb)."""
    return aggregate_expression(kpi, as_of, roles, distinct_as_set).sql(dialect)


def derived_sql(kpi: Kpi, as_of: datetime, dialect: str = "spark") -> str:
    """A KPI computed from other KPIs (columns of the same name), as SQL text."""
    return resolve_names(parse(kpi.expr), as_of, []).sql(dialect)


def columns_read(kpi: Kpi, roles: list[str]) -> set[str]:
    """The silver columns a KPI reads (roles as their record-id columns), besides occurred_at."""
    names = set()
    for text in (kpi.expr, kpi.filter):
        if text is not None:
            names |= {c.name for c in resolve_names(parse(text), datetime.now(UTC), roles).find_all(exp.Column)}
    return names


def dimension_column(kpi: Kpi, roles: list[str]) -> str | None:
    """The silver column a business KPI breaks down by (a role's record id, or an attribute)."""
    if kpi.dimension is None:
        return None
    return link_column(kpi.dimension) if kpi.dimension in roles else kpi.dimension
