"""`insights`: the command users run on their own data."""

from __future__ import annotations

import sys

import click

from schemas.environment import telemetry_off

telemetry_off()


@click.group()
def main() -> None:
    """customer-insights: a customer insights lakehouse on Spark, Delta Lake and Dagster."""


@main.command()
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None,
              help="Workspace folder (default: INSIGHTS_WORKSPACE, else examples/retail).")
@click.option("--lake", default=None, help="Lake root, a path or abfss:// URI (default: INSIGHTS_LAKE, else ./lakehouse).")
@click.option("--select", default=None, help="Dagster asset selection, e.g. 'silver/customer+' or 'group:bronze'.")
@click.option("--profile", default=None, help="Spark profile from infra/spark (default: local).")
@click.option("--max-executors", type=click.IntRange(min=1), default=None,
              help="Executor cap of this run; lowers the profile's and the workspace's, never raises them.")
@click.option("--no-checks", "skip_checks", is_flag=True, default=False,
              help="Leave out the selected assets' checks and quality gates (a backfill you will check later).")
def run(workspace_dir: str | None, lake: str | None, select: str | None, profile: str | None,
        max_executors: int | None, skip_checks: bool) -> None:
    """Materialise the asset graph of a workspace with a live progress display, then print what was written."""
    from insights.commands.context import command_environment
    from insights.environment import describe_environment, prepare_dagster_home
    from schemas.errors import WorkspaceError

    env = command_environment(workspace_dir, lake, profile)
    home = prepare_dagster_home(env)
    from insights.progress import RunProgress
    from insights.run import execute_plan, plan_run
    from insights.selection import SelectionError

    click.echo(describe_environment(env))
    try:
        plan = plan_run(env, select)
    except WorkspaceError as exc:
        raise click.ClickException(str(exc)) from exc
    except SelectionError as exc:
        raise BadSelection(str(exc)) from exc
    if plan.selection.note():
        click.echo(plan.selection.note())
    with RunProgress(len(plan.selection.keys)) as progress:
        summary = execute_plan(plan, log_level="DEBUG", on_event=progress, log_dir=home / "logs",
                               max_executors=max_executors, checks=not skip_checks)
    click.echo(summary.render())
    sys.exit(0 if summary.success else 1)


class BadSelection(click.ClickException):
    """A --select that cannot be used: one line, exit code 2 like any other usage error."""

    exit_code = 2


@main.command()
@click.argument("workspace_dir", type=click.Path(file_okay=False))
def validate(workspace_dir: str) -> None:
    """Check a workspace's YAML files without starting Spark."""
    from insights.commands.context import command_environment, command_workspace

    ws = command_workspace(command_environment(workspace_dir, None))
    access = f"; access.yaml: {len(ws.access.roles)} roles, {len(ws.access.principals)} principals" if ws.access else ""
    access += f"; exports.yaml: {len(ws.exports.exports)} exports" if ws.exports else ""
    click.echo(
        f"workspace '{ws.name}' is valid: {len(ws.model.profiles)} profile types, "
        f"{len(ws.model.interactions)} interaction types, {len(ws.sources)} sources{access}"
    )


@main.command()
@click.option("--scale", type=click.Choice(["tiny", "small", "medium", "large"]), default="small", show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder for the generated source files.")
@click.option("--dataset", type=click.Choice(["retail", "cdnow", "noisy-people"]), default="retail", show_default=True,
              help="retail: the synthetic example (scale, seed); cdnow: the real CDNOW purchases (examples/cdnow); "
                   "noisy-people: two person files whose every duplicate carries an error (examples/noisy).")
def generate(scale: str, seed: int, out: str, dataset: str) -> None:
    """Generate the retail example's source files and ground truth, deterministically (or load CDNOW)."""
    from insights.generator import generate as run_generator

    if dataset == "cdnow":
        from insights.datasets.cdnow import write_cdnow

        cdnow = write_cdnow(out)
        click.echo(f"wrote CDNOW: {cdnow.customers:,} customers, {cdnow.transactions:,} purchases "
                   f"({cdnow.first} to {cdnow.last}) into {out} in {cdnow.seconds:.1f} s")
        return
    if dataset == "noisy-people":
        from pathlib import Path

        from insights.generator.noisy_people import PEOPLE, write_noisy_people

        noisy = write_noisy_people(PEOPLE[scale], seed, Path(out))
        click.echo(f"wrote {noisy.records['noisy_a']:,} + {noisy.records['noisy_b']:,} person records "
                   f"({noisy.two_or_more:,} duplicates with two or more errors) into {out} in {noisy.seconds:.1f} s")
        return
    report = run_generator(scale, seed, out, progress=click.echo)
    click.echo(
        f"generated {report.people:,} people, {sum(report.rows.values()):,} rows in "
        f"{len(report.rows)} sources into {out} in {report.seconds:.1f} s"
    )


def _register_commands() -> None:
    """Commands of each capability live in insights/commands/; they register here."""
    from insights.commands.access import access
    from insights.commands.bench import bench
    from insights.commands.customer import customer
    from insights.commands.export import export
    from insights.commands.forget import forget
    from insights.commands.match import match
    from insights.commands.report import report
    from insights.commands.segment import segment

    for command in [access, bench, customer, export, forget, segment, match, report]:
        main.add_command(command)


_register_commands()

if __name__ == "__main__":
    main()
