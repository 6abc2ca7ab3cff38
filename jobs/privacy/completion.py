"""Make erased requests complete: vacuum the tables they touched, past the retention.

A request erased at time e is unrecoverable once a VACUUM with retention r runs at or after
e + r (it deletes every file removed before its start minus r). Only the tables the erasures
touched are vacuumed (and meta/forget_requests, whose older versions held the identifiers
while they were queued), not the whole lake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyspark.sql import SparkSession

from jobs.lake import LakeTable, vacuum_tables
from jobs.privacy.forget_requests import erased_requests, mark_complete
from schemas.catalog import FORGET_REQUESTS
from schemas.tables import Lake


@dataclass(frozen=True)
class Completion:
    """One vacuum for forgotten people: the tables vacuumed, the requests it made complete."""

    vacuumed_at: datetime
    retention_hours: float
    vacuumed: list[str]
    completed: list[str]
    waiting: int  # erased requests whose retention has not passed yet

    def render(self) -> str:
        return (f"{len(self.vacuumed)} tables vacuumed at {self.vacuumed_at:%Y-%m-%d %H:%M:%S} UTC "
                f"(retention {self.retention_hours:g} h): {len(self.completed)} requests complete, "
                f"{self.waiting} waiting for their retention to pass")


def complete_requests(spark: SparkSession, lake: Lake, retention_hours: float,
                      only: list[str] | None = None) -> Completion:
    """Vacuum the tables erased requests touched; mark complete those whose retention has passed."""
    erased = [r for r in erased_requests(lake) if only is None or r.request_id in only]
    started = datetime.now(UTC).replace(microsecond=0)
    keys = sorted({t for r in erased for t in r.tables} | ({FORGET_REQUESTS.key} if erased else set()))
    tables = [LakeTable(*key.split("/", 1), lake.path(*key.split("/", 1))) for key in keys]
    vacuumed = vacuum_tables(tables, retention_hours)
    due = [r.request_id for r in erased
           if _aware(r.erased_at) + timedelta(hours=retention_hours) <= started]
    if due:
        mark_complete(spark, lake, due, len(vacuumed), started)
    return Completion(started, retention_hours, vacuumed, due, len(erased) - len(due))


def _aware(moment: datetime) -> datetime:
    """Spark returns timestamps as naive local times; as UTC."""
    return moment.astimezone(UTC)
