"""Expectations as plain typed data, so suites can be listed and described without loading GX."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warn"]

# Keyword arguments that name what an expectation looks at; with the type they identify it.
DOMAIN_KWARGS = ("column", "column_A", "column_B", "column_list")

# "now", "now+1d", "now-12h": a bound relative to the clock, resolved when a validation runs.
_NOW = re.compile(r"^now(?:([+-])(\d+)([dh]))?$")


class ExpectationSpec(BaseModel):
    """One GX expectation by type name and kwargs, with the severity a failure has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(pattern=r"^expect_[a-z0-9_]+$", description="a GX expectation type name")
    kwargs: dict[str, Any] = Field(default_factory=dict)
    severity: Severity
    description: str = ""

    @property
    def column(self) -> str | None:
        """The column it checks, for column expectations (None for table-level ones)."""
        value = self.kwargs.get("column", self.kwargs.get("column_A"))
        return value if isinstance(value, str) else None

    @property
    def key(self) -> tuple[str, str]:
        """Type plus domain kwargs: a later suite file replaces an expectation with the same key."""
        domain = ",".join(f"{k}={self.kwargs[k]}" for k in DOMAIN_KWARGS if k in self.kwargs)
        return self.type, domain

    def resolved_kwargs(self, now: datetime | None = None) -> dict[str, Any]:
        """Kwargs with clock-relative bounds ("now+1d") turned into UTC datetimes."""
        now = now or datetime.now(timezone.utc)
        return {name: resolve_now(value, now) for name, value in self.kwargs.items()}

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
