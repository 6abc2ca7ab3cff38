"""infra/powerbi holds a current M query per gold table and a star schema true to the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from schemas.catalog import EXAMPLE, gold_tables
from schemas.loader import load_workspace
from schemas.powerbi import committed_queries, render_queries
from schemas.star_schema import StarSchema, check_star_schema, load_star_schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def example():
    return load_workspace(ROOT / EXAMPLE)


def test_queries_are_current(example):
    expected = render_queries(example, load_star_schema())
    assert committed_queries() == expected, "run: python -m schemas.powerbi"


def test_every_gold_table_has_a_query_per_variant_that_reads_its_own_folder(example):
    queries = committed_queries()
    for table in gold_tables(example):
        adls, local = queries[f"adls/{table.name}.pq"], queries[f"local/{table.name}.pq"]
        assert f'LakeUrl, "/") & "/gold/{table.name}", [HierarchicalNavigation = true])' in adls
        assert f'LakeFolder, "\\") & "\\gold\\{table.name}")' in local
        for text in (adls, local):
            assert text.count("DeltaLake.Table(Source)") == 1
            assert re.search(r"^let\n(    \w+ = .+\n)+in\n    \w+\n$", text, re.M), text


def test_the_parameters_are_required_text():
    queries = committed_queries()
    for name in ("LakeUrl", "LakeFolder"):
        assert queries[f"parameters/{name}.pq"].endswith(
            '" meta [IsParameterQuery = true, Type = "Text", IsParameterQueryRequired = true]\n')


def test_the_customer_dimension_loads_flat_columns_only():
    text = committed_queries()["adls/customer_360.pq"]
    assert '{"records", "segments", "scores", "timeline"}' in text
    assert 'Text.StartsWith(_, "related_")' in text
    assert 'Table.TransformColumns(Kept, {{"sources", each if _ = null then null else Text.Combine(_, ", ")' in text
    assert "Dropped" not in committed_queries()["adls/kpis_customer.pq"]
    assert '{"_row_hash"}' in committed_queries()["local/customer_timeline.pq"]


def test_the_star_schema_places_every_gold_table_of_the_catalogue(example):
    assert check_star_schema(load_star_schema(), example) == []


def test_the_customer_dimension_is_customer_360_and_the_facts_point_at_it():
    star = load_star_schema()
    assert [(d.table, d.key) for d in star.dimensions] == [("customer_360", "customer_id")]
    related = {f.table for f, ref, _ in star.relationships() if ref.column == "customer_id"}
    assert {"customer_timeline", "kpis_customer", "segment_events", "scores"} <= related
    assert "period" in {f.table: f.grain for f in star.facts}["kpis_business"]


def _star(**changes) -> dict:
    data = load_star_schema().model_dump()
    data.update(changes)
    return data


def test_a_star_schema_that_forgets_or_invents_tables_is_reported(example):
    data = _star()
    data["outside"].pop("identity_pairs")
    data["facts"].append({"table": "kpis_customr", "grain": ["customer_id"], "description": "typo"})
    data["outside"]["scores"] = "placed twice"
    problems = {p.key: p.message for p in check_star_schema(StarSchema.model_validate(data), example)}
    assert "not in the star schema" in problems["identity_pairs"]
    assert "not in the catalogue" in problems["kpis_customr"]
    assert "mark it 'pending: <branch>'" in problems["kpis_customr"]
    assert "placed twice" in problems["scores"]


def test_a_pending_table_the_catalogue_declares_must_drop_the_mark(example):
    data = _star()
    data["facts"][1]["pending"] = "c360"  # kpis_customer is catalogued
    problems = {p.key: p.message for p in check_star_schema(StarSchema.model_validate(data), example)}
    assert problems["kpis_customer"] == "the catalogue declares gold/kpis_customer now: remove 'pending: c360'"


def test_a_reference_to_an_unknown_dimension_or_an_unknown_key_fails_to_load():
    data = _star()
    data["facts"][1]["references"][0]["dimension"] = "customer"
    with pytest.raises(ValidationError, match="unknown dimension 'customer'"):
        StarSchema.model_validate(data)
    data = _star()
    data["facts"][1]["referencez"] = []
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        StarSchema.model_validate(data)
