"""Load a workspace folder of YAML files into one validated, typed Workspace."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from schemas.core_checks import check_references
from schemas.errors import Problem, WorkspaceError
from schemas.model import Model
from schemas.parsing import parse_file
from schemas.sections import SECTIONS
from schemas.sources import Sources
from schemas.workspace import Workspace
from schemas.workspace_core import MODEL_FILE, SOURCES_FILE, WORKSPACE_FILE, Settings


def load_workspace(path: str | os.PathLike[str], data_root: str | None = None, sections: bool = True) -> Workspace:
    """Read and validate a workspace; raise WorkspaceError naming every file and key at fault.

    data_root, when given, replaces the workspace's own data root (the environment's INSIGHTS_DATA:
    Environment.load_workspace passes it). sections=False reads the core files only (settings,
    model, sources), for a command that reads the lake and needs no KPI, segment or prediction
    definition: checking their SQL is most of the loading time.
    """
    root = Path(path).resolve()
    if not root.is_dir():
        raise WorkspaceError([Problem(str(root), "", "workspace folder not found")])
    problems: list[Problem] = []
    settings = parse_file(root, WORKSPACE_FILE, Settings, problems)
    model = parse_file(root, MODEL_FILE, Model, problems)
    sources_file = parse_file(root, SOURCES_FILE, Sources, problems)
    if problems or settings is None or model is None or sources_file is None:
        raise WorkspaceError(problems)
    problems.extend(check_references(model, sources_file.sources, settings))
    if problems:
        raise WorkspaceError(problems)
    workspace = Workspace(root=root, settings=settings, model=model, sources=sources_file.sources,
                          data_override=data_root or None)
    if sections:
        workspace = _load_sections(root, workspace, problems)
    if problems:
        raise WorkspaceError(problems)
    return workspace


def _load_sections(root: Path, workspace: Workspace, problems: list[Problem]) -> Workspace:
    """Parse each optional file that is present, then check it against what came before."""
    for section in SECTIONS:
        if not (root / section.filename).exists():
            continue
        parsed = parse_file(root, section.filename, section.schema, problems)
        if parsed is None:
            continue
        workspace = replace(workspace, **{section.key: parsed})
        if section.check is not None:
            problems.extend(section.check(parsed, workspace))
    return workspace
