"""What the pytest-xdist workers of one run share: a folder, and a lock to build things in it once."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# A folder that outlives the run: set it while working on integration tests, never in CI (a stale
# example would hide a change to the pipeline; .ci/run does not set it).
KEEP_VARIABLE = "INSIGHTS_TEST_KEEP_SHARED"


def shared_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's folder all workers see (the parent of each worker's own), else this process's."""
    kept = os.environ.get(KEEP_VARIABLE)
    if kept:  # a developer's: the example built once is reused by later runs (pytest clears its own base)
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
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
