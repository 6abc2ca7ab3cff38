"""What each KPI, segment and prediction is computed from: the profile and interaction types it reads.

A grant on a KPI computed from support cases would hand support-case data to a role without a
grant on support cases; access.yaml's checks and `["*"]` use these sets so permissions follow the data.
"""

from __future__ import annotations

from schemas.kpis import KpiFile
from schemas.predictions import Prediction
from schemas.segments import Segment, SegmentFile
from schemas.sql import column_names, parse
from schemas.workspace import Workspace


def kpi_inputs(name: str, kpis: KpiFile, seen: frozenset[str] = frozenset()) -> frozenset[str]:
    """The interaction types a KPI aggregates, through the KPIs a derived one combines."""
    kpi = kpis.kpis[name]
    if kpi.interaction is not None:
        return frozenset({kpi.interaction})
    used = column_names(parse(kpi.expr)) & set(kpis.kpis)
    return frozenset().union(*(kpi_inputs(other, kpis, seen | {name}) for other in used if other not in seen))


def segment_inputs(name: str, workspace: Workspace, seen: frozenset[str] = frozenset()) -> frozenset[str]:
    """The types a segment's rules read: attributes of the primary profile, KPIs' inputs, events, other segments."""
    segments: SegmentFile = workspace.segments
    rule: Segment = segments.segments[name]
    found: set[str] = set()
    for _, condition in rule.walk("rule"):
        if condition.attribute is not None and workspace.model.primary_profile:
            found.add(workspace.model.primary_profile)
        if condition.kpi is not None and workspace.kpis and condition.kpi in workspace.kpis.kpis:
            found |= kpi_inputs(condition.kpi, workspace.kpis)
        if condition.event is not None:
            found.add(condition.event.interaction)
        if condition.segment is not None and condition.segment in segments.segments and condition.segment not in seen:
            found |= segment_inputs(condition.segment, workspace, seen | {name})
    return frozenset(found)


def prediction_inputs(prediction: Prediction, workspace: Workspace) -> frozenset[str]:
    """The types a prediction's outcome, population and features read (its defaults included)."""
    outcome, features = prediction.outcome, prediction.features
    found = {outcome.interaction or prediction.entity}
    found |= {i for i in (prediction.population.interaction, features.rfm and features.rfm.interaction) if i}
    if features.profile_attributes is None or features.profile_attributes:
        found.add(prediction.entity)
    if features.interactions is None:
        fed = workspace.silver_types()
        found |= {kind for kind, _ in workspace.model.roles_linking_to(prediction.entity, fed)}
    else:
        found |= set(features.interactions)
    kpis = workspace.kpis
    if kpis is not None:
        chosen = list(kpis.of_grain("customer")) if features.kpis is None else features.kpis
        found |= frozenset().union(*(kpi_inputs(k, kpis) for k in chosen if k in kpis.kpis))
    return frozenset(found)
