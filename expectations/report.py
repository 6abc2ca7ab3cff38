"""The outcome of validating a table, as plain frozen data that callers can test and render."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from expectations.spec import Severity

_STATUS = {"ok": "✅", "error": "❌", "warn": "⚠️"}
_CELL_CHARS = 80


@dataclass(frozen=True)
class ExpectationResult:
    """How one expectation fared: counts, a few unexpected values or rows, and why it matters."""

    type: str
    column: str | None
    severity: Severity
    success: bool
    unexpected_count: int | None
    unexpected_percent: float | None
    sample: list[Any] = field(default_factory=list)
    description: str = ""
    observed: Any = None  # what table- and aggregate-level expectations saw (e.g. a type name)
    exception: str | None = None  # GX could not evaluate it (e.g. a missing column)

    @property
    def status(self) -> str:
        """Either "ok" or the severity of the failure, for grouping and icons."""
        return "ok" if self.success else self.severity


@dataclass(frozen=True)
class ValidationReport:
    """All results for one table; success means no error-severity expectation failed."""

    table: str
    success: bool
    results: list[ExpectationResult]
    row_count: int | None = None
    skipped: list[str] = field(default_factory=list)  # needed a previous version or the lake root

    @property
    def errors(self) -> list[ExpectationResult]:
        """Failed expectations of severity error (these make the validation fail)."""
        return [r for r in self.results if not r.success and r.severity == "error"]

    @property
    def warnings(self) -> list[ExpectationResult]:
        """Failed expectations of severity warn (reported, not failing)."""
        return [r for r in self.results if not r.success and r.severity == "warn"]

    def summary(self) -> str:
        """One line: table, verdict, counts."""
        rows = f", {self.row_count:,} rows" if self.row_count is not None else ""
        rows += f", {len(self.skipped)} skipped" if self.skipped else ""
        verdict = "passed" if self.success else "FAILED"
        return (
            f"{self.table}: {verdict} ({_count(len(self.results), 'expectation')}, "
            f"{_count(len(self.errors), 'error')}, {_count(len(self.warnings), 'warning')}{rows})"
        )

    def to_markdown(self) -> str:
        """A compact table for Dagster metadata: failures first, then what passed."""
        order = {"error": 0, "warn": 1, "ok": 2}
        lines = [
            f"**{self.summary()}**",
            "",
            "| | severity | expectation | column | unexpected | sample / observed |",
            "|---|---|---|---|---|---|",
        ]
        for r in sorted(self.results, key=lambda r: order[r.status]):
            lines.append(
                f"| {_STATUS[r.status]} | {r.severity} | {_cell(r.description or r.type)} | "
                f"{_cell(r.column or '')} | {_unexpected(r)} | {_cell(_evidence(r))} |"
            )
        return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _unexpected(result: ExpectationResult) -> str:
    if result.unexpected_count is None:
        return ""
    if result.unexpected_percent is None:
        return f"{result.unexpected_count:,}"
    return f"{result.unexpected_count:,} ({result.unexpected_percent:.2g}%)"


def _evidence(result: ExpectationResult) -> str:
    if result.exception:
        return f"error: {result.exception}"
    if result.sample:
        return ", ".join(_item(item) for item in result.sample)
    if not result.success and result.observed is not None:
        return f"observed {result.observed}"
    return ""


def _item(item: Any) -> str:
    if isinstance(item, dict):
        return " ".join(f"{k}={v}" for k, v in item.items())
    return str(item)


def _cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= _CELL_CHARS else text[: _CELL_CHARS - 1] + "…"
