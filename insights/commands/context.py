"""Where a command works: the environment with its --workspace/--lake/--profile overrides, and the loaded workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from schemas.environment import Environment
    from schemas.workspace import Workspace


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
