"""`insights access plan|apply`: make the lake's POSIX ACLs in ADLS Gen2 match access.yaml.

`plan` reads every table directory's ACL (get_access_control) and prints what would change;
`apply` prints the same plan, asks (or takes --yes), then changes each directory: recursively for
a table (update/remove_access_control_recursive), the directory alone for its parents. `sas` signs a
user-delegation SAS for one table directory, or with --per-file one per file of its current version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from insights.commands.context import command_environment, command_workspace

if TYPE_CHECKING:
    from insights.access.acl_plan import DirectoryChange
    from insights.access.lake_storage import LakeLocation
    from insights.access.sas import SasRequest
    from schemas.workspace import Workspace

WORKSPACE_HELP = "Workspace folder (default: INSIGHTS_WORKSPACE, else examples/retail)."
LAKE_HELP = "Lake root, abfss://<container>@<account>.dfs.core.windows.net/<folder> (default: INSIGHTS_LAKE)."


@click.group()
def access() -> None:
    """The lake's ACLs (and SAS) from access.yaml."""


def _plan(workspace_dir: str | None, lake: str | None) -> tuple[Workspace, list[DirectoryChange], object]:
    """The workspace, every directory's change and the container's client, or a click error saying why not."""
    from insights.access.lake_storage import LakeLocation, file_system, plan_lake

    env = command_environment(workspace_dir, lake)
    workspace = command_workspace(env)
    if workspace.access is None:
        raise click.ClickException(f"{env.workspace_dir} has no access.yaml: there are no ACLs to plan")
    try:
        location = LakeLocation.parse(env.lake_root)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    client = file_system(location)
    return workspace, plan_lake(workspace, client, location.prefix), client


@access.command()
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None, help=WORKSPACE_HELP)
@click.option("--lake", default=None, help=LAKE_HELP)
def plan(workspace_dir: str | None, lake: str | None) -> None:
    """Print the ACL changes that would make the lake's directories match access.yaml."""
    from insights.access.acl_plan import render_plan

    workspace, changes, _ = _plan(workspace_dir, lake)
    click.echo(render_plan(changes, workspace.access))


@access.command()
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None, help=WORKSPACE_HELP)
@click.option("--lake", default=None, help=LAKE_HELP)
@click.option("--yes", is_flag=True, help="Apply without asking (after printing the plan).")
def apply(workspace_dir: str | None, lake: str | None, yes: bool) -> None:
    """Print the plan, then change the ACLs so the lake's directories match access.yaml."""
    from insights.access.acl_plan import render_plan
    from insights.access.lake_storage import apply_change

    workspace, changes, client = _plan(workspace_dir, lake)
    click.echo(render_plan(changes, workspace.access))
    todo = [c for c in changes if c.changed]
    if not todo:
        click.echo("nothing to apply")
        return
    if not yes:
        click.confirm(f"apply these changes to {len(todo)} directories?", abort=True)
    paths = sum(apply_change(client, change) for change in todo)
    click.echo(f"applied: {len(todo)} directories changed ({paths} paths updated)")


@access.command()
@click.option("--path", "table", required=True, help="A table of the catalogue, e.g. gold/customer_360.")
@click.option("--permissions", default="r", show_default=True, help="SAS permissions: r (read) and l (list) at most.")
@click.option("--expires", default="1h", show_default=True, help="Lifetime: 30m, 1h, 7d (at most 7 days).")
@click.option("--as", "principal", default=None, help="Entra ID object ID the SAS is for (default: INSIGHTS_PRINCIPAL).")
@click.option("--per-file", is_flag=True, help="One SAS URL (sr=b) per file of the table's current Delta version, "
              "for endpoints that do not verify a directory SAS (Azurite, an account without hierarchical namespace).")
@click.option("--blob-endpoint", default=None, help="With --per-file: the Blob endpoint to sign for (default: the "
              "lake account's https://<account>.blob.core.windows.net).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="With --per-file: write {file: SAS URL} as JSON to this file (mode 600) instead of printing them.")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None, help=WORKSPACE_HELP)
@click.option("--lake", default=None, help=LAKE_HELP)
def sas(table: str, permissions: str, expires: str, principal: str | None, per_file: bool, blob_endpoint: str | None,
        out: str | None, workspace_dir: str | None, lake: str | None) -> None:
    """Print a user-delegation SAS URL for one table directory (or each of its files), if the role may read it whole."""
    from insights.access.lake_storage import LakeLocation
    from insights.access.sas import sas_request, sign
    from insights.commands.context import command_permissions
    from schemas.permissions import AccessDenied

    if (blob_endpoint or out) and not per_file:
        raise click.UsageError("--blob-endpoint and --out go with --per-file")
    env = command_environment(workspace_dir, lake)
    workspace = command_workspace(env)
    try:
        location = LakeLocation.parse(env.lake_root)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    allowed = command_permissions(env, workspace, principal)
    try:
        request = sas_request(workspace, allowed, table, permissions, expires, location.prefix)
    except (AccessDenied, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not per_file:
        click.echo(sign(request, location))
        return
    _per_file(env.lake_root, request, location, blob_endpoint, out)


def _per_file(lake_root: str, request: SasRequest, location: LakeLocation, blob_endpoint: str | None,
              out: str | None) -> None:
    """Sign each file of the table's current Delta version; print the URLs, one a line, or write them to --out."""
    import json
    import os

    from insights.access.sas import sign_version_files
    from jobs import delta_rs
    from schemas.tables import Lake

    layer, name = request.table.split("/", 1)
    table = delta_rs.open_delta(Lake(lake_root).path(layer, name))
    if table is None:
        raise click.ClickException(f"no Delta table at {request.table} under {lake_root}: run `insights run`")
    endpoint = blob_endpoint or location.account_url.replace(".dfs.core.windows.net", ".blob.core.windows.net")
    urls = sign_version_files(request, endpoint, location.container, table)
    if out is None:
        click.echo("\n".join(urls.values()))
        return
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # SAS URLs are credentials
    with os.fdopen(descriptor, "w") as handle:
        json.dump(urls, handle, indent=2)
    click.echo(f"wrote {len(urls)} SAS URLs ({request.table} v{table.version()}) to {out}")

