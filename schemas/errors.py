"""Errors that point at the workspace file and key a user must fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in a workspace file, located by file and dotted key."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.message}"


class WorkspaceError(ValueError):
    """Raised before Spark starts, listing every problem found in the workspace."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"workspace has {len(problems)} {noun}:\n{lines}")
