"""A timeline event's channel and amount: which attribute of its interaction type each is, masked as that attribute.

gold/customer_timeline's rows and customer_360's `timeline` events carry, per interaction, its type's `channel`
and its amount-like measure (`amount`, else the first numeric `*_amount`). They are that attribute's values, so a
role that masks the attribute (access.yaml `masks`: `channel`, `amount`, `purchase.amount`, `line_amount`) sees
them masked there too. The card, its longer timeline and exports all call `masked_event`: one rule.
gold/daily_activity's rows are events of the same kind: their `channel` is the activity dimension's value.
"""

from __future__ import annotations

from typing import Any

from schemas.access import MaskKind
from schemas.model import InteractionType, Model
from schemas.permissions import Permissions

INTERACTION_TYPE, CHANNEL, AMOUNT = "interaction_type", "channel", "amount"
EVENT_COLUMNS = (CHANNEL, AMOUNT)
NUMERIC = ("double", "long", "decimal")


def amount_attribute(interaction: InteractionType) -> str | None:
    """The type's amount-like measure: `amount`, else the first numeric `*_amount` attribute, else none."""
    attributes = interaction.attributes
    if AMOUNT in attributes and attributes[AMOUNT].type in NUMERIC:
        return AMOUNT
    return next((n for n, a in attributes.items() if n.endswith("_amount") and a.type in NUMERIC), None)


def channel_attribute(interaction: InteractionType) -> str | None:
    """The type's channel attribute (a string named `channel`), if it has one."""
    attribute = interaction.attributes.get(CHANNEL)
    return CHANNEL if attribute is not None and attribute.type == "string" else None


def event_attributes(model: Model, type_name: str) -> dict[str, str]:
    """Timeline column -> the attribute of the interaction type it holds (only those the type has)."""
    interaction = model.interactions.get(type_name)
    if interaction is None:
        return {}
    found = {CHANNEL: channel_attribute(interaction), AMOUNT: amount_attribute(interaction)}
    return {column: attribute for column, attribute in found.items() if attribute}


Columns = dict[str, dict[str, str]]  # interaction type -> column -> the attribute it holds


def activity_columns(model: Model, types: list[str], dimension: str) -> Columns:
    """gold/daily_activity's `channel` column holds the activity dimension of each counted type that has it."""
    return {t: {CHANNEL: dimension} for t in types if dimension in model.interactions[t].attributes}


def _columns(model: Model, type_name: str, columns: Columns | None) -> dict[str, str]:
    return event_attributes(model, type_name) if columns is None else columns.get(type_name, {})


def event_masks(allowed: Permissions, model: Model, columns: Columns | None = None) -> dict[str, dict[str, MaskKind]]:
    """Interaction type -> column -> mask, for the types whose channel or amount (or `columns`) the role masks."""
    if allowed.admin:
        return {}
    found = {t: {c: kind for c, a in _columns(model, t, columns).items() if (kind := allowed.mask(t, a))}
             for t in model.interactions}
    return {t: masks for t, masks in found.items() if masks}


def masked_event(event: dict[str, Any], allowed: Permissions, model: Model,
                 columns: Columns | None = None) -> dict[str, Any]:
    """The event (a timeline row or entry; a daily_activity row with `columns`), its attribute values masked.

    Its interaction type decides: channel and amount (or the columns given) are masked as the role masks
    the attribute each holds; everything else is as it was.
    """
    if allowed.admin:
        return event
    type_name = event.get(INTERACTION_TYPE)
    attributes = _columns(model, type_name, columns) if isinstance(type_name, str) else {}
    return {k: allowed.masked(type_name, attributes[k], v) if k in attributes else v for k, v in event.items()}
