"""`insights forget`: the right to be forgotten, from the command line (queue, --now, --status)."""

from __future__ import annotations

import click

from insights.commands.context import command_environment, command_workspace


@click.command()
@click.option("--customer", default=None, help="Customer ID (or a record_id before identity resolution).")
@click.option("--email", default=None, help="Email address (normalised as silver stores it).")
@click.option("--phone", default=None, help="Phone number (normalised to E.164 with the workspace's region).")
@click.option("--file", "request_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CSV of requests: a header naming the kind (customer, email, phone), one person per row.")
@click.option("--now", is_flag=True, help="Apply what was given at once and vacuum the tables it touched.")
@click.option("--status", is_flag=True, help="Show every request's status (no personal data) and exit.")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None,
              help="Workspace folder (default: INSIGHTS_WORKSPACE, else examples/retail).")
@click.option("--lake", default=None, help="Lake root, a path or abfss:// URI (default: INSIGHTS_LAKE, else ./lakehouse).")
@click.option("--profile", default=None, help="Spark profile from infra/spark (default: local).")
@click.option("--retention-hours", type=float, default=None,
              help="Override privacy.yaml's retention of old file versions for these requests.")
def forget(customer: str | None, email: str | None, phone: str | None, request_file: str | None, now: bool,
           status: bool, workspace_dir: str | None, lake: str | None, profile: str | None,
           retention_hours: float | None) -> None:
    """Queue people to be removed from every bronze, silver, gold and quarantine table.

    Requests go to meta/forget_requests; the meta/forget_requests asset (on demand or on its
    schedule) erases every pending person in one pass per table, and the daily vacuum makes
    them complete once the retention of privacy.yaml has passed. --now does it all at once.
    """
    env = command_environment(workspace_dir, lake, profile)
    if status:
        click.echo(_status(env.lake_root))
        return
    asks = _asks(customer, email, phone, request_file)
    from jobs.privacy.forget import forget_now, queue
    from jobs.session import get_spark
    from schemas.tables import Lake

    workspace = command_workspace(env)
    spark = get_spark(env.spark_profile, app_name="customer-insights-forget", lake_root=env.lake_root)
    if now:
        click.echo(forget_now(spark, workspace, Lake(env.lake_root), asks, retention_hours).render())
        return
    ids = queue(spark, workspace, Lake(env.lake_root), asks, retention_hours)
    click.echo(f"{len(ids)} requests queued in meta/forget_requests ({', '.join(ids[:3])}"
               f"{', ...' if len(ids) > 3 else ''}); the next forget batch applies them "
               "(`insights forget --status` shows where they stand)")


def _asks(customer: str | None, email: str | None, phone: str | None, request_file: str | None) -> list:
    """The requests given on the command line or in the file."""
    from jobs.privacy.forget_requests import Ask
    from jobs.privacy.request_file import RequestFileError, read_request_file

    given = [Ask(k, v) for k, v in (("customer", customer), ("email", email), ("phone", phone)) if v is not None]
    if len(given) + (request_file is not None) != 1:
        raise click.UsageError("give exactly one of --customer, --email, --phone or --file")
    if request_file is None:
        return given
    try:
        return read_request_file(request_file)
    except RequestFileError as error:
        raise click.BadParameter(str(error), param_hint="--file") from error


def _status(lake_root: str) -> str:
    """Every request's status, read with delta-rs (no Spark)."""
    from jobs.delta_rs import open_delta
    from jobs.privacy.forget_status import render, statuses
    from schemas.catalog import FORGET_REQUESTS
    from schemas.tables import Lake

    table = open_delta(Lake(lake_root).meta(FORGET_REQUESTS.name))
    return render(statuses(table.to_pandas().to_dict("records") if table is not None else []))
