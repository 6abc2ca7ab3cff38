"""Masked columns of an exported table, applied to each record batch with schemas/masking.py's one hash.

A gold table holds attribute values in known places only: the golden record's columns (golden_customer,
customer_360) are the primary profile's attributes; customer_360's `related_<relationship>` columns hold the
related profile's attributes (a struct or a list of them); a timeline event's channel and amount (customer_360's
`timeline` entries, gold/customer_timeline's rows) and gold/daily_activity's channel (the activity dimension)
are attributes of the row's interaction type, masked by schemas/timeline.py's `masked_event`, the card's rule.
Those are masked as the role masks them (hashed: 64 hex digits, a string column; nulled: null); the rest is
unchanged. A field some types hash and others do not becomes a string throughout, the unmasked values in the
text they would be hashed as.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from schemas.access import MaskKind
from schemas.activity import activity_types
from schemas.catalog import Table
from schemas.masking import value_text
from schemas.model import Model
from schemas.permissions import Permissions
from schemas.timeline import INTERACTION_TYPE, Columns, activity_columns, event_masks, masked_event
from schemas.workspace import Workspace

GOLDEN_ENTITIES = ("customer_360",)  # besides golden_customer, the tables whose columns are the golden record
TIMELINE = "timeline"  # customer_360's recent events (jobs/customer_360.py)
EVENT_ENTITIES = ("interaction",)  # gold/customer_timeline: one event per row


@dataclass(frozen=True)
class ColumnMask:
    """How one column is masked: its type's attributes (top level) or fields (a related profile) and the kinds.

    An events mask (`by_type` set) masks timeline events by their own interaction type with `masked_event`.
    """

    column: str
    type_name: str
    fields: dict[str, MaskKind]  # attribute -> mask; for a top-level column, {column: kind}
    nested: bool = False
    by_type: dict[str, dict[str, MaskKind]] = field(default_factory=dict)  # events: type -> field -> mask
    model: Model | None = None  # events: the model masked_event reads
    columns: Columns | None = None  # events whose columns are not the timeline's (daily_activity)

    def described(self) -> dict[str, str]:
        """column (or column.field) -> hash | null, for the manifest; an event field names its types when they differ."""
        described = {}
        for name, kind in self.fields.items():
            key = f"{self.column}.{name}" if self.nested else name
            kinds = {t: f[name] for t, f in self.by_type.items() if name in f}
            same = len(set(kinds.values())) <= 1
            described[key] = kind if same else ", ".join(f"{k} ({t})" for t, k in sorted(kinds.items()))
        return described


def _events_mask(column: str, allowed: Permissions, model: Model, nested: bool,
                 columns: Columns | None = None) -> ColumnMask | None:
    by_type = event_masks(allowed, model, columns)
    if not by_type:
        return None
    fields: dict[str, MaskKind] = {}
    for masks in by_type.values():
        for name, kind in masks.items():
            fields[name] = "hash" if "hash" in (kind, fields.get(name)) else kind
    return ColumnMask(column, "", fields, nested, by_type, model, columns)


def _row_events(table: Table, workspace: Workspace) -> tuple[bool, Columns | None]:
    """Whether each row of the table is an event (customer_timeline, daily_activity), and its columns' attributes."""
    if table.entity in EVENT_ENTITIES:
        return True, None
    if table.entity == "activity" and workspace.activity:
        types = activity_types(workspace.activity, workspace)
        return True, activity_columns(workspace.model, types, workspace.activity.dimension)
    return False, None


def column_masks(table: Table, schema: pa.Schema, allowed: Permissions, workspace: Workspace) -> list[ColumnMask]:
    """The masks the principal's role puts on this table's columns (none for admin or unmasked roles)."""
    if allowed.admin or not allowed.masks:
        return []
    model = workspace.model
    primary = model.primary_profile
    found: list[ColumnMask] = []
    if table.name == "golden_customer" or table.entity in GOLDEN_ENTITIES:
        for name in schema.names:
            kind = allowed.mask(primary, name) if name in model.attributes_of(primary) else None
            if kind:
                found.append(ColumnMask(name, primary, {name: kind}))
    if table.entity in GOLDEN_ENTITIES:
        for rel_name, relationship in model.relationships.items():
            column = f"related_{rel_name}"  # jobs/related_profiles.py's Related.column
            if column not in schema.names:
                continue
            kinds = {a: k for a in model.attributes_of(relationship.to) if (k := allowed.mask(relationship.to, a))}
            if kinds:
                found.append(ColumnMask(column, relationship.to, kinds, nested=True))
        if TIMELINE in schema.names and (events := _events_mask(TIMELINE, allowed, model, nested=True)):
            found.append(events)
    rows_are_events, columns = _row_events(table, workspace)
    if rows_are_events and INTERACTION_TYPE in schema.names:
        events = _events_mask("", allowed, model, False, columns)
        if events:
            found += [ColumnMask(c, "", {c: k}, False, events.by_type, model, columns) for c, k in events.fields.items()
                      if c in schema.names]
    return found


def masked_schema(schema: pa.Schema, masks: list[ColumnMask]) -> pa.Schema:
    """The schema of the masked batches: a hashed value is a string wherever it was."""
    for mask in masks:
        index = schema.get_field_index(mask.column)
        schema = schema.set(index, schema.field(index).with_type(_masked_type(schema.field(index).type, mask)))
    return schema


def _masked_type(kind: pa.DataType, mask: ColumnMask) -> pa.DataType:
    if not mask.nested:
        return pa.string() if mask.fields[mask.column] == "hash" else kind
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pa.list_(_masked_type(kind.value_type, mask))
    fields = [f.with_type(pa.string()) if mask.fields.get(f.name) == "hash" else f for f in kind]
    return pa.struct(fields)


def mask_batch(batch: pa.RecordBatch, masks: list[ColumnMask], allowed: Permissions,
               schema: pa.Schema) -> pa.RecordBatch:
    """The batch with each masked column replaced by its masked values (schema: masked_schema's)."""
    if not masks:
        return batch
    columns = dict(zip(batch.schema.names, batch.columns, strict=True))
    for mask in masks:
        values = columns[mask.column].to_pylist()
        if mask.by_type and not mask.nested:  # a row is an event: its own type decides
            types = columns[INTERACTION_TYPE].to_pylist()
            events = [masked_event({INTERACTION_TYPE: t, mask.column: v}, allowed, mask.model, mask.columns)
                      for t, v in zip(types, values, strict=True)]
            masked = [_as_text(e[mask.column], mask.fields[mask.column]) for e in events]
        elif mask.nested:
            masked = [_masked_profile(v, mask, allowed) for v in values]
        else:
            masked = [allowed.masked(mask.type_name, mask.column, v) for v in values]
        columns[mask.column] = pa.array(masked, type=schema.field(mask.column).type)
    return pa.RecordBatch.from_arrays([columns[n] for n in schema.names], schema=schema)


def _as_text(value: Any, kind: MaskKind) -> Any:
    """A value of a column that is hashed for some types: text, as the hash would have read it."""
    return value_text(value) if kind == "hash" and value is not None else value


def _masked_profile(value: object, mask: ColumnMask, allowed: Permissions) -> object:
    """A related profile or timeline event (struct, list of structs, or null) with its masked attributes masked."""
    if isinstance(value, list):
        return [_masked_profile(v, mask, allowed) for v in value]
    if not isinstance(value, dict):
        return value
    if mask.by_type:
        event = masked_event(value, allowed, mask.model, mask.columns)
        return {k: _as_text(v, mask.fields[k]) if k in mask.fields else v for k, v in event.items()}
    return {k: allowed.masked(mask.type_name, k, v) if k in mask.fields else v for k, v in value.items()}
