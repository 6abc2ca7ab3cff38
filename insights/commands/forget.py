"""`insights forget`: the right to be forgotten, from the command line."""

from __future__ import annotations

import click

from insights.commands.context import command_environment, command_workspace


@click.command()
@click.option("--customer", default=None, help="Customer ID (or a record_id before identity resolution).")
@click.option("--email", default=None, help="Email address (normalised as silver stores it).")
@click.option("--phone", default=None, help="Phone number (normalised to E.164 with the workspace's region).")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None,
              help="Workspace folder (default: INSIGHTS_WORKSPACE, else examples/retail).")
@click.option("--lake", default=None, help="Lake root, a path or abfss:// URI (default: INSIGHTS_LAKE, else ./lakehouse).")
@click.option("--profile", default=None, help="Spark profile from infra/spark (default: local).")
@click.option("--retention-hours", type=float, default=None,
              help="Override privacy.yaml's retention of old file versions for this request.")
def forget(customer: str | None, email: str | None, phone: str | None, workspace_dir: str | None,
           lake: str | None, profile: str | None, retention_hours: float | None) -> None:
    """Remove one person from every bronze, silver, gold and quarantine table.

    The request is recorded in meta/forget_requests (hashed, no personal data), and every
    table is vacuumed with the retention of privacy.yaml, so that old versions cannot bring
    the person back once it has passed.
    """
    if sum(v is not None for v in (customer, email, phone)) != 1:
        raise click.UsageError("give exactly one of --customer, --email or --phone")
    from jobs.privacy.forget import forget as run_forget
    from jobs.session import get_spark
    from schemas.tables import Lake

    env = command_environment(workspace_dir, lake, profile)
    workspace = command_workspace(env)
    spark = get_spark(env.spark_profile, app_name="customer-insights-forget")
    result = run_forget(spark, workspace, Lake(env.lake_root), customer=customer, email=email,
                        phone=phone, retention_hours=retention_hours)
    click.echo(result.render())
