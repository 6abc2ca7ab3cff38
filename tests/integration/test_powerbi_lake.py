"""After the example run, Power BI can read every gold table and the star schema holds on the data."""

from __future__ import annotations

import warnings

import deltalake
import pytest

from schemas.catalog import gold_tables
from schemas.loader import load_workspace
from schemas.powerbi import committed_queries
from schemas.star_schema import load_star_schema
from tests.integration.star_lake import gold_tables_in, star_problems, table_problems

pytestmark = pytest.mark.integration


def test_every_gold_table_is_reader_protocol_1_with_utc_timestamps_only(example):
    tables = gold_tables_in(example.lake)
    catalogued = {t.name for t in gold_tables(load_workspace(example.env.workspace_dir))}
    assert catalogued <= set(tables), f"gold tables the run did not write: {sorted(catalogued - set(tables))}"
    problems = [p for name, path in tables.items() for p in table_problems(name, deltalake.DeltaTable(str(path)))]
    assert problems == []


def test_every_gold_table_of_the_lake_has_a_power_bi_query(example):
    queries = committed_queries()
    missing = [name for name in gold_tables_in(example.lake)
               if f"adls/{name}.pq" not in queries or f"local/{name}.pq" not in queries]
    assert missing == [], "run: python -m schemas.powerbi"


def test_the_star_schema_keys_grains_and_references_hold(example):
    report = star_problems(example.lake, load_star_schema())
    assert report.problems == []
    for skipped in report.skipped:  # tables the catalogue does not declare yet (star_schema.yaml: pending)
        warnings.warn(f"star schema not checked for {skipped}", stacklevel=1)
