"""What the pytest-xdist workers of one run share: a folder, and a lock to build things in it once."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def shared_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's folder all workers see (the parent of each worker's own), else this process's."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """One process of the run at a time in the block: the first builds, the others wait and reuse."""
    with lock_file.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
