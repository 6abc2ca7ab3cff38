"""Masked columns of an exported table, applied to each record batch with schemas/masking.py's one hash.

A gold table holds attribute values in known places only: the golden record's columns (golden_customer,
customer_360) are the primary profile's attributes, and customer_360's `related_<relationship>` columns
hold the related profile's attributes (a struct or a list of them). Those are masked as the role masks
them (hashed: 64 hex digits, a string column; nulled: null of the column's type); the rest is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from schemas.access import MaskKind
from schemas.catalog import Table
from schemas.permissions import Permissions
from schemas.workspace import Workspace

GOLDEN_ENTITIES = ("customer_360",)  # besides golden_customer, the tables whose columns are the golden record


@dataclass(frozen=True)
class ColumnMask:
    """How one column is masked: its type's attributes (top level) or fields (a related profile) and the kinds."""

    column: str
    type_name: str
    fields: dict[str, MaskKind]  # attribute -> mask; for a top-level column, {column: kind}
    nested: bool = False


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
        if mask.nested:
            masked = [_masked_profile(v, mask, allowed) for v in values]
        else:
            masked = [allowed.masked(mask.type_name, mask.column, v) for v in values]
        columns[mask.column] = pa.array(masked, type=schema.field(mask.column).type)
    return pa.RecordBatch.from_arrays([columns[n] for n in schema.names], schema=schema)


def _masked_profile(value: object, mask: ColumnMask, allowed: Permissions) -> object:
    """A related profile (struct, list of structs, or null) with its masked attributes masked."""
    if isinstance(value, list):
        return [_masked_profile(v, mask, allowed) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: allowed.masked(mask.type_name, k, v) if k in mask.fields else v for k, v in value.items()}
