"""`insights export`: chosen gold tables to an ADLS Gen2 or Blob container, read as a principal, with a manifest.

Ad hoc (`--to URI --tables ...`) or one export of exports.yaml (`--export NAME`, whose settings the other
options override). Reads the lake with delta-rs, so it starts no Spark. Re-running a killed export
resumes it; re-running a finished one changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from insights.commands.context import AS_HELP, command_environment, command_permissions, command_workspace

if TYPE_CHECKING:
    from jobs.export.export import ExportResult
    from schemas.exports import Export
    from schemas.workspace import Workspace

FORMATS = ["delta", "parquet", "csv"]


@click.command()
@click.option("--to", "to", default=None, help="abfss://<container>@<account>.dfs.core.windows.net/<folder> or "
              "https://<account>.blob.core.windows.net/<container>/<folder>.")
@click.option("--tables", default=None, help="Gold tables, comma-separated: customer_360,kpis_customer.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Default: parquet.")
@click.option("--as", "principal", default=None, help=AS_HELP)
@click.option("--export", "name", default=None, help="An export of exports.yaml (the options above override it).")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None,
              help="Workspace folder (default: INSIGHTS_WORKSPACE, else examples/retail).")
@click.option("--lake", default=None, help="Lake root (default: INSIGHTS_LAKE, else ./lakehouse).")
def export(to: str | None, tables: str | None, fmt: str | None, principal: str | None, name: str | None,
           workspace_dir: str | None, lake: str | None) -> None:
    """Export gold tables to Azure Storage: staged, published, then the manifest; masks and grants applied."""
    from jobs.export.destination import Destination, open_store
    from jobs.export.export import run_export
    from jobs.export.plan import plan_export
    from schemas.permissions import AccessDenied
    from schemas.tables import Lake

    env = command_environment(workspace_dir, lake)
    workspace = command_workspace(env)
    configured = _configured(workspace, name)
    to = to or (configured.to if configured else None)
    chosen = [t.strip() for t in tables.split(",") if t.strip()] if tables else (configured.tables if configured else [])
    if not to or not chosen:
        raise click.UsageError("give --to and --tables, or --export NAME of exports.yaml")
    principal = principal or (configured.as_ if configured else None)
    allowed = command_permissions(env, workspace, principal)
    try:
        destination = Destination.parse(to)
        plan = plan_export(workspace, Lake(env.lake_root), name or "adhoc", destination, chosen,
                           fmt or (configured.format if configured else "parquet"), allowed)
        result = run_export(plan, open_store(destination))
    except (AccessDenied, ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(render(result, destination.uri))


def _configured(workspace: Workspace, name: str | None) -> Export | None:
    """The export of exports.yaml named by --export, or a click error listing the known ones."""
    from jobs.export.plan import configured_export

    try:
        return configured_export(workspace, name) if name else None
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from exc


def render(result: ExportResult, destination: str) -> str:
    """What the command prints: where the manifest is, each table with its version, rows and files."""
    manifest = result.manifest
    state = "already published, nothing to do" if result.already_published else (
        f"staged {len(result.staged)}, resumed {len(result.resumed)}")
    lines = [f"export {manifest.export} {manifest.export_id} ({manifest.format}) -> {destination}: {state}",
             f"read as {manifest.grants.principal or '(admin)'} (role {manifest.grants.role})"
             + (f", masked {manifest.grants.masks}" if manifest.grants.masks else "")]
    for table in manifest.tables:
        lines.append(f"  {table.table:<28} v{table.delta_version:<4} {table.rows:>10,} rows  {len(table.files)} files"
                     + (f"  masked {sorted(table.masked_columns)}" if table.masked_columns else ""))
    lines += [f"removed stale staging {r.path} ({r.files} files): {r.reason}" for r in result.cleaned]
    lines.append(f"manifest {destination}/{manifest.export_id}/_manifest.json")
    return "\n".join(lines)
