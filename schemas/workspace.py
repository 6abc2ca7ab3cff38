"""The whole workspace: the core files and each optional section, as typed fields."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.access import AccessFile
from schemas.activity import DailyActivity
from schemas.exports import ExportFile
from schemas.kpis import KpiFile
from schemas.match import MatchPolicy
from schemas.predictions import PredictionFile
from schemas.privacy import Privacy
from schemas.segments import SegmentFile
from schemas.workspace_core import WorkspaceCore


@dataclass(frozen=True)
class Workspace(WorkspaceCore):
    """Everything a workspace folder declares; a section is None when its file is absent."""

    match: MatchPolicy | None = None
    kpis: KpiFile | None = None
    segments: SegmentFile | None = None
    privacy: Privacy | None = None
    activity: DailyActivity | None = None
    predictions: PredictionFile | None = None
    access: AccessFile | None = None
    exports: ExportFile | None = None
