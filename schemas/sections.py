"""Optional workspace files (match.yaml, kpis.yaml, ...): each a typed section with its checks.

A capability adds its file by appending one Section to SECTIONS (and its typed field to
Workspace). The loader parses every present file, then runs each section's cross-reference check with the workspace loaded so
far (earlier sections included), so later files may refer to earlier ones (segments to KPIs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from schemas.access import ACCESS_FILE, AccessFile
from schemas.access_checks import check_access
from schemas.activity import ACTIVITY_FILE, DailyActivity, check_activity
from schemas.errors import Problem
from schemas.export_checks import check_exports
from schemas.exports import EXPORTS_FILE, ExportFile
from schemas.kpis import KPIS_FILE, KpiFile, check_kpis
from schemas.match import MATCH_FILE, MatchPolicy, check_match
from schemas.predictions import PREDICTIONS_FILE, PredictionFile, check_predictions
from schemas.privacy import PRIVACY_FILE, Privacy
from schemas.segments import SEGMENTS_FILE, SegmentFile, check_segments
from schemas.workspace import Workspace


@dataclass(frozen=True)
class Section:
    """One optional workspace file (its key is the Workspace field it fills) and its check."""

    filename: str
    key: str
    schema: type[BaseModel]
    check: Callable[[Any, Workspace], list[Problem]] | None
    purpose: str


SECTIONS: list[Section] = [
    Section(MATCH_FILE, "match", MatchPolicy, check_match,
            "Identity resolution: normalisation, deterministic rules, blocking, comparisons, "
            "threshold, training, clustering, overrides, merge policy (one ID per person)."),
    Section(KPIS_FILE, "kpis", KpiFile, check_kpis,
            "KPIs: aggregates over interactions per customer or business-wide by period, "
            "with filters, time windows and ranges (gold/kpis_customer, gold/kpis_business)."),
    Section(SEGMENTS_FILE, "segments", SegmentFile, lambda file, ws: check_segments(file, ws, ws.kpis),
            "Segments: nested all/any/not rules over profile attributes, KPIs, events and other "
            "segments (gold/segment_membership, gold/segment_events)."),
    Section(PRIVACY_FILE, "privacy", Privacy, None,
            "Privacy: how `insights forget` erases a person (retention of old file "
            "versions, suppression of re-sent rows)."),
    Section(ACTIVITY_FILE, "activity", DailyActivity, check_activity,
            "Daily activity: interactions per day, type and channel (gold/daily_activity, "
            "one Dagster partition per day, backfilled a day at a time)."),
    Section(PREDICTIONS_FILE, "predictions", PredictionFile, lambda file, ws: check_predictions(file, ws, ws.kpis),
            "Predictions: a business outcome (binary or numeric) over future interactions or a "
            "profile attribute, cutoff and horizon, features; trained with Spark ML, tracked in "
            "MLflow, scored into gold/scores."),
    Section(ACCESS_FILE, "access", AccessFile, check_access,
            "Access: roles with grants on the catalogue's entities (profile and interaction types, KPIs, "
            "segments, predictions, identity tables, the customer 360) and masked columns, and the Entra ID "
            "principals that have them (a listed group's role applies to its members, looked up in Microsoft "
            "Graph: docs/deploy.md); enforced by `insights customer`, `segment show`, `report` and `export`, "
            "turned into the lake's ACLs by `insights access plan` and SAS by `insights access sas`. Without it, "
            "every command reads as admin."),
    Section(EXPORTS_FILE, "exports", ExportFile, check_exports,
            "Exports: chosen gold tables written to an ADLS Gen2 or Blob container (delta, parquet or csv), "
            "staged then published so readers never see a partial export, resumable, with a manifest (tables, "
            "Delta versions, rows, checksums, grants applied), read as an access.yaml principal so masks and "
            "refusals follow the data; one Dagster asset `export/<name>` each, or `insights export`. Without it, "
            "there are no export assets."),
]
