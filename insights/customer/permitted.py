"""A customer_360 row cut down to what a principal's role grants, masked columns masked, before any card is drawn.

The golden record needs the primary profile type, source records the identity grant, each KPI,
segment, score, interaction count and timeline event its own grant, a related profile its type's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from insights.customer.card import COUNT_SUFFIX, KPI_PREFIX, RELATED_PREFIX, SOURCE_SUFFIX
from insights.customer.search import FIELDS, Hit, SearchColumns
from schemas.model import Model
from schemas.permissions import AccessDenied, Permissions
from schemas.timeline import event_masks, masked_event


def _related_types(model: Model) -> dict[str, str]:
    """related_<name> column -> the profile type it holds."""
    return {f"{RELATED_PREFIX}{name}": r.to for name, r in model.relationships.items()}


def permitted_row(row: dict[str, Any], allowed: Permissions, model: Model) -> dict[str, Any]:
    """The row as the principal may see it (admin: unchanged); AccessDenied without the customer_360 grant."""
    allowed.require("customer_360")
    if allowed.admin:
        return row
    primary, related = model.primary_profile, _related_types(model)
    attributes = {c for c in row if f"{c}{SOURCE_SUFFIX}" in row}
    kept: dict[str, Any] = {}
    for column, value in row.items():
        base = column.removesuffix(SOURCE_SUFFIX)
        if base in attributes:
            if allowed.allows("types", primary):
                kept[column] = value if column != base else allowed.masked(primary, column, value)
        elif column.startswith(KPI_PREFIX):
            if allowed.allows("kpis", column.removeprefix(KPI_PREFIX)):
                kept[column] = value
        elif column.endswith(COUNT_SUFFIX) and column.removesuffix(COUNT_SUFFIX) in model.interactions:
            if allowed.allows("types", column.removesuffix(COUNT_SUFFIX)):
                kept[column] = value
        elif column in related:
            if allowed.allows("types", related[column]):
                kept[column] = _masked_profile(value, related[column], allowed)
        else:
            kept[column] = _nested(column, value, allowed, model)
    return kept


def _masked_profile(value: Any, type_name: str, allowed: Permissions) -> Any:
    """A related profile (a struct, a list of them, or null) with its masked attributes masked."""
    if isinstance(value, list):
        return [_masked_profile(v, type_name, allowed) for v in value]
    if value is None:
        return None
    return {k: allowed.masked(type_name, k, v) for k, v in value.items()}


def _nested(column: str, value: Any, allowed: Permissions, model: Model) -> Any:
    """records, segments, scores and timeline filtered by their grants; other columns as they are."""
    if column == "records":
        return value if allowed.allows("identity") else []
    if column == "segments":
        return [s for s in value or [] if allowed.allows("segments", s["segment"])]
    if column == "scores":
        return [s for s in value or [] if allowed.allows("predictions", s["prediction"])]
    if column == "timeline":
        return permitted_events(value or [], allowed, model)
    return value


def permitted_events(events: list[dict[str, Any]], allowed: Permissions, model: Model) -> list[dict[str, Any]]:
    """Timeline events of granted interaction types only, their channel and amount masked as the role masks them."""
    return [masked_event(e, allowed, model) for e in events if allowed.allows("types", e["interaction_type"])]


def require_unmasked(allowed: Permissions, model: Model, kind: str) -> None:
    """Looking a customer up by a masked contact would confirm the hidden value: refused."""
    if allowed.mask(model.primary_profile, kind):
        raise AccessDenied(f"{allowed.who} sees {kind} masked, so it cannot look customers up by it "
                           f"(access.yaml: roles.{allowed.role}.masks); look them up by customer ID")


def searchable_fields(columns: SearchColumns, allowed: Permissions, model: Model) -> tuple[str, ...]:
    """The search fields none of whose columns the principal sees masked (a hash cannot be fuzzy-matched)."""
    primary = model.primary_profile
    return tuple(f for f in FIELDS if not any(allowed.mask(primary, c) for c in getattr(columns, f)))


def permitted_hit(hit: Hit, columns: SearchColumns, allowed: Permissions, model: Model) -> Hit:
    """A search result with the golden values it shows masked as the principal sees them."""
    primary = model.primary_profile

    def shown(field: str, value: str | None) -> str | None:
        mask = next((c for c in getattr(columns, field) if allowed.mask(primary, c)), None)
        return value if mask is None else allowed.masked(primary, mask, value)

    return replace(hit, name=shown("name", hit.name) or "", email=shown("email", hit.email),
                   phone=shown("phone", hit.phone), postcode=shown("postcode", hit.postcode))


def withheld(row: dict[str, Any], allowed: Permissions, model: Model) -> list[str]:
    """What permitted_row leaves out or masks of this row, each with the access.yaml key that would show it."""
    if allowed.admin:
        return []
    primary, related, key = model.primary_profile, _related_types(model), f"roles.{allowed.role}"
    attributes = [c for c in row if f"{c}{SOURCE_SUFFIX}" in row]
    hidden = {
        "the golden record": (key + ".profiles", [] if allowed.allows("types", primary) else [primary]),
        "source records": (key + ".identity", [] if allowed.allows("identity") or not row.get("records") else ["all"]),
        "KPIs": (key + ".kpis", [c.removeprefix(KPI_PREFIX) for c in row if c.startswith(KPI_PREFIX)
                                  and not allowed.allows("kpis", c.removeprefix(KPI_PREFIX))]),
        "interaction types": (key + ".interactions", [t for t in model.interactions if f"{t}{COUNT_SUFFIX}" in row
                                                      and not allowed.allows("types", t)]),
        "segments": (key + ".segments", [s["segment"] for s in row.get("segments") or []
                                         if not allowed.allows("segments", s["segment"])]),
        "scores": (key + ".predictions", [s["prediction"] for s in row.get("scores") or []
                                          if not allowed.allows("predictions", s["prediction"])]),
        "related profiles": (key + ".profiles", [c.removeprefix(RELATED_PREFIX) for c, t in related.items()
                                                 if c in row and not allowed.allows("types", t)]),
        "masked columns": (key + ".masks", [c for c in attributes if allowed.allows("types", primary)
                                            and allowed.mask(primary, c)]),
        "masked in the timeline": (key + ".masks", [f"{t}.{c}" for t, masks in event_masks(allowed, model).items()
                                                    if allowed.allows("types", t) for c in masks]),
    }
    return [f"{what} {names} ({where})" if names != ["all"] else f"{what} ({where})"
            for what, (where, names) in hidden.items() if names]
