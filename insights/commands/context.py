"""Where a command works: the environment with its --workspace/--lake/--profile overrides, and the loaded workspace."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from orchestration.build import Environment
    from schemas.workspace import Workspace


def command_environment(workspace_dir: str | None, lake: str | None, profile: str | None = None) -> Environment:
    """The environment from INSIGHTS_* variables, with the command line's choices on top."""
    from orchestration.build import Environment

    env = Environment.from_env()
    if workspace_dir:
        env = replace(env, workspace_dir=str(Path(workspace_dir).resolve()))
    if lake:
        env = replace(env, lake_root=lake if "://" in lake else str(Path(lake).resolve()))
    if profile:
        env = replace(env, spark_profile=profile)
    return env


def command_workspace(env: Environment) -> Workspace:
    """The environment's workspace, or a click error naming the file and key that are wrong."""
    from schemas.errors import WorkspaceError
    from schemas.loader import load_workspace

    try:
        return load_workspace(env.workspace_dir)
    except WorkspaceError as exc:
        raise click.ClickException(str(exc)) from exc
