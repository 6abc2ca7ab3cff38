"""When examples are cut: the holdout cutoff, the earlier training cutoffs and the scoring time.

A cutoff splits time: features see interactions strictly before it, labels see the horizon
[cutoff, cutoff + horizon). Training cutoffs lie early enough that their labels end before the
holdout's cutoff, so no label a model learns from overlaps the period it is judged on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from schemas.predictions import Prediction


@dataclass(frozen=True)
class Window:
    """One set of examples: features before `cutoff`, labels in [cutoff, label_end)."""

    index: int  # 0 = oldest training window; the holdout has the highest index
    cutoff: datetime
    label_end: datetime

    @property
    def label_days(self) -> int:
        return (self.label_end - self.cutoff).days


@dataclass(frozen=True)
class Plan:
    """Every window of one training: oldest training window first, the holdout last."""

    training: list[Window]
    holdout: Window

    @property
    def validation(self) -> list[Window]:
        return self.training[1:]


def holdout_cutoff(prediction: Prediction, data_end: datetime) -> datetime:
    """The explicit cutoff, or `latest`: the end of the data minus the horizon (labels complete)."""
    if prediction.cutoff != "latest":
        return datetime.combine(date.fromisoformat(prediction.cutoff), datetime.min.time(), UTC)
    return data_end - timedelta(days=prediction.horizon_days)


def plan_windows(prediction: Prediction, data_end: datetime) -> Plan:
    """Training windows spaced step_days apart, each ending before the holdout's cutoff."""
    holdout_at = holdout_cutoff(prediction, data_end)
    training = prediction.training
    label_days = training.label_horizon_days or prediction.horizon_days
    latest = holdout_at - timedelta(days=label_days)
    cutoffs = [latest - timedelta(days=training.step_days * k) for k in range(training.windows)][::-1]
    windows = [Window(i, c, c + timedelta(days=label_days)) for i, c in enumerate(cutoffs)]
    holdout = Window(len(windows), holdout_at, holdout_at + timedelta(days=prediction.horizon_days))
    return Plan(windows, holdout)


def day_after(moment: datetime) -> datetime:
    """Midnight UTC after a moment: `latest` ends there, so a day's late arrivals keep it stable."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
