"""`insights match ...`: look into identity resolution (explain a pair)."""

from __future__ import annotations

import click

from insights.commands.context import command_environment, command_workspace


@click.group()
def match() -> None:
    """Identity resolution: why records are or are not the same person."""


@match.command()
@click.argument("record_a")
@click.argument("record_b")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None,
              help="Workspace folder (default: INSIGHTS_WORKSPACE, else examples/retail).")
@click.option("--lake", default=None, help="Lake root, a path or abfss:// URI (default: INSIGHTS_LAKE, else ./lakehouse).")
@click.option("--profile", default=None, help="Spark profile from infra/spark (default: local).")
def explain(record_a: str, record_b: str, workspace_dir: str | None, lake: str | None, profile: str | None) -> None:
    """Print why RECORD_A and RECORD_B (record ids like crm_contacts:C0000012) are or are not one person."""
    from jobs.identity.errors import IdentityError

    env = command_environment(workspace_dir, lake, profile)
    workspace = command_workspace(env)
    from jobs.identity.explain import explain as explain_pair
    from jobs.identity.context import identity_context
    from jobs.session import get_spark
    from schemas.tables import Lake

    spark = get_spark(env.spark_profile, app_name="insights-match-explain", lake_root=env.lake_root)
    try:
        text = explain_pair(identity_context(spark, workspace, Lake(env.lake_root)), record_a, record_b).render()
    except IdentityError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(text)
