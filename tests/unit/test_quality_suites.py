"""Suites for every table: gold suites, model ranges, referential integrity, row-count change."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from expectations.derived import UNEXPECTED_ROWS_TYPE
from expectations.spec import ExpectationSpec, TableSuite, ValidationContext
from expectations.suite import (
    SUITES_DIR,
    SuiteFileError,
    gold_suites_for,
    has_table_file,
    suite_for_gold,
    suite_for_silver,
    suites_for_workspace,
)
from schemas.catalog import catalog
from schemas.model import Model
from schemas.loader import load_workspace

RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def model() -> Model:
    return Model.model_validate(yaml.safe_load((RETAIL / "model.yaml").read_text()))


def test_gold_suite_is_template_plus_table_file():
    suite = suite_for_gold("customer_measures")
    assert suite.name == "gold/customer_measures"
    assert suite.sources == [str(SUITES_DIR / "gold_table.yaml"), str(SUITES_DIR / "gold_customer_measures.yaml")]
    keys = {(e.type, e.column) for e in suite.expectations}
    assert ("expect_column_values_to_be_unique", "record_id") in keys
    change = [e for e in suite.expectations if e.name == "row_count_change"]
    assert change and change[0].needs_previous
    assert has_table_file("gold", "customer_measures") and not has_table_file("gold", "no_such_table")


def test_a_gold_table_without_a_file_still_gets_the_template():
    suite = suite_for_gold("brand_new_table")
    assert [e.name for e in suite.expectations] == ["row_count_change"]


def test_every_silver_and_gold_table_of_the_catalogue_gets_a_suite():
    ws = load_workspace(RETAIL)
    suites = {"silver": suites_for_workspace(ws), "gold": gold_suites_for(ws)}
    tables = [t for t in catalog(ws) if t.layer in suites]
    assert {t.layer for t in tables} == set(suites)
    missing = [t.key for t in tables if t.key != getattr(suites[t.layer].get(t.name), "name", None)]
    assert missing == []
    assert all(suites[t.layer][t.name].expectations for t in tables)
    assert sorted(suites["gold"]) == sorted(t.name for t in tables if t.layer == "gold")


def test_workspace_gold_file_is_merged_and_unknown_gold_file_refused(tmp_path):
    root = tmp_path / "retail"
    shutil.copytree(RETAIL, root, ignore=shutil.ignore_patterns("data"))
    folder = root / "expectations"
    folder.mkdir()
    (folder / "gold_customer_measures.yaml").write_text(
        "expectations:\n  - {type: expect_column_values_to_be_between,"
        " kwargs: {column: order_count, max_value: 1000}, severity: warn}\n"
    )
    ws = load_workspace(root)
    suite = gold_suites_for(ws)["customer_measures"]
    [bounded] = [e for e in suite.expectations if e.column == "order_count" and e.type.endswith("between")]
    assert bounded.kwargs == {"column": "order_count", "max_value": 1000}  # replaced the package's
    (folder / "gold_custmer_measures.yaml").write_text("expectations: []\n")
    with pytest.raises(SuiteFileError, match="gold_custmer_measures.yaml: not a suite file"):
        gold_suites_for(ws)


def test_model_ranges_become_error_expectations(model):
    suite = suite_for_silver(model, "purchase_line")
    [quantity] = [e for e in suite.expectations if e.type.endswith("be_between") and e.column == "quantity"]
    assert quantity.severity == "error" and quantity.kwargs["min_value"] == 1
    customer = suite_for_silver(model, "customer")
    [birth] = [e for e in customer.expectations if e.column == "birth_date" and e.type.endswith("be_between")]
    assert birth.kwargs["min_value"] == datetime(1900, 1, 1, tzinfo=timezone.utc)
    assert birth.resolved_kwargs(NOW)["max_value"] == NOW


def test_referential_checks_only_for_profiles_that_have_a_table(model):
    both = suite_for_silver(model, "purchase", fed={"customer", "store", "purchase"})
    refs = {e.name: e for e in both.expectations
            if e.type == UNEXPECTED_ROWS_TYPE and e.name.startswith("references_")}
    assert set(refs) == {"references_customer", "references_store"}
    query = refs["references_store"].resolved_kwargs(NOW, ValidationContext(NOW, lake_root="/l/"))
    assert "delta.`/l/silver/store`" in query["unexpected_rows_query"]
    only_customers = suite_for_silver(model, "purchase", fed={"customer", "purchase"})
    assert {e.name for e in only_customers.expectations
            if e.type == UNEXPECTED_ROWS_TYPE and e.name.startswith("references_")} == {"references_customer"}


def test_every_silver_suite_warns_of_values_silver_could_not_normalise(model):
    from expectations.derived import UNNORMALISED

    for type_name in [*model.profiles, *model.interactions]:
        suite = suite_for_silver(model, type_name)
        [warning] = [e for e in suite.expectations if e.name == UNNORMALISED]
        assert warning.type == UNEXPECTED_ROWS_TYPE and warning.severity == "warn"
        assert "inline(_issues)" in warning.kwargs["unexpected_rows_query"]
        [columns] = [e for e in suite.expectations if e.type == "expect_table_columns_to_match_set"]
        assert "_issues" in columns.kwargs["column_set"]


def test_previous_bounds_round_outwards_and_need_a_previous_version():
    spec = ExpectationSpec(type="expect_table_row_count_to_be_between",
                           kwargs={"min_value": "previous-10%", "max_value": "previous+100%"},
                           severity="warn")
    assert spec.resolved_kwargs(NOW, ValidationContext(NOW, previous_rows=95)) == {
        "min_value": 85, "max_value": 190
    }
    with pytest.raises(ValueError, match="previous version's row count"):
        spec.resolved_kwargs(NOW, ValidationContext(NOW))


# --- validated on Spark, against Delta tables -------------------------------------------------


def test_dangling_links_are_reported_with_sample_rows(spark, lake):
    from expectations.derived import references
    from expectations.runner import validate

    spark.createDataFrame([("crm:1",), ("crm:2",)], "record_id string").write.format("delta").save(
        lake.silver("customer")
    )
    purchases = spark.createDataFrame(
        [("pos:1", "crm:1"), ("pos:2", "crm:9"), ("pos:3", None), ("pos:4", "crm:8")],
        "record_id string, customer_record_id string",
    )
    suite = TableSuite(name="silver/purchase", expectations=[references("customer", "customer")])
    report = validate(purchases, suite, context=ValidationContext(NOW, lake_root=lake.root))
    [result] = report.results
    assert report.success and not result.success  # a warning: the link may arrive later
    assert result.unexpected_count == 2
    assert sorted(result.sample, key=lambda r: r["record_id"]) == [
        {"record_id": "pos:2", "customer_record_id": "crm:9"},
        {"record_id": "pos:4", "customer_record_id": "crm:8"},
    ]
    without_lake = validate(purchases, suite)
    assert without_lake.results == [] and len(without_lake.skipped) == 1


def test_row_count_change_compares_with_the_previous_delta_version(spark, lake):
    from expectations.runner import validate
    from jobs.lake import previous_row_count

    path = lake.gold("shrinking")
    spark.range(100).write.format("delta").save(path)
    assert previous_row_count(spark, path) is None  # one version only
    spark.range(30).write.format("delta").mode("overwrite").save(path)
    assert previous_row_count(spark, path) == 100
    df = spark.read.format("delta").load(path)
    context = ValidationContext(datetime.now(timezone.utc), previous_rows=previous_row_count(spark, path))
    report = validate(df, suite_for_gold("shrinking"), context=context)
    [change] = report.results
    assert not change.success and change.severity == "warn" and change.observed == 30
    grown = ValidationContext(datetime.now(timezone.utc) - timedelta(0), previous_rows=20)
    assert validate(df, suite_for_gold("shrinking"), context=grown).results[0].success
