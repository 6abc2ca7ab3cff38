"""The report's data cut down to what a principal's role grants: tables, KPIs, segments, identity, predictions.

The page shows aggregates and no attribute values, so masks change nothing on it; what a role may not
see is left out, and a section it may not see at all says which grant is missing.
"""

from __future__ import annotations

from dataclasses import replace

from insights.report.data import KpiData, RunSummary, SegmentData
from insights.report.sections import Section
from schemas.catalog import by_key
from schemas.permissions import Permissions
from schemas.table_access import table_refusal
from schemas.workspace import Workspace


def permitted_summary(summary: RunSummary, allowed: Permissions, workspace: Workspace) -> RunSummary:
    """Only the tables whose files the principal may read; the quarantine (raw rows) for admins only."""
    if allowed.admin:
        return summary
    tables = by_key(workspace)
    shown = [t for t in summary.tables if t.key in tables and table_refusal(tables[t.key], allowed, workspace) is None]
    return RunSummary(shown, [])


def permitted_kpis(kpis: KpiData, allowed: Permissions) -> KpiData:
    """Customer KPI columns and business KPI rows of granted KPIs only."""
    if allowed.admin:
        return kpis
    customer, business = kpis.customer, kpis.business
    if customer is not None:
        customer = customer[[c for c in customer.columns if allowed.allows("kpis", c)]]
    if business is not None:
        business = business[business["kpi"].map(lambda k: allowed.allows("kpis", k))]
    return KpiData(customer, business)


def permitted_segments(segments: SegmentData, allowed: Permissions) -> SegmentData:
    """Sizes of granted segments, and overlaps of pairs both of which are granted."""
    if allowed.admin:
        return segments
    sizes, overlap = segments.sizes, segments.overlap
    granted = lambda column: column.map(lambda s: allowed.allows("segments", s))  # noqa: E731
    if sizes is not None:
        sizes = sizes[granted(sizes["segment"])]
    if overlap is not None:
        overlap = overlap[granted(overlap["segment_a"]) & granted(overlap["segment_b"])]
    return SegmentData(sizes, overlap)


def withheld(section: Section, reason: str) -> Section:
    """A section the principal may not see: its title, and the refusal instead of its content."""
    return replace(section, facts=[], figures=[], grids=[], missing=[reason])
