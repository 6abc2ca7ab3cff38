"""export/<name>: one asset per export of exports.yaml, after the gold tables it exports (no Spark: delta-rs)."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.common import asset_key
from orchestration.resources import LakeResource
from schemas.catalog import by_key, export_table
from schemas.exports import Export, table_key
from schemas.workspace import Workspace

GROUP = "exports"


def export_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """Nothing without exports.yaml; with it, one asset per export, downstream of each table it exports."""
    if workspace.exports is None:
        return []
    return [_export_asset(workspace, name, export) for name, export in workspace.exports.exports.items()]


def _export_asset(workspace: Workspace, name: str, export: Export) -> dg.AssetsDefinition:
    entry, tables = export_table(name), by_key(workspace)
    deps = [asset_key(tables[table_key(t)].layer, tables[table_key(t)].name) for t in export.tables]

    @dg.asset(key=asset_key(entry.layer, entry.name), group_name=GROUP, deps=deps,
              description=f"{export.description or entry.description} -> {export.to} ({export.format})")
    def _export(lake: LakeResource) -> dg.MaterializeResult:
        from jobs.export.destination import open_store
        from jobs.export.export import run_export
        from jobs.export.plan import plan_configured

        plan = plan_configured(workspace, lake.lake, name)
        result = run_export(plan, open_store(plan.destination))
        manifest = result.manifest
        return dg.MaterializeResult(metadata={
            "export_id": manifest.export_id,
            "manifest": dg.MetadataValue.url(f"{plan.destination.uri}/{manifest.export_id}/_manifest.json"),
            "read_as": f"{manifest.grants.principal or '(pipeline)'} (role {manifest.grants.role})",
            "masked_columns": sorted(manifest.grants.masks),
            "rows": {t.table: t.rows for t in manifest.tables},
            "delta_versions": {t.table: t.delta_version for t in manifest.tables},
            "tables_staged": result.staged, "tables_resumed": result.resumed,
            "already_published": result.already_published,
            "stale_staging_removed": {r.path: r.reason for r in result.cleaned},
        })

    return _export
