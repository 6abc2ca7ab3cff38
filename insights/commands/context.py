"""Where a command works: the environment with its --workspace/--lake/--profile overrides, and the loaded workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from schemas.environment import Environment
    from schemas.permissions import Permissions
    from schemas.workspace import Workspace

AS_HELP = ("Entra ID object ID to read as (default: INSIGHTS_PRINCIPAL, else the signed-in identity on a remote "
           "lake); with access.yaml, only what its role (or its group's) grants, masked columns masked")


def command_environment(workspace_dir: str | None, lake: str | None, profile: str | None = None) -> Environment:
    """The environment from INSIGHTS_* variables with the command line's choices on top, or a click error."""
    from schemas.environment import Environment, InvalidEnvironment

    try:
        return Environment.from_env(workspace_dir=workspace_dir, lake_root=lake, spark_profile=profile)
    except InvalidEnvironment as exc:
        raise click.ClickException(str(exc)) from exc


def command_workspace(env: Environment, sections: bool = True) -> Workspace:
    """The environment's workspace (sections=False: the core files only), or a click error naming the file and key."""
    from schemas.errors import WorkspaceError

    try:
        return env.load_workspace(sections=sections)
    except WorkspaceError as exc:
        raise click.ClickException(str(exc)) from exc


def command_permissions(env: Environment, workspace: Workspace, principal: str | None) -> Permissions:
    """What --as (else INSIGHTS_PRINCIPAL, else the signed-in identity) may read under access.yaml (its groups' roles too)."""
    import os

    from insights.access.groups import principal_permissions
    from schemas.permissions import PRINCIPAL_VARIABLE, AccessDenied
    from schemas.tables import Lake

    try:
        return principal_permissions(workspace, principal or os.environ.get(PRINCIPAL_VARIABLE),
                                     Lake(env.lake_root).is_local)
    except (AccessDenied, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc


def has_access_file(env: Environment) -> bool:
    """Whether the workspace declares access.yaml (then commands load it and its sections to decide)."""
    from pathlib import Path

    from schemas.access import ACCESS_FILE

    return (Path(env.workspace_dir) / ACCESS_FILE).exists()
