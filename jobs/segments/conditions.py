"""Segment rules -> boolean Spark Columns over one wide row per customer.

The row holds the customer's attributes (a__<name>), KPIs (k__<name>), event counts
(e__<n>, from hidden KPIs: count(*) of the interaction, filtered, in the window) and the
segments evaluated before (s__<name>). A test on a missing value (null) does not hold, so
`not` of it does: a customer who never bought is "not (days since last purchase > 180)".
"""

from __future__ import annotations

import json

from pyspark.sql import Column
from pyspark.sql import functions as F

from schemas.kpis import Kpi, Window
from schemas.segments import Condition, Event, SegmentFile


def attribute_column(name: str) -> str:
    return f"a__{name}"


def kpi_column(name: str) -> str:
    return f"k__{name}"


def segment_column(name: str) -> str:
    return f"s__{name}"


def event_key(event: Event) -> str:
    """The same event written twice is counted once."""
    return json.dumps(event.model_dump(mode="json", exclude={"at_least", "at_most"}), sort_keys=True)


def event_kpis(segments: SegmentFile) -> dict[str, Kpi]:
    """One hidden count KPI (e__<n>) per distinct event the rules use, computed like any KPI."""
    found: dict[str, Kpi] = {}
    names: dict[str, str] = {}
    for name, segment in segments.segments.items():
        for _, cond in segment.walk(name):
            if cond.event is None:
                continue
            key = event_key(cond.event)
            if key not in names:
                names[key] = f"e__{len(names)}"
                event = cond.event
                window = "all_time" if event.within_days is None else Window(last_days=event.within_days)
                found[names[key]] = Kpi(
                    interaction=event.interaction, role=event.role, expr="count(*)", filter=event.where,
                    window=window,
                )
    return found


def event_columns(segments: SegmentFile) -> dict[str, str]:
    """event key -> the column holding its count."""
    names: dict[str, str] = {}
    for name, segment in segments.segments.items():
        for _, cond in segment.walk(name):
            if cond.event is not None:
                names.setdefault(event_key(cond.event), f"e__{len(names)}")
    return names


def rule(cond: Condition, events: dict[str, str]) -> Column:
    """A condition as a boolean Column that is never null."""
    if cond.all is not None:
        return _fold([rule(c, events) for c in cond.all], lambda a, b: a & b, True)
    if cond.any is not None:
        return _fold([rule(c, events) for c in cond.any], lambda a, b: a | b, False)
    if cond.not_ is not None:
        return ~rule(cond.not_, events)
    if cond.segment is not None:
        return F.coalesce(F.col(segment_column(cond.segment)), F.lit(False))
    if cond.event is not None:
        count = F.coalesce(F.col(events[event_key(cond.event)]), F.lit(0))
        test = count >= cond.event.at_least
        if cond.event.at_most is not None:
            test &= count <= cond.event.at_most
        return test
    column = F.col(attribute_column(cond.attribute) if cond.attribute else kpi_column(cond.kpi))
    return F.coalesce(compare(column, cond.op, cond.value), F.lit(False))


def compare(column: Column, op: str, value) -> Column:
    """attribute-or-KPI <op> value, with SQL semantics (null when the value is missing)."""
    if op == "is_null":
        return column.isNull()
    if op == "is_not_null":
        return column.isNotNull()
    if op == "in":
        return column.isin(value)
    if op == "not_in":
        return ~column.isin(value)
    if op == "between":
        return column.between(value[0], value[1])
    comparisons = {
        "=": column == value, "!=": column != value, "<": column < value,
        "<=": column <= value, ">": column > value, ">=": column >= value,
    }
    return comparisons[op]


def _fold(columns: list[Column], combine, empty: bool) -> Column:
    if not columns:
        return F.lit(empty)
    result = columns[0]
    for column in columns[1:]:
        result = combine(result, column)
    return result
