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
    from schemas.match import MATCH_FILE, MatchPolicy, check_match
    from schemas.kpis import KPIS_FILE, KpiFile, check_kpis
    from schemas.segments import SEGMENTS_FILE, SegmentFile, check_segments
    from schemas.privacy import PRIVACY_FILE, Privacy
    from schemas.activity import ACTIVITY_FILE, DailyActivity, check_activity
    from schemas.predictions import PREDICTIONS_FILE, PredictionFile, check_predictions

    return [
        Section(MATCH_FILE, "match", lambda: MatchPolicy, check_match,
                "Identity resolution: normalisation, deterministic rules, blocking, comparisons, "
                "threshold, training, clustering, overrides, merge policy (one ID per person)."),
        Section(KPIS_FILE, "kpis", lambda: KpiFile, check_kpis,
                "KPIs: aggregates over interactions per customer or business-wide by period, "
                "with filters, time windows and ranges (gold/kpis_customer, gold/kpis_business)."),
        Section(SEGMENTS_FILE, "segments", lambda: SegmentFile, check_segments,
                "Segments: nested all/any/not rules over profile attributes, KPIs, events and other "
                "segments (gold/segment_membership, gold/segment_events)."),
        Section(PRIVACY_FILE, "privacy", lambda: Privacy, None,
                "Privacy: how `insights forget` erases a person (retention of old file "
                "versions, suppression of re-sent rows)."),
        Section(ACTIVITY_FILE, "activity", lambda: DailyActivity, check_activity,
                "Daily activity: interactions per day, type and channel (gold/daily_activity, "
                "one Dagster partition per day, backfilled a day at a time)."),
        Section(PREDICTIONS_FILE, "predictions", lambda: PredictionFile, check_predictions,
                "Predictions: a business outcome (binary or numeric) over future interactions or a "
                "profile attribute, cutoff and horizon, features; trained with Spark ML, tracked in "
                "MLflow, scored into gold/scores."),
    ]


SECTIONS: list[Section] = _sections()
