"""Segment definitions (segments.yaml): nested all/any/not rules over customers.

A rule tests a profile attribute, a customer KPI, how often the customer did something
(an interaction, optionally filtered, within the last N days) or membership of another
segment. Mistakes name the segment and the unknown attribute, KPI, interaction or segment.
"""

from __future__ import annotations

import re
from graphlib import CycleError, TopologicalSorter
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from schemas.errors import Problem
from schemas.kpis import KpiFile, interaction_columns
from schemas.model import IDENTIFIER, Strict
from schemas.sql import ExpressionError, aggregates, column_names, parse
from schemas.workspace_core import WorkspaceCore


SEGMENTS_FILE = "segments.yaml"
Op = Literal["=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between", "is_null", "is_not_null"]
NO_VALUE_OPS = ("is_null", "is_not_null")
KINDS = ("all", "any", "not_", "attribute", "kpi", "event", "segment")


class Event(Strict):
    """How often a customer did something: interactions of a type, optionally filtered, recently."""

    interaction: str = Field(description="the interaction type counted (purchase, web_visit, ...)")
    role: str = Field(default="customer", description="the link role of the customer in it")
    where: str | None = Field(default=None, description="Spark SQL condition on the interaction's attributes")
    within_days: int | None = Field(
        default=None, ge=1, description="only the N days before as_of (default: all time)"
    )
    at_least: int = Field(default=1, ge=0, description="at least this many matching interactions")
    at_most: int | None = Field(default=None, ge=0, description="at most this many (0 = never did it)")


class Condition(Strict):
    """One test on a customer: exactly one of all, any, not, attribute, kpi, event, segment."""

    all: list[Condition] | None = Field(default=None, description="every condition holds")
    any: list[Condition] | None = Field(default=None, description="at least one condition holds")
    not_: Condition | None = Field(default=None, alias="not", description="the condition does not hold")
    attribute: str | None = Field(default=None, description="a profile attribute of the customer, compared with op and value")
    kpi: str | None = Field(default=None, description="a customer KPI of kpis.yaml, compared with op and value")
    event: Event | None = Field(default=None, description="the customer did something, at least / at most so often")
    segment: str | None = Field(default=None, description="the customer is a member of this other segment")
    op: Op | None = Field(default=None, description="how attribute or kpi is compared: =, !=, <, <=, >, >=, in, not_in, between, is_null, is_not_null")
    value: Any = Field(default=None, description="what it is compared with; a list for in/not_in, [low, high] for between")

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            names = [k.rstrip("_") for k in KINDS]
            raise ValueError(f"give exactly one of {names} (got {[g.rstrip('_') for g in given] or 'none'})")
        compared = self.attribute is not None or self.kpi is not None
        if compared and self.op is None:
            raise ValueError("'op' is needed to compare an attribute or a KPI")
        if not compared and (self.op is not None or self.value is not None):
            raise ValueError("'op' and 'value' go with 'attribute' or 'kpi'")
        if compared and self.op not in NO_VALUE_OPS and self.value is None:
            raise ValueError(f"op '{self.op}' needs a value")
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"op '{self.op}' needs a list value")
        if self.op == "between" and not (isinstance(self.value, list) and len(self.value) == 2):
            raise ValueError("op 'between' needs a value [low, high]")
        return self

    def children(self) -> list[Condition]:
        """Directly nested conditions."""
        return [*(self.all or []), *(self.any or []), *([self.not_] if self.not_ else [])]

    def walk(self, path: str) -> list[tuple[str, Condition]]:
        """This condition and every nested one, with its dotted key."""
        found = [(path, self)]
        for key, items in (("all", self.all), ("any", self.any)):
            for i, child in enumerate(items or []):
                found += child.walk(f"{path}.{key}.{i}")
        if self.not_ is not None:
            found += self.not_.walk(f"{path}.not")
        return found


class Segment(Condition):
    """A named audience: its rule (all, any, not, ...) and what it is for."""

    description: str = Field(default="", description="who is in the segment and why, shown in the UI")


class SegmentFile(Strict):
    """The segments.yaml file."""

    segments: dict[str, Segment] = Field(description="segment name -> segment")

    @field_validator("segments")
    @classmethod
    def _names(cls, value: dict[str, Segment]) -> dict[str, Segment]:
        bad = [n for n in value if not re.match(IDENTIFIER, n)]
        if bad:
            raise ValueError(f"segment names must be lower_snake_case identifiers: {bad}")
        return value


def check_segments(segments: SegmentFile, workspace: WorkspaceCore, kpis: KpiFile | None) -> list[Problem]:
    """Every attribute, KPI, interaction and segment a rule names exists; no segment contains itself."""
    customer_kpis = sorted(kpis.of_grain("customer")) if kpis else []
    primary = workspace.model.primary_profile
    attributes = sorted(workspace.model.profiles[primary].attributes) if primary else []
    interactions = workspace.model.interactions
    problems: list[Problem] = []
    for name, segment in segments.segments.items():
        for path, cond in segment.walk(f"segments.{name}"):
            def report(key: str, message: str, path: str = path) -> None:
                problems.append(Problem(SEGMENTS_FILE, f"{path}.{key}", message))

            if cond.attribute is not None and cond.attribute not in attributes:
                report("attribute", f"segment '{name}' refers to unknown attribute '{cond.attribute}' "
                                    f"of '{primary}' (known: {attributes})")
            if cond.kpi is not None and cond.kpi not in customer_kpis:
                report("kpi", f"segment '{name}' refers to unknown KPI '{cond.kpi}' "
                              f"(customer KPIs in kpis.yaml: {customer_kpis})")
            if cond.segment is not None and cond.segment not in segments.segments:
                report("segment", f"segment '{name}' refers to unknown segment '{cond.segment}' "
                                  f"(known: {sorted(segments.segments)})")
            if cond.event is not None:
                event = cond.event
                if event.interaction not in interactions:
                    report("event.interaction", f"segment '{name}' refers to unknown interaction type "
                                                f"'{event.interaction}' (known: {sorted(interactions)})")
                    continue
                if event.role not in interactions[event.interaction].links:
                    report("event.role", f"segment '{name}': '{event.interaction}' has no role '{event.role}'")
                if event.where is not None:
                    problems += _check_where(name, path, event, interaction_columns(workspace, event.interaction))
    problems += _check_cycles(segments)
    return problems


def _check_where(name: str, path: str, event: Event, known: set[str]) -> list[Problem]:
    key = f"{path}.event.where"
    try:
        tree = parse(event.where or "")
    except ExpressionError as error:
        return [Problem(SEGMENTS_FILE, key, f"segment '{name}': {error}")]
    problems = []
    if aggregates(tree):
        problems.append(Problem(SEGMENTS_FILE, key, f"segment '{name}': 'where' is a row condition, without aggregates"))
    for column in sorted(column_names(tree) - known):
        problems.append(Problem(SEGMENTS_FILE, key, f"segment '{name}' refers to unknown attribute "
                                                    f"'{column}' of '{event.interaction}' (known: {sorted(known)})"))
    return problems


def segment_order(segments: dict[str, Segment]) -> list[str]:
    """Segments in an order where each comes after the segments its rule uses."""
    uses = {n: {c.segment for _, c in s.walk(n) if c.segment} & set(segments) for n, s in segments.items()}
    try:
        return list(TopologicalSorter(uses).static_order())
    except CycleError as error:
        raise ValueError(f"segments refer to each other in a cycle: {sorted(set(error.args[1]))}") from None


def _check_cycles(segments: SegmentFile) -> list[Problem]:
    try:
        segment_order(segments.segments)
    except ValueError as error:
        return [Problem(SEGMENTS_FILE, "segments", str(error))]
    return []
