"""The mini workspace of tests/data/mini, copied per test so tests may add files to it."""

from __future__ import annotations

import shutil
from pathlib import Path

from schemas.loader import load_workspace
from schemas.workspace import Workspace

MINI = Path(__file__).resolve().parents[1] / "data" / "mini"


def mini_workspace(tmp_path: Path) -> Workspace:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return load_workspace(target)
