"""Where each forget request stands, from meta/forget_requests rows (no personal data, no Spark)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from jobs.privacy.forget_requests import COMPLETE, ERASED, QUEUED

LEGACY = "applied"  # a request applied before the queue existed (no status column)


@dataclass(frozen=True)
class RequestStatus:
    """One request: its status and when it was requested, erased and made unrecoverable."""

    request_id: str
    kind: str
    status: str
    requested_at: datetime
    erased_at: datetime | None
    completed_at: datetime | None
    retention_hours: float
    rows_removed: int

    @property
    def unrecoverable_after(self) -> datetime | None:
        """The earliest time a vacuum deletes the older versions that still hold the person."""
        return self.erased_at + timedelta(hours=self.retention_hours) if self.erased_at else None

    def line(self) -> str:
        if self.status == QUEUED:
            state = "queued: waiting for the next batch"
        elif self.status == ERASED:
            state = (f"erased from the latest versions at {self.erased_at:%Y-%m-%d %H:%M}; unrecoverable "
                     f"after the first vacuum from {self.unrecoverable_after:%Y-%m-%d %H:%M}")
        elif self.status == COMPLETE:
            state = f"complete: unrecoverable since the vacuum at {self.completed_at:%Y-%m-%d %H:%M}"
        else:
            state = "applied before the queue existed (vacuumed with its retention then)"
        return f"{self.request_id}  {self.kind:<8} {self.requested_at:%Y-%m-%d %H:%M}  {self.rows_removed:>7} rows  {state}"


def statuses(rows: list[dict]) -> list[RequestStatus]:
    """Request statuses from the table's rows (as delta-rs or Spark give them), oldest first."""
    out = [RequestStatus(r["request_id"], r["identifier_kind"], r.get("status") or LEGACY, _time(r["requested_at"]),
                         _time(r.get("erased_at")), _time(r.get("completed_at")), float(r["retention_hours"]),
                         int(r["total_rows_removed"])) for r in rows]
    return sorted(out, key=lambda s: (s.requested_at, s.request_id))


def counts(found: list[RequestStatus]) -> dict[str, int]:
    """Requests per status, every status named."""
    tally = Counter(s.status for s in found)
    return {status: tally.get(status, 0) for status in (QUEUED, ERASED, COMPLETE)} | (
        {LEGACY: tally[LEGACY]} if tally.get(LEGACY) else {})


def render(found: list[RequestStatus]) -> str:
    """The terminal report of `insights forget --status`."""
    if not found:
        return "no forget request recorded"
    summary = ", ".join(f"{n} {status}" for status, n in counts(found).items())
    return "\n".join([f"{len(found)} requests: {summary}", *(s.line() for s in found)])


def _time(value: object) -> datetime | None:
    """A timestamp as a datetime (pandas gives Timestamp or NaT)."""
    if value is None or value != value:  # None or NaT
        return None
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value  # type: ignore[return-value]
