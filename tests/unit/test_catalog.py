"""The catalogue declares exactly the lake tables the asset graph builds, each once."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.build import ASSET_FACTORIES
from schemas.catalog import FIXED_TABLES, catalog
from schemas.loader import load_workspace
from schemas.tables import BRONZE, GOLD, QUARANTINE, SILVER

ROOT = Path(__file__).resolve().parents[2]
WORKSPACES = ["examples/retail", "examples/cdnow", "examples/febrl/febrl1", "tests/data/mini"]
LAKE_LAYERS = {BRONZE, QUARANTINE, SILVER, GOLD}


@pytest.mark.parametrize("folder", WORKSPACES)
def test_the_graph_builds_the_catalogues_tables_and_no_others(folder):
    workspace = load_workspace(ROOT / folder)
    built = {"/".join(key.path) for factory in ASSET_FACTORIES for assets in factory(workspace)
             for key in assets.keys if key.path[0] in LAKE_LAYERS}
    declared = [table.key for table in catalog(workspace) if table.layer in LAKE_LAYERS]
    assert len(declared) == len(set(declared)), "a table is declared twice"
    assert built == set(declared)


def test_every_fixed_table_has_one_name_and_a_module_named_after_it():
    keys = [t.key for t in FIXED_TABLES]
    assert len(keys) == len(set(keys))
    assert all(t.module.rsplit(".", 1)[-1] == t.name for t in FIXED_TABLES)


def test_tables_doc_is_current():
    from schemas.catalog import EXAMPLE, render_doc

    committed = (ROOT / "docs" / "tables.md").read_text()
    assert committed == render_doc(load_workspace(ROOT / EXAMPLE)), "run: python -m schemas.tables_doc > docs/tables.md"
