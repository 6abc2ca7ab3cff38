"""Typed workspace model and the table layouts every layer agrees on."""

from schemas.errors import WorkspaceError
from schemas.workspace import Workspace, load_workspace

__all__ = ["Workspace", "WorkspaceError", "load_workspace"]
