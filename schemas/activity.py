"""The daily activity table (activity.yaml): interactions per day, type and channel."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from schemas.errors import Problem
from schemas.model import Strict
from schemas.workspace_core import WorkspaceCore


ACTIVITY_FILE = "activity.yaml"


class DailyActivity(Strict):
    """The activity.yaml file: gold/daily_activity, one Dagster partition per day."""

    start_date: date = Field(description="the first day (and Dagster partition) of the table")
    dimension: str = Field(
        default="channel",
        description="attribute the counts are split by; types without it count under 'unknown'",
    )
    interactions: list[str] = Field(
        default_factory=list,
        description="interaction types counted (empty: every interaction type a source feeds)",
    )


def check_activity(section: DailyActivity, workspace: WorkspaceCore) -> list[Problem]:
    """Every listed interaction type must exist and be fed by a source."""
    fed = set(workspace.silver_types())
    return [
        Problem(ACTIVITY_FILE, f"interactions.{i}",
                f"unknown or unfed interaction type '{name}' "
                f"(known: {sorted(t for t in workspace.model.interactions if t in fed)})")
        for i, name in enumerate(section.interactions)
        if name not in workspace.model.interactions or name not in fed
    ]


def activity_types(section: DailyActivity, workspace: WorkspaceCore) -> list[str]:
    """The interaction types the table counts, in model order."""
    fed = workspace.silver_types()
    chosen = section.interactions or list(workspace.model.interactions)
    return [t for t in workspace.model.interactions if t in chosen and t in fed]
