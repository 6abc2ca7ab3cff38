"""Copies of the bundled example workspace to break on purpose, and the problems its loader reports."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from schemas.errors import WorkspaceError
from schemas.loader import load_workspace

RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail"


def copy_retail(tmp_path: Path) -> Path:
    """The example's YAML files (not its data) in a folder of their own."""
    target = tmp_path / "retail"
    shutil.copytree(RETAIL, target, ignore=shutil.ignore_patterns("data"))
    return target


def edit(folder: Path, filename: str, change: Callable[[dict], None]) -> None:
    """Apply change to one YAML file of a workspace copy."""
    data = yaml.safe_load((folder / filename).read_text())
    change(data)
    (folder / filename).write_text(yaml.safe_dump(data, sort_keys=False))


def problems(folder: Path) -> list[str]:
    """The problems loading the workspace reports (it must fail)."""
    with pytest.raises(WorkspaceError) as caught:
        load_workspace(folder)
    return [str(p) for p in caught.value.problems]
