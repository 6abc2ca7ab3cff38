"""What one export will do, decided before anything is written: tables pinned, grants checked, masks chosen, its id.

Permissions follow the data: a table the principal's role may not read (schemas/table_access.py, with
masked columns no reason since the export masks them) refuses the whole export, naming the grant.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from jobs.export.destination import Destination
from jobs.export.manifest import Grants, export_id
from jobs.export.masks import ColumnMask, column_masks
from jobs.export.source import SourceTable, pin
from schemas.catalog import Table, gold_tables
from schemas.exports import Export, ExportFormat, table_key
from schemas.permissions import AccessDenied, Permissions, everything, permissions_for
from schemas.table_access import table_refusal
from schemas.tables import Lake
from schemas.workspace import Workspace


@dataclass(frozen=True)
class PlannedTable:
    """One table of the export: its catalogue entry, the pinned source and the masks on its columns."""

    table: Table
    source: SourceTable
    masks: list[ColumnMask]

    @property
    def masked_columns(self) -> dict[str, str]:
        """column (or column.field of a related profile or timeline event) -> hash | null, for the manifest."""
        return {key: kind for m in self.masks for key, kind in m.described().items()}


@dataclass(frozen=True)
class ExportPlan:
    """An export ready to run: where, which format, read as whom, every table pinned, and its id."""

    name: str
    destination: Destination
    format: ExportFormat
    allowed: Permissions
    tables: list[PlannedTable]
    grants: Grants
    export_id: str


def chosen_tables(workspace: Workspace, names: list[str]) -> list[Table]:
    """The gold tables named (`gold/x` or `x`), or ValueError naming the unknown ones and the known."""
    gold = {t.key: t for t in gold_tables(workspace)}
    unknown = [n for n in names if table_key(n) not in gold]
    if unknown:
        raise ValueError(f"--tables: unknown gold tables {unknown} (known: {sorted(k[5:] for k in gold)})")
    return [gold[table_key(n)] for n in dict.fromkeys(names)]


def refuse_ungranted(tables: list[Table], allowed: Permissions, workspace: Workspace) -> None:
    """AccessDenied listing each table the role may not export and the grant it lacks."""
    refusals = [f"{t.key}: {why}" for t in tables if (why := table_refusal(t, allowed, workspace, masks=False))]
    if refusals:
        raise AccessDenied(f"{allowed.who} may not export " + "; ".join(refusals) + " (access.yaml)")


def plan_export(workspace: Workspace, lake: Lake, name: str, destination: Destination, names: list[str],
                fmt: ExportFormat, allowed: Permissions, storage_options: dict[str, Any] | None = None) -> ExportPlan:
    """Check the grants first (nothing is read for a refused export), then pin each table's Delta version."""
    tables = chosen_tables(workspace, names)
    refuse_ungranted(tables, allowed, workspace)
    planned = []
    for table in tables:
        source = pin(table.key, lake.path(table.layer, table.name), storage_options)
        planned.append(PlannedTable(table, source, column_masks(table, source.schema(), allowed, workspace)))
    masks = {} if allowed.admin else {c: str(k) for c, k in allowed.masks.items()}
    grants = Grants(principal=allowed.principal, role=allowed.role, admin=allowed.admin, masks=masks)
    salt = hashlib.sha256((allowed.salt or "").encode("utf-8")).hexdigest()  # new salt, new hashes: a new export
    versions = {p.table.key: p.source.version for p in planned}
    return ExportPlan(name, destination, fmt, allowed, planned, grants,
                      export_id(f"{name}:{destination.uri}:{salt}", fmt, versions, grants))


def principal_permissions(workspace: Workspace, principal: str | None) -> Permissions:
    """An export's reader: the principal of access.yaml it names, else admin (the pipeline reads everything)."""
    return permissions_for(workspace, principal) if principal else everything()


def configured_export(workspace: Workspace, name: str) -> Export:
    """One export of exports.yaml, or KeyError naming the known exports."""
    exports = workspace.exports.exports if workspace.exports else {}
    if name not in exports:
        raise KeyError(f"exports.yaml has no export '{name}' (known: {sorted(exports)})")
    return exports[name]


def plan_configured(workspace: Workspace, lake: Lake, name: str,
                    storage_options: dict[str, Any] | None = None) -> ExportPlan:
    """The plan of one export of exports.yaml, read as its `as` principal (admin without one)."""
    export = configured_export(workspace, name)
    return plan_export(workspace, lake, name, Destination.parse(export.to), export.tables, export.format,
                       principal_permissions(workspace, export.as_), storage_options)
