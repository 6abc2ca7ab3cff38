"""Whether a principal may read a whole catalogue table as files (ACLs, SAS, the report's table list).

Files cannot hide a column or a row: a table is readable only when every part of it is granted and
none of its columns is masked for the role. Otherwise its data reaches the principal only through
the command line (filtered and masked) or an export; the reason says which grant is missing.
"""

from __future__ import annotations

from schemas.activity import activity_types
from schemas.catalog import Table
from schemas.permissions import Permissions
from schemas.tables import BRONZE, META, QUARANTINE, SILVER
from schemas.timeline import activity_columns, event_masks
from schemas.workspace import Workspace


def table_refusal(table: Table, allowed: Permissions, workspace: Workspace, masks: bool = True) -> str | None:
    """Why the principal may not read the table (None: it may); masks=False for exports, which mask columns."""
    if allowed.admin:
        return None
    if table.layer in (BRONZE, QUARANTINE) or (table.layer == META and table.entity == "ledger"):
        return f"{table.key} holds raw or bookkeeping rows: admin only"
    if table.layer == SILVER:
        return _types_refusal(allowed, [table.name], workspace, masks)
    return _gold_refusal(table, allowed, workspace, masks)


def _types_refusal(allowed: Permissions, types: list[str], workspace: Workspace, masks: bool = True) -> str | None:
    """Every type granted and (if the table holds their attributes) none of them masked."""
    missing = [t for t in types if not allowed.allows("types", t)]
    if missing:
        return f"no grant on {missing} (roles.{allowed.role}.profiles/interactions)"
    if not masks:
        return None
    masked = [f"{t}.{a}" for t in types for a in workspace.model.attributes_of(t) if allowed.mask(t, a)]
    return f"masked columns {masked} (files cannot mask: read it through insights or an export)" if masked else None


def _all_of(allowed: Permissions, kind: str, names: list[str]) -> str | None:
    missing = [n for n in names if not allowed.allows(kind, n)]
    return f"no grant on {kind} {missing} (roles.{allowed.role}.{kind})" if missing else None


def _gold_refusal(table: Table, allowed: Permissions, workspace: Workspace, masks: bool = True) -> str | None:
    """The parts a gold (or meta) table holds, each of which must be granted."""
    kpis = workspace.kpis
    segments = list(workspace.segments.segments) if workspace.segments else []
    predictions = list(workspace.predictions.predictions) if workspace.predictions else []
    fed = [t for t in workspace.silver_types() if t in workspace.model.interactions]
    if table.entity == "identity":
        if not allowed.identity:
            return f"no grant on identity (roles.{allowed.role}.identity)"
        personal = table.personal and workspace.model.primary_profile  # golden_customer: the golden record
        return _types_refusal(allowed, [workspace.model.primary_profile], workspace, masks) if personal else None
    if table.entity == "kpi":
        grain = "customer" if table.name == "kpis_customer" else "business"
        return _all_of(allowed, "kpis", list(kpis.of_grain(grain)) if kpis else [])
    if table.entity == "segment":
        return _all_of(allowed, "segments", segments)
    if table.entity == "prediction":
        return _all_of(allowed, "predictions", predictions)
    if table.entity == "measures" and workspace.settings.basic_measures:
        measures = workspace.settings.basic_measures
        profile = workspace.model.interactions[measures.interaction].links[measures.role].profile
        return _types_refusal(allowed, [measures.interaction, profile], workspace, masks=False)
    if table.entity == "activity" and workspace.activity:
        return _activity_refusal(allowed, workspace, masks)
    if table.entity == "interaction":  # gold/customer_timeline: every fed interaction type
        return _types_refusal(allowed, fed, workspace, masks)
    if table.entity == "customer_360":
        return _customer_360_refusal(allowed, workspace, fed, segments, predictions, masks)
    return None


def _activity_refusal(allowed: Permissions, workspace: Workspace, masks: bool) -> str | None:
    """daily_activity: every counted type granted, and (files) none of their activity dimensions masked."""
    activity = workspace.activity
    assert activity is not None
    types = activity_types(activity, workspace)
    refusal = _types_refusal(allowed, types, workspace, masks=False)
    if refusal or not masks:
        return refusal
    columns = activity_columns(workspace.model, types, activity.dimension)
    masked = [f"{t}.{activity.dimension}" for t in event_masks(allowed, workspace.model, columns)]
    return f"masked columns {masked} (files cannot mask: read it through insights or an export)" if masked else None


def _customer_360_refusal(allowed: Permissions, workspace: Workspace, fed: list[str], segments: list[str],
                          predictions: list[str], masks: bool = True) -> str | None:
    """customer_360 holds the golden record, records, KPIs, segments, scores, counts and related profiles."""
    if not allowed.customer_360:
        return f"no grant on customer_360 (roles.{allowed.role}.customer_360)"
    if not allowed.identity:
        return f"its source records need identity (roles.{allowed.role}.identity)"
    model, kpis = workspace.model, workspace.kpis
    related = [r.to for r in model.relationships.values() if r.from_ == model.primary_profile]
    return (_types_refusal(allowed, [model.primary_profile, *fed, *related], workspace, masks)
            or _all_of(allowed, "kpis", list(kpis.of_grain("customer")) if kpis else [])
            or _all_of(allowed, "segments", segments) or _all_of(allowed, "predictions", predictions))
