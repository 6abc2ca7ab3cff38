"""The bad-input workspace (tests/data/bad_input: one small source per case), copied fresh per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from jobs.bronze import land_source
from schemas.loader import load_workspace

BAD_INPUT = Path(__file__).resolve().parents[1] / "data" / "bad_input"


@pytest.fixture()
def ws(tmp_path):
    """A copy of the workspace, so a test may add or edit its files."""
    target = tmp_path / "bad_input"
    shutil.copytree(BAD_INPUT, target)
    return load_workspace(target)


def land(spark, ws, lake, name):
    """One source landed in bronze (and quarantine), phones read as GB numbers."""
    return land_source(spark, name, ws.sources[name], ws.model, ws.source_location(name), lake, region="GB")


def table(spark, path) -> pd.DataFrame:
    return spark.read.format("delta").load(path).toPandas()
