"""Forget the queued people together: resolve them once, erase them in one MERGE per table, audit.

`insights forget` queues requests (jobs/privacy/forget_requests.py); the meta/forget_requests
asset applies every pending one in a batch; the daily vacuum (jobs/privacy/completion.py)
makes them complete. `insights forget --now` does all three at once for what it was given.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pyspark.sql import SparkSession

from jobs.lake import lake_tables
from jobs.privacy.completion import Completion, complete_requests
from jobs.privacy.erase import erase_subject
from jobs.privacy.forget_requests import Ask, Resolution, mark_erased, pending_requests, queue_requests
from jobs.privacy.identifiers import Subject
from jobs.privacy.subject import find_subjects
from schemas.catalog import FORGET_REQUESTS
from schemas.privacy import privacy_settings
from schemas.tables import Lake
from schemas.workspace import Workspace

Result = TypeVar("Result")


@dataclass(frozen=True)
class BatchResult:
    """What one batch did: the requests it applied, who was found, rows removed per table."""

    batch_id: str | None
    subjects: dict[str, Subject] = field(default_factory=dict)  # request_id -> person found
    rows_removed: dict[str, int] = field(default_factory=dict)
    completion: Completion | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # phase (or 'erase <table>') -> wall seconds

    @property
    def total(self) -> int:
        return sum(self.rows_removed.values())

    @property
    def subject(self) -> Subject:
        """Everyone of the batch as one subject."""
        return Subject.union(list(self.subjects.values()))

    def render(self) -> str:
        """A short report for the terminal (counts only, no personal data)."""
        if not self.subjects:
            return "no request pending"
        found = sum(s.found for s in self.subjects.values())
        lines = [f"batch {self.batch_id}: {len(self.subjects)} requests, {found} people found, "
                 f"{self.total} rows removed"]
        lines += [f"  {table:<40} {rows:>8}" for table, rows in sorted(self.rows_removed.items()) if rows]
        if self.completion is not None:
            lines.append(self.completion.render())
        return "\n".join(lines)


def forget_pending(spark: SparkSession, workspace: Workspace, lake: Lake,
                   only: list[str] | None = None) -> BatchResult:
    """Erase every queued request (or those named) from the latest version of every table concerned."""
    clock = _Clock()
    pending = clock.time("pending", lambda: pending_requests(lake, only))
    if not pending:
        return BatchResult(None)
    batch_id = str(uuid.uuid4())
    subjects = clock.time("resolve", lambda: find_subjects(workspace, lake, pending))
    everyone = Subject.union(list(subjects.values()))
    erased = clock.time("erase", lambda: erase_subject(spark, workspace, lake_tables(spark, lake), everyone)
                        if everyone.found else [])
    removed = {e.table: e.rows for e in erased if e.rows}
    touched = sorted({*removed, FORGET_REQUESTS.key})  # the queue's old versions held the identifiers
    suppress = privacy_settings(workspace.privacy).suppress
    clock.time("audit", lambda: mark_erased(spark, lake, batch_id, [
        Resolution(request, subject.hashes() if suppress else [], removed, touched)
        for request, subject in subjects.items()
    ]))
    clock.seconds |= {f"erase {e.table}": e.seconds for e in erased}
    return BatchResult(batch_id, subjects, removed, seconds=clock.seconds)


def forget_now(spark: SparkSession, workspace: Workspace, lake: Lake, asks: list[Ask],
               retention_hours: float | None = None) -> BatchResult:
    """Queue, erase and vacuum the tables touched at once: urgent requests, tests, emergencies."""
    retention = _retention(workspace, retention_hours)
    clock = _Clock()
    ids = clock.time("queue", lambda: queue_requests(spark, lake, asks, workspace.settings.defaults.country,
                                                     retention))
    batch = forget_pending(spark, workspace, lake, only=ids)
    completion = clock.time("vacuum", lambda: complete_requests(spark, lake, retention, only=ids))
    return BatchResult(batch.batch_id, batch.subjects, batch.rows_removed, completion, clock.seconds | batch.seconds)


def queue(spark: SparkSession, workspace: Workspace, lake: Lake, asks: list[Ask],
          retention_hours: float | None = None) -> list[str]:
    """Record the requests for the next batch; their request IDs."""
    region = workspace.settings.defaults.country
    return queue_requests(spark, lake, asks, region, _retention(workspace, retention_hours))


def _retention(workspace: Workspace, retention_hours: float | None) -> float:
    settings = privacy_settings(workspace.privacy)
    return settings.retention_hours if retention_hours is None else retention_hours


class _Clock:
    """Wall seconds per phase of a batch, for the benchmark's profile."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def time(self, phase: str, work: Callable[[], Result]) -> Result:
        started = time.perf_counter()
        try:
            return work()
        finally:
            self.seconds[phase] = round(time.perf_counter() - started, 2)
