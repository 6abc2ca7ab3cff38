"""The customer card: one customer_360 row as a typed object, the same for the terminal and `--json`.

Which column is what follows the customer_360 contract: `<attr>` with `<attr>_source` is the
golden record, `kpi_<name>` a KPI, `<type>_count` an interaction count, `related_<name>` a
related profile; the nested records, segments, scores and timeline keep their fields.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

KPI_PREFIX, RELATED_PREFIX, SOURCE_SUFFIX, COUNT_SUFFIX = "kpi_", "related_", "_source", "_count"


class Frozen(BaseModel):
    """A read-only part of the card."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")


class Sourced(Frozen):
    """One value of the golden record and the source record it came from."""

    value: Any
    source: str | None


class SourceRecord(Frozen):
    """A source record behind the customer."""

    record_id: str
    source: str | None
    source_key: str | None


class Membership(Frozen):
    """A segment the customer is in now, since when."""

    segment: str
    since: datetime | None


class Score(Frozen):
    """The latest score of one prediction, with the model that gave it."""

    prediction: str
    score: float | None
    model_name: str | None
    model_version: int | None
    grade: str | None
    scored_at: datetime | None


class Event(Frozen):
    """One interaction of the timeline."""

    occurred_at: datetime | None
    interaction_type: str
    record_id: str
    source: str | None
    channel: str | None
    amount: float | str | None  # a string when the role hashes the amount (schemas/timeline.py)


class Card(Frozen):
    """Everything the lake knows of one customer, in the order the terminal shows it."""

    customer_id: str
    record_count: int | None
    sources: list[str]
    updated_at: datetime | None
    profile: dict[str, Sourced]
    records: list[SourceRecord]
    kpis: dict[str, Any]
    kpis_as_of: datetime | None
    segments: list[Membership]
    scores: list[Score]
    interactions: dict[str, int]
    related: dict[str, list[dict[str, Any]]]
    timeline: list[Event]
    withheld: list[str] = []  # what the principal's role does not show, each with the access.yaml key that would

    def as_json(self) -> dict[str, Any]:
        """The card as JSON values: ISO 8601 dates, null for a missing or not-a-number figure."""
        return _json_safe(self.model_dump(mode="json"))


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _related(value: Any) -> list[dict[str, Any]]:
    """A to-one relationship holds a struct (or null), a to-many one a list: both as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def card_from_row(row: dict[str, Any], interaction_types: list[str],
                  timeline: list[dict[str, Any]] | None = None) -> Card:
    """The card of a customer_360 row (as delta-rs returns it); `timeline` replaces the row's own."""
    columns = list(row)
    attributes = [c for c in columns if f"{c}{SOURCE_SUFFIX}" in row]
    counts = {t: int(row[f"{t}{COUNT_SUFFIX}"] or 0) for t in interaction_types if f"{t}{COUNT_SUFFIX}" in row}
    return Card(
        customer_id=row["customer_id"],
        record_count=row.get("record_count"),
        sources=list(row.get("sources") or []),
        updated_at=row.get("updated_at"),
        profile={c: Sourced(value=row[c], source=row[f"{c}{SOURCE_SUFFIX}"]) for c in attributes},
        records=[SourceRecord(**r) for r in row.get("records") or []],
        kpis={c.removeprefix(KPI_PREFIX): row[c] for c in columns if c.startswith(KPI_PREFIX)},
        kpis_as_of=row.get("kpis_as_of"),
        segments=[Membership(**s) for s in row.get("segments") or []],
        scores=[Score(**s) for s in row.get("scores") or []],
        interactions=counts,
        related={c.removeprefix(RELATED_PREFIX): _related(row[c]) for c in columns if c.startswith(RELATED_PREFIX)},
        timeline=[Event(**{k: e.get(k) for k in Event.model_fields}) for e in
                  (row.get("timeline") or [] if timeline is None else timeline)],
    )


def display(value: Any) -> str:
    """A value as the card prints it: dates short, figures with separators, '-' for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(display(v) for v in value)
    return str(value)
