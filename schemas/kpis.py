"""KPI definitions (kpis.yaml): aggregates over interactions, per customer or business-wide.

A KPI is a Spark SQL aggregate over one interaction type (`sum(amount)`), optionally
filtered and limited to a time window ending at the workspace's as-of time, or an
expression over other KPIs of the same grain (`revenue / nullif(orders, 0)`).
"""

from __future__ import annotations

import re
from graphlib import CycleError, TopologicalSorter
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from schemas.errors import Problem
from schemas.model import IDENTIFIER, OCCURRED_AT, Strict
from schemas.sql import (
    AS_OF_NAME,
    ExpressionError,
    aggregates,
    column_names,
    columns_outside_aggregates,
    nested_aggregates,
    parse,
)
from schemas.tables import CUSTOMER_ID
from schemas.workspace_core import WorkspaceCore


KPIS_FILE = "kpis.yaml"
Grain = Literal["customer", "business"]
TimeGrain = Literal["day", "week", "month"]
CalendarUnit = Literal["week", "month", "quarter", "year"]
RESERVED = {CUSTOMER_ID, AS_OF_NAME, "computed_at", "kpi", "period", "grain", "dimension",
            "dimension_value", "value"}


class Window(Strict):
    """The span of time a KPI looks at; it always ends at as_of (exclusive)."""

    last_days: int | None = Field(default=None, ge=1, description="the N days before as_of")
    calendar: CalendarUnit | None = Field(
        default=None, description="a calendar period (week starts Monday): with periods_back 0, "
        "the one as_of falls in, up to as_of (e.g. month to date)"
    )
    periods_back: int = Field(
        default=0, ge=0, description="with calendar: 1 = the last complete period before it, 2 = the one before, ..."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Window:
        if (self.last_days is None) == (self.calendar is None):
            raise ValueError("give exactly one of 'last_days' or 'calendar'")
        if self.periods_back and self.calendar is None:
            raise ValueError("'periods_back' goes with 'calendar'")
        return self


class Range(Strict):
    """The values a KPI may take; an asset check reports values outside."""

    min: float | None = Field(default=None, description="lowest allowed value (inclusive)")
    max: float | None = Field(default=None, description="highest allowed value (inclusive)")


class Kpi(Strict):
    """One measure: an aggregate over an interaction type, or an expression over other KPIs."""

    description: str = Field(default="", description="what the KPI means, shown in the UI")
    interaction: str | None = Field(
        default=None, description="the interaction type aggregated; leave out for a KPI computed from other KPIs"
    )
    role: str = Field(default="customer", description="the link role whose customer an interaction counts for")
    expr: str = Field(
        description="Spark SQL: an aggregate over the interaction's attributes (sum(amount), "
        "count(*), count(distinct order_number), max_by(channel, occurred_at), ...), or, without "
        "'interaction', an expression over other KPIs of the same grain; `as_of` is the as-of time"
    )
    filter: str | None = Field(
        default=None, description="Spark SQL condition on the interaction's attributes: only rows where it holds count"
    )
    window: Literal["all_time"] | Window = Field(
        default="all_time", description="all_time, {last_days: N} or {calendar: month, periods_back: 0}"
    )
    grain: Grain = Field(default="customer", description="one value per customer, or business-wide per period")
    dimension: str | None = Field(
        default=None, description="business KPIs: an attribute or link role of the interaction to break down by (channel, store)"
    )
    time_grain: TimeGrain = Field(default="month", description="business KPIs: the period of each value")
    range: Range | None = Field(default=None, description="allowed values, checked after every run")

    @property
    def derived(self) -> bool:
        """Computed from other KPIs rather than aggregated from interactions."""
        return self.interaction is None


class KpiFile(Strict):
    """The kpis.yaml file."""

    as_of: str = Field(
        default="latest",
        description="the time KPIs are computed at (windows end there): `latest` = midnight UTC "
        "after the newest interaction, `now`, or an ISO date or time such as 2026-06-30",
    )
    kpis: dict[str, Kpi] = Field(description="KPI name (the column in gold/kpis_customer) -> KPI")

    @field_validator("as_of")
    @classmethod
    def _known_as_of(cls, value: str) -> str:
        if value not in ("latest", "now"):
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"'{value}' is not 'latest', 'now' or an ISO date/time") from None
        return value

    @field_validator("kpis")
    @classmethod
    def _names(cls, value: dict[str, Kpi]) -> dict[str, Kpi]:
        bad = [n for n in value if not re.match(IDENTIFIER, n) or n in RESERVED]
        if bad:
            raise ValueError(f"KPI names must be lower_snake_case and not one of {sorted(RESERVED)}: {bad}")
        return value

    def of_grain(self, grain: Grain) -> dict[str, Kpi]:
        """KPIs of one grain, in declared order."""
        return {n: k for n, k in self.kpis.items() if k.grain == grain}


def check_kpis(kpis: KpiFile, workspace: WorkspaceCore) -> list[Problem]:
    """Every KPI names known interactions, attributes, roles and KPIs, and has a usable expression."""
    problems: list[Problem] = []
    for name, kpi in kpis.kpis.items():
        where = f"kpis.{name}"

        def report(key: str, message: str, where: str = where) -> None:
            problems.append(Problem(KPIS_FILE, f"{where}.{key}" if key else where, message))

        if kpi.derived:
            _check_derived(name, kpi, kpis, report)
        else:
            _check_aggregate(kpi, workspace, report)
    problems += _check_cycles(kpis)
    return problems


def interaction_columns(workspace: WorkspaceCore, interaction: str) -> set[str]:
    """Columns a KPI over an interaction type may read: attributes, occurred_at, link roles, customer_id."""
    entity = workspace.model.interactions[interaction]
    return {*entity.all_attributes(), *entity.links, CUSTOMER_ID, OCCURRED_AT}


def _check_aggregate(kpi: Kpi, workspace: WorkspaceCore, report) -> None:
    interactions = workspace.model.interactions
    if kpi.interaction not in interactions:
        report("interaction", f"unknown interaction type '{kpi.interaction}' (known: {sorted(interactions)})")
        return
    entity = interactions[kpi.interaction]
    if kpi.role not in entity.links:
        report("role", f"'{kpi.interaction}' has no role '{kpi.role}' (known: {sorted(entity.links)})")
    known = interaction_columns(workspace, kpi.interaction)
    try:
        tree = parse(kpi.expr)
    except ExpressionError as error:
        report("expr", str(error))
        return
    if not aggregates(tree):
        report("expr", f"'{kpi.expr}' aggregates nothing: use sum(...), count(*), max(...), ... "
                       "(or leave out 'interaction' for a KPI computed from other KPIs)")
    elif nested_aggregates(tree):
        report("expr", f"'{kpi.expr}' nests one aggregate in another")
    for column in sorted(column_names(tree) - known - {AS_OF_NAME}):
        report("expr", f"'{kpi.interaction}' has no attribute '{column}' (known: {sorted(known)})")
    for column in sorted(columns_outside_aggregates(tree) & known):
        report("expr", f"'{column}' is read outside an aggregate: wrap it, e.g. max({column})")
    if kpi.filter is not None:
        _check_condition("filter", kpi.filter, kpi.interaction, known, report)
    if kpi.grain == "business" and kpi.dimension is not None and kpi.dimension not in known - {CUSTOMER_ID}:
        report("dimension", f"'{kpi.interaction}' has no attribute or role '{kpi.dimension}'")
    if kpi.grain == "customer" and kpi.dimension is not None:
        report("dimension", "only business KPIs have a dimension")


def _check_condition(key: str, text: str, interaction: str, known: set[str], report) -> None:
    try:
        tree = parse(text)
    except ExpressionError as error:
        report(key, str(error))
        return
    if aggregates(tree):
        report(key, f"'{text}' must be a row condition, without aggregates")
    for column in sorted(column_names(tree) - known - {AS_OF_NAME}):
        report(key, f"'{interaction}' has no attribute '{column}' (known: {sorted(known)})")


def _check_derived(name: str, kpi: Kpi, kpis: KpiFile, report) -> None:
    try:
        tree = parse(kpi.expr)
    except ExpressionError as error:
        report("expr", str(error))
        return
    if aggregates(tree):
        report("expr", f"'{kpi.expr}': a KPI without 'interaction' combines other KPIs and may not aggregate")
    same_grain = kpis.of_grain(kpi.grain)
    for other in sorted(column_names(tree) - {AS_OF_NAME}):
        if other not in kpis.kpis:
            report("expr", f"KPI '{name}' refers to unknown KPI '{other}' (known: {sorted(kpis.kpis)})")
        elif other not in same_grain:
            report("expr", f"KPI '{name}' ({kpi.grain}) refers to '{other}' of another grain")
        elif kpi.grain == "business" and (kpis.kpis[other].time_grain, kpis.kpis[other].dimension) != (
            kpi.time_grain, kpi.dimension
        ):
            report("expr", f"KPI '{name}' refers to '{other}', which has another time_grain or dimension")
    for key in ("filter",):
        if getattr(kpi, key) is not None:
            report(key, "a KPI computed from other KPIs has no filter")
    if kpi.window != "all_time":
        report("window", "a KPI computed from other KPIs has no window of its own")


def derived_order(kpis: dict[str, Kpi]) -> list[str]:
    """Derived KPIs in an order where each comes after the derived KPIs it uses."""
    derived = {n: k for n, k in kpis.items() if k.derived}
    uses = {n: column_names(parse(k.expr)) & set(derived) for n, k in derived.items()}
    try:
        return list(TopologicalSorter(uses).static_order())
    except CycleError as error:
        raise ValueError(f"KPIs refer to each other in a cycle: {sorted(set(error.args[1]))}") from None


def _check_cycles(kpis: KpiFile) -> list[Problem]:
    try:
        derived_order({n: k for n, k in kpis.kpis.items() if _parses(k.expr)})
    except ValueError as error:
        return [Problem(KPIS_FILE, "kpis", str(error))]
    return []


def _parses(text: str) -> bool:
    try:
        parse(text)
    except ExpressionError:
        return False
    return True
