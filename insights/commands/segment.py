"""`insights segment show NAME`: a segment's size, recent entries and exits, and some members.

Reads the gold tables with delta-rs, so it answers in a second without starting Spark.
"""

from __future__ import annotations

import click

from insights.commands.context import AS_HELP, command_environment, command_permissions, command_workspace


@click.group()
def segment() -> None:
    """Look at segments (segments.yaml) and their members."""


@segment.command()
@click.argument("name")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None,
              help="Workspace folder (default: INSIGHTS_WORKSPACE, else examples/retail).")
@click.option("--lake", default=None, help="Lake root (default: INSIGHTS_LAKE, else ./lakehouse).")
@click.option("--recent", default=10, show_default=True, help="How many recent entries and exits to list.")
@click.option("--sample", default=10, show_default=True, help="How many members to list.")
@click.option("--as", "principal", default=None, help=AS_HELP)
def show(name: str, workspace_dir: str | None, lake: str | None, recent: int, sample: int, principal: str | None) -> None:
    """Print a segment's size, recent entries and exits, and a sample of its members (if the principal may see it)."""
    from schemas.permissions import AccessDenied

    env = command_environment(workspace_dir, lake)
    workspace = command_workspace(env)
    allowed = command_permissions(env, workspace, principal)
    segments = workspace.segments
    known = sorted(s for s in (segments.segments if segments else []) if allowed.allows("segments", s))
    if name not in known:
        try:
            if segments and name in segments.segments:
                allowed.require("segments", name)
        except AccessDenied as exc:
            raise click.ClickException(str(exc)) from exc
        raise click.ClickException(f"unknown segment '{name}' (segments.yaml of {env.workspace_dir} has: {known})")
    click.echo(render(name, segments.segments[name].description, env.lake_root, recent, sample))


def render(name: str, description: str, lake_root: str, recent: int, sample: int) -> str:
    """The text `segment show` prints, from the lake's gold tables."""
    from schemas.tables import Lake

    lake = Lake(lake_root)
    members = _read(lake.gold("segment_membership"), name)
    if members is None:
        raise click.ClickException(f"no gold/segment_membership under {lake_root}: run `insights run` first")
    events = _read(lake.gold("segment_events"), name)
    sizes = _read(lake.gold("segment_sizes"), name)
    lines = [f"segment {name}: {description}".rstrip(": "), f"size      {len(members):,} customers"]
    if sizes is not None and len(sizes):
        last = sizes.sort_values("at").iloc[-1]
        lines.append(f"as of     {last['as_of']:%Y-%m-%d %H:%M} (last run {last['at']:%Y-%m-%d %H:%M:%S} UTC: "
                     f"+{last['entered']} entered, -{last['left']} left)")
        history = ", ".join(f"{row['at']:%m-%d %H:%M} {row['size']}" for _, row in sizes.sort_values("at").tail(8).iterrows())
        lines.append(f"history   {history}")
    lines.append("")
    if events is not None and len(events):
        newest = events.sort_values(["at", "customer_id"], ascending=[False, True]).head(recent)
        lines.append(f"recent entries and exits ({len(events):,} in all):")
        lines += [f"  {row['at']:%Y-%m-%d %H:%M:%S}  {row['event']:<7}  {row['customer_id']}" for _, row in newest.iterrows()]
    else:
        lines.append("no entries or exits recorded yet")
    lines.append("")
    lines.append(f"members (a sample of {min(sample, len(members))}):")
    lines += [f"  {row['customer_id']}  since {row['since']:%Y-%m-%d %H:%M}" for _, row in
              members.sort_values("customer_id").head(sample).iterrows()]
    return "\n".join(lines)


def _read(path: str, name: str):
    """The rows of one segment from a gold table, as pandas (None if the table does not exist)."""
    from jobs.delta_rs import open_delta

    table = open_delta(path)
    return None if table is None else table.to_pandas(filters=[("segment", "=", name)])
