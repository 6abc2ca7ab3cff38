"""`insights report --out DIR`: a static HTML page about the lake (tables, KPIs, segments, matching, models).

Reads the Delta tables with delta-rs and the MLflow store with its client: no Spark, no Dagster.
"""

from __future__ import annotations

from pathlib import Path

import click

from insights.commands.context import AS_HELP, command_environment, command_permissions, command_workspace


@click.command()
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder for index.html (created).")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None,
              help="Workspace folder (default: INSIGHTS_WORKSPACE, else examples/retail).")
@click.option("--lake", default=None, help="Lake root (default: INSIGHTS_LAKE, else ./lakehouse).")
@click.option("--as", "principal", default=None, help=AS_HELP)
def report(out: str, workspace_dir: str | None, lake: str | None, principal: str | None) -> None:
    """Write a static HTML report of a lake: run summary, KPIs, segments, match and model quality (what --as may see)."""
    from insights.report.page import write_report

    env = command_environment(workspace_dir, lake)
    workspace = command_workspace(env)
    allowed = command_permissions(env, workspace, principal)
    if "://" not in env.lake_root and not Path(env.lake_root).is_dir():
        raise click.ClickException(f"no lake at {env.lake_root}: run `insights run` first or pass --lake")
    written = write_report(workspace, env, Path(out), allowed)
    click.echo(f"wrote {written.path} ({len(written.figures)} plots in {len(written.sections)} sections)")
    for note in written.missing:
        click.echo(f"  missing: {note}")
