"""After the example run, every table under the lake is in the catalogue and was written by its module."""

from __future__ import annotations

import importlib.util
import json

import deltalake
import pytest

from schemas.catalog import by_key
from schemas.loader import load_workspace
from tests.integration.conftest import delta_tables

pytestmark = pytest.mark.integration


def _writers(path) -> list[str]:
    """The writer module of each commit that went through the one write path (newest first)."""
    found = []
    for commit in deltalake.DeltaTable(str(path)).history():
        text = commit.get("userMetadata")
        try:
            record = json.loads(text) if text else {}
        except ValueError:
            record = {}
        if isinstance(record, dict) and record.get("writer"):
            found.append(record["writer"])
    return found


def test_every_lake_table_is_in_the_catalogue_and_written_by_its_module(example):
    catalogue = by_key(load_workspace(example.env.workspace_dir))
    tables = delta_tables(example.env.lake_root)
    assert tables, "the example run wrote no tables"
    unknown = sorted(set(tables) - set(catalogue))
    assert unknown == [], f"tables under the lake that the catalogue does not declare: {unknown}"
    wrong = {}
    for key, path in tables.items():
        module = catalogue[key].module
        assert importlib.util.find_spec(module) is not None, f"{key}: module {module} does not exist"
        writers = set(_writers(path))
        if writers != {module}:
            wrong[key] = {"catalogue": module, "commits by": sorted(writers)}
    assert wrong == {}


def test_the_example_writes_every_table_the_catalogue_enables(example):
    catalogue = by_key(load_workspace(example.env.workspace_dir))
    written = set(delta_tables(example.env.lake_root))
    # forget_requests appears only once someone is forgotten
    missing = sorted(k for k in catalogue if k not in written and k != "meta/forget_requests")
    assert missing == []
