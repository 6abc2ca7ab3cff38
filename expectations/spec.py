"""Expectations as plain typed data, so suites can be listed and described without loading GX."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warn"]

# Keyword arguments that name what an expectation looks at; with the type they identify it.
DOMAIN_KWARGS = ("column", "column_A", "column_B", "column_list")

# "now", "now+1d", "now-12h": a bound relative to the clock, resolved when a validation runs.
_NOW = re.compile(r"^now(?:([+-])(\d+)([dh]))?$")
# SQL that reads the clock: a query using it answers differently as time passes.
_SQL_CLOCK = re.compile(r"\b(current_timestamp|current_date|localtimestamp|now\s*\(|unix_timestamp\s*\(\s*\))", re.IGNORECASE)
# "previous", "previous-20%", "previous+100%": relative to the row count of the table's version
# before the latest (Delta time travel); such expectations are skipped when there is none.
_PREVIOUS = re.compile(r"^previous(?:([+-])(\d+(?:\.\d+)?)%)?$")
# "${lake}" in any text kwarg (e.g. an unexpected_rows_query) becomes the lake root.
LAKE_TOKEN = "${lake}"


@dataclass(frozen=True)
class ValidationContext:
    """What clock- and table-relative kwargs resolve against at validation time."""

    now: datetime
    lake_root: str | None = None
    previous_rows: int | None = None


class ExpectationSpec(BaseModel):
    """One GX expectation by type name and kwargs, with the severity a failure has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(
        pattern=r"^(expect_[a-z0-9_]+|unexpected_rows_expectation)$",
        description="a GX expectation type name",
    )
    kwargs: dict[str, Any] = Field(default_factory=dict)
    severity: Severity
    description: str = ""
    name: str = Field(
        default="", description="identifies it when type and column do not (unexpected_rows checks)"
    )

    @property
    def column(self) -> str | None:
        """The column it checks, for column expectations (None for table-level ones)."""
        value = self.kwargs.get("column", self.kwargs.get("column_A"))
        return value if isinstance(value, str) else None

    @property
    def key(self) -> tuple[str, str]:
        """Type plus domain kwargs (or the name): a later suite file replaces the same key."""
        if self.name:
            return self.type, f"name={self.name}"
        domain = ",".join(f"{k}={self.kwargs[k]}" for k in DOMAIN_KWARGS if k in self.kwargs)
        return self.type, domain

    @property
    def needs_previous(self) -> bool:
        """Whether a kwarg is relative to the previous version's row count."""
        return any(isinstance(v, str) and _PREVIOUS.match(v.strip()) for v in self.kwargs.values())

    @property
    def needs_clock(self) -> bool:
        """Whether the outcome depends on when it runs: a "now" bound, or SQL reading the clock."""
        return any(isinstance(v, str) and (_NOW.match(v.strip()) or _SQL_CLOCK.search(v))
                   for v in self.kwargs.values())

    @property
    def needs_lake(self) -> bool:
        """Whether a kwarg names tables by the lake root (${lake})."""
        return any(isinstance(v, str) and LAKE_TOKEN in v for v in self.kwargs.values())

    def resolved_kwargs(
        self, now: datetime | None = None, context: ValidationContext | None = None
    ) -> dict[str, Any]:
        """Kwargs with "now+1d", "previous-20%" and "${lake}" turned into values."""
        context = context or ValidationContext(now or datetime.now(timezone.utc))
        now = now or context.now
        return {name: _resolve(value, now, context) for name, value in self.kwargs.items()}

    def describe(self) -> str:
        """The description, or a readable stand-in built from type and column."""
        if self.description:
            return self.description
        check = self.type.removeprefix("expect_").replace("_", " ")
        return f"{self.column}: {check}" if self.column else check


class TableSuite(BaseModel):
    """The expectations one table is validated against, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    expectations: list[ExpectationSpec]
    sources: list[str] = Field(
        default_factory=list, description="files and derivations it was built from, in order"
    )

    def by_severity(self, severity: Severity) -> list[ExpectationSpec]:
        """Expectations of one severity."""
        return [e for e in self.expectations if e.severity == severity]


def _resolve(value: Any, now: datetime, context: ValidationContext) -> Any:
    value = resolve_now(value, now)
    if not isinstance(value, str):
        return value
    match = _PREVIOUS.match(value.strip())
    if match is not None:
        if context.previous_rows is None:
            raise ValueError(f"'{value}' needs the previous version's row count, and there is none")
        sign, percent = match.groups()
        factor = 1.0 if sign is None else 1 + (float(percent) / 100) * (1 if sign == "+" else -1)
        bound = context.previous_rows * factor  # bounds round outwards: never stricter than asked
        return math.ceil(bound) if sign == "+" else math.floor(bound)
    if LAKE_TOKEN in value:
        if context.lake_root is None:
            raise ValueError(f"'{value}' names the lake (${{lake}}), and no lake root was given")
        return value.replace(LAKE_TOKEN, context.lake_root.rstrip("/"))
    return value


def resolve_now(value: Any, now: datetime) -> Any:
    """A "now[+-N(d|h)]" string as a datetime relative to now; any other value unchanged."""
    if not isinstance(value, str):
        return value
    match = _NOW.match(value.strip())
    if match is None:
        return value
    sign, amount, unit = match.groups()
    if sign is None:
        return now
    delta = timedelta(days=int(amount)) if unit == "d" else timedelta(hours=int(amount))
    return now + delta if sign == "+" else now - delta
