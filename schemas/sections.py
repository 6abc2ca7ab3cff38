"""Optional workspace files (match.yaml, kpis.yaml, ...): each a typed section with its checks.

A capability adds its file by appending one Section to SECTIONS. The loader parses every
present file, then runs each section's cross-reference check with the workspace loaded so
far (earlier sections included), so later files may refer to earlier ones (segments to KPIs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel

from schemas.errors import Problem

if TYPE_CHECKING:
    from schemas.workspace import Workspace


@dataclass(frozen=True)
class Section:
    """One optional workspace file and how to validate it."""

    filename: str
    key: str
    schema: Callable[[], type[BaseModel]]
    check: Callable[[BaseModel, Workspace], list[Problem]] | None
    purpose: str


def _sections() -> list[Section]:
    # Imported lazily so each section module may import the workspace types it checks against.
    return []


SECTIONS: list[Section] = _sections()
