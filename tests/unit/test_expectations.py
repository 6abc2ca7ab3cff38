"""Suites from files and the model, and GX validation of silver-shaped DataFrames."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pycountry
import pytest
import yaml

from expectations.derived import EMAIL_REGEX, PHONE_REGEX, silver_columns
from expectations.spec import ExpectationSpec, TableSuite, resolve_now
from expectations.suite import (
    SUITES_DIR,
    TEMPLATES,
    SuiteFileError,
    load_suite_file,
    suite_for_silver,
    suites_for_workspace,
)
from schemas.model import Model
from jobs.spark_types import SPARK_TYPES
from schemas.loader import load_workspace

RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
COUNTRIES = {c.alpha_2 for c in pycountry.countries}


@pytest.fixture(scope="module")
def model() -> Model:
    return Model.model_validate(yaml.safe_load((RETAIL / "model.yaml").read_text()))


def _find(suite: TableSuite, type_: str, column: str | None) -> ExpectationSpec:
    matches = [e for e in suite.expectations if e.type == type_ and e.column == column]
    assert len(matches) == 1, f"{type_} on {column}: {matches}"
    return matches[0]


# --- suite files and suite_for_silver (no Spark, no GX) ------------------------------------------


def test_templates_load_and_every_entry_has_a_severity():
    for name in TEMPLATES.values():
        suite = load_suite_file(SUITES_DIR / name)
        assert suite.expectations
        for entry in suite.expectations:
            assert entry.severity in ("error", "warn")
            assert entry.description


def test_profile_suite_combines_template_and_model(model):
    suite = suite_for_silver(model, "customer")
    assert suite.name == "silver/customer"
    assert _find(suite, "expect_column_values_to_be_unique", "record_id").severity == "error"
    for column in ("record_id", "source", "source_key", "_batch_id"):
        assert _find(suite, "expect_column_values_to_not_be_null", column).severity == "error"
    regex = {e.column: e for e in suite.expectations if e.type.endswith("match_regex")}
    assert regex["email"].kwargs["regex"] == EMAIL_REGEX and regex["email"].severity == "warn"
    assert regex["phone"].kwargs["regex"] == PHONE_REGEX and regex["phone"].severity == "warn"
    assert regex["country"].severity == "warn"
    assert "first_name" not in regex  # normalize: name has no format to check
    assert not any(e.column == "occurred_at" for e in suite.expectations)
    columns = _find(suite, "expect_table_columns_to_match_set", None)
    assert columns.kwargs["column_set"] == silver_columns(model, "customer")


def test_interaction_suite_has_time_links_and_numeric_types(model):
    suite = suite_for_silver(model, "purchase")
    assert _find(suite, "expect_column_values_to_not_be_null", "occurred_at").severity == "error"
    between = _find(suite, "expect_column_values_to_be_between", "occurred_at")
    assert between.kwargs["min_value"] == datetime(1900, 1, 1, tzinfo=timezone.utc)
    assert between.resolved_kwargs(NOW)["max_value"] == NOW + timedelta(days=1)
    for role in ("customer", "store"):
        link = _find(suite, "expect_column_values_to_match_regex", f"{role}_record_id")
        assert link.severity == "warn"
        assert re.match(link.kwargs["regex"], "crm_customers:C-1")
        assert not re.match(link.kwargs["regex"], "C-1")
    types = {e.column: e.kwargs["type_"] for e in suite.expectations if e.type.endswith("of_type")}
    assert types == {"amount": "DoubleType", "item_count": "LongType"}
    assert "customer_record_id" in silver_columns(model, "purchase")


def test_listing_suites_imports_neither_gx_nor_dagster():
    code = (
        "import sys, expectations, expectations.runner; "
        "loaded = [m for m in ('great_expectations', 'dagster') if m in sys.modules]; "
        "sys.exit(f'imported {loaded}' if loaded else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=RETAIL.parents[1])
    assert done.returncode == 0, done.stderr


def test_resolve_now_tokens():
    assert resolve_now("now", NOW) == NOW
    assert resolve_now("now+2d", NOW) == NOW + timedelta(days=2)
    assert resolve_now("now-12h", NOW) == NOW - timedelta(hours=12)
    assert resolve_now("nowhere", NOW) == "nowhere"
    assert resolve_now(3, NOW) == 3


def test_table_file_replaces_adds_and_removes(model, tmp_path):
    (tmp_path / "silver_customer.yaml").write_text(
        """
expectations:
  - type: expect_column_values_to_match_regex
    kwargs: {column: email, regex: "^[a-z]+@example\\\\.com$"}
    severity: error
    description: only company addresses
  - type: expect_column_values_to_not_be_null
    kwargs: {column: _row_hash}
    enabled: false
  - type: expect_table_row_count_to_be_between
    kwargs: {min_value: 1}
    severity: warn
"""
    )
    base = suite_for_silver(model, "customer")
    suite = suite_for_silver(model, "customer", extra_dirs=[tmp_path])
    email = _find(suite, "expect_column_values_to_match_regex", "email")
    assert (email.severity, email.kwargs["regex"]) == ("error", r"^[a-z]+@example\.com$")
    kept = [e.key for e in base.expectations if e.column != "_row_hash"]
    assert [e.key for e in suite.expectations][: len(kept)] == kept  # replaced in place
    assert not any(e.column == "_row_hash" for e in suite.expectations)
    assert suite.expectations[-1].type == "expect_table_row_count_to_be_between"
    assert suite.sources[-1] == str(tmp_path / "silver_customer.yaml")


@pytest.mark.parametrize(
    ("entry", "key", "words"),
    [
        ("{type: expect_column_values_to_not_be_null, kwarg: {column: x}, severity: error}",
         "expectations.0.kwarg", "unknown key"),
        ("{type: expect_column_values_to_not_be_null, kwargs: {column: x}, severity: fatal}",
         "expectations.0.severity", "'error' or 'warn'"),
        ("{type: expect_column_values_to_not_be_null, kwargs: {column: x}}",
         "expectations.0", "'severity' is required"),
        ("{type: column_values_not_null, kwargs: {column: x}, severity: warn}",
         "expectations.0.type", "expect_"),
    ],
)
def test_bad_suite_file_names_file_and_key(model, tmp_path, entry, key, words):
    path = tmp_path / "silver_customer.yaml"
    path.write_text(f"expectations:\n  - {entry}\n")
    with pytest.raises(SuiteFileError) as caught:
        suite_for_silver(model, "customer", extra_dirs=[tmp_path])
    message = str(caught.value)
    assert f"{path}: {key}:" in message
    assert words in message


def test_unknown_top_level_key_is_named(tmp_path):
    path = tmp_path / "silver_customer.yaml"
    path.write_text("expectation: []\n")
    with pytest.raises(SuiteFileError, match=re.escape(f"{path}: expectation: unknown key")):
        load_suite_file(path)


def test_workspace_folder_is_merged_and_misspelt_files_refused(tmp_path):
    root = tmp_path / "retail"
    shutil.copytree(RETAIL, root, ignore=shutil.ignore_patterns("data"))
    folder = root / "expectations"
    folder.mkdir()
    (folder / "silver_customer.yaml").write_text(
        "expectations:\n  - {type: expect_table_row_count_to_be_between,"
        " kwargs: {min_value: 1}, severity: warn}\n"
    )
    suites = suites_for_workspace(load_workspace(root))
    assert suites["customer"].expectations[-1].type == "expect_table_row_count_to_be_between"
    assert not any(e.type.startswith("expect_table_row") and not e.name  # templates' are named
                   for e in suites["purchase"].expectations)
    (folder / "silver_custmer.yaml").write_text("expectations: []\n")
    with pytest.raises(SuiteFileError, match="silver_custmer.yaml: not a suite file"):
        suites_for_workspace(load_workspace(root))


def test_unknown_type_name_is_refused(model):
    with pytest.raises(ValueError, match="unknown profile or interaction type 'shop'"):
        suite_for_silver(model, "shop")


# --- GX conversion (imports GX, no Spark work) -----------------------------------------------


def test_every_suite_of_the_example_converts_to_gx(model):
    from expectations.gx_context import to_gx_suite
    from expectations.spec import ValidationContext

    context = ValidationContext(NOW, lake_root="/lake", previous_rows=10)
    for name in [*model.profiles, *model.interactions]:
        suite = suite_for_silver(model, name)
        gx_suite = to_gx_suite(suite, NOW, context=context)
        assert len(gx_suite.expectations) == len(suite.expectations)


def test_expectation_gx_refuses_is_reported_before_spark_runs(spark):
    from expectations.gx_context import InvalidExpectation
    from expectations.runner import validate

    suite = TableSuite(
        name="silver/x",
        expectations=[
            ExpectationSpec(type="expect_column_values_to_be_nice", kwargs={"column": "a"},
                            severity="warn"),
            ExpectationSpec(type="expect_column_values_to_not_be_null", kwargs={"colum": "a"},
                            severity="error"),
        ],
    )
    with pytest.raises(InvalidExpectation) as caught:
        validate(spark.range(1), suite)
    assert "expectation 0: expect_column_values_to_be_nice" in str(caught.value)
    assert "expectation 1: expect_column_values_to_not_be_null" in str(caught.value)


# --- validation of silver-shaped DataFrames --------------------------------------------------


def _customer_rows(n: int = 40) -> list[dict]:
    """Clean silver/customer rows: keys, normalised attributes, bookkeeping (fresh: landed an hour ago)."""
    stamp = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0) - timedelta(hours=1)
    countries = ["GB", "FR", "DE", "US"]
    return [
        {
            "record_id": f"crm_customers:C{i:04d}",
            "source": "crm_customers",
            "source_key": f"C{i:04d}",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": f"ada.{i}@example.co.uk" if i % 5 else None,
            "phone": f"+4420794600{i:02d}",
            "birth_date": date(1980, 1, 1) + timedelta(days=i),
            "street": f"{i} Main Street",
            "city": "London",
            "postcode": "SW1A 1AA",
            "country": countries[i % 4],
            "loyalty_number": f"L{i}",
            "loyalty_tier": "gold",
            "home_store": "S001",
            "created_at": stamp,
            "_batch_id": 7,
            "_ingested_at": stamp,
            "_row_hash": f"h{i}",
            "_updated_at": stamp,
        }
        for i in range(n)
    ]


def _silver_df(spark, model: Model, type_name: str, rows: list[dict]):
    from pyspark.sql import types as T

    from jobs.conform import ISSUES_TYPE

    attributes = model.attributes_of(type_name)
    bookkeeping = {"_batch_id": T.LongType(), "_ingested_at": T.TimestampType(),
                   "_updated_at": T.TimestampType(), "_issues": ISSUES_TYPE}
    schema = T.StructType(
        [
            T.StructField(
                c,
                SPARK_TYPES[attributes[c].type] if c in attributes
                else bookkeeping.get(c, T.StringType()),
            )
            for c in silver_columns(model, type_name)
        ]
    )
    return spark.createDataFrame([tuple(r.get(f.name) for f in schema) for r in rows], schema)


def _validate(spark, model, type_name, rows, **kwargs):
    from expectations.runner import validate

    return validate(_silver_df(spark, model, type_name, rows), suite_for_silver(model, type_name),
                    **kwargs)


def _result(report, type_, column):
    matches = [r for r in report.results if r.type == type_ and r.column == column]
    assert len(matches) == 1
    return matches[0]


def test_clean_table_passes(spark, model):
    rows = _customer_rows()
    report = _validate(spark, model, "customer", rows)
    assert report.success, report.to_markdown()
    assert report.errors == [] and report.warnings == []
    assert report.row_count == len(rows)
    # without a lake root or a previous table version, the row-count change checks are skipped
    assert len(report.results) + len(report.skipped) == len(suite_for_silver(model, "customer").expectations)
    assert report.skipped == ["no rows lost - at least as many rows as the previous table version",
                              "row count at most doubles from the previous table version"]
    assert all(r.sample == [] for r in report.results)
    email = _result(report, "expect_column_values_to_match_regex", "email")
    assert email.unexpected_count == 0 and email.severity == "warn"


def test_duplicate_record_id_is_an_error(spark, model):
    rows = _customer_rows()
    rows += [dict(rows[3]), dict(rows[3]), dict(rows[10])]
    report = _validate(spark, model, "customer", rows)
    ids = pd.DataFrame(rows)["record_id"]
    duplicated = ids[ids.duplicated(keep=False)]
    unique = _result(report, "expect_column_values_to_be_unique", "record_id")
    assert not report.success
    assert report.errors == [unique]
    assert unique.unexpected_count == len(duplicated) == 5
    assert unique.unexpected_percent == pytest.approx(100 * len(duplicated) / len(rows))
    assert 0 < len(unique.sample) <= 5
    assert {s["record_id"] for s in unique.sample} <= set(duplicated)


def test_null_key_is_an_error_and_sample_identifies_the_row(spark, model):
    rows = _customer_rows()
    for i in (4, 9):
        rows[i]["source_key"] = None
    rows[12]["record_id"] = None
    report = _validate(spark, model, "customer", rows)
    frame = pd.DataFrame(rows)
    source_key = _result(report, "expect_column_values_to_not_be_null", "source_key")
    record_id = _result(report, "expect_column_values_to_not_be_null", "record_id")
    assert not report.success
    assert set(map(id, report.errors)) == {id(source_key), id(record_id)}
    assert source_key.unexpected_count == frame["source_key"].isna().sum() == 2
    assert record_id.unexpected_count == frame["record_id"].isna().sum() == 1
    assert {s["record_id"] for s in source_key.sample} == set(frame.loc[[4, 9], "record_id"])
    assert record_id.sample == [
        {"record_id": None, "source": "crm_customers", "source_key": rows[12]["source_key"]}
    ]


def test_bad_email_and_country_are_warnings(spark, model):
    rows = _customer_rows()
    rows[1]["email"] = "Ada@Example.com"  # not lower-cased
    rows[2]["email"] = "ada.example.com"
    rows[3]["email"] = "ada@localhost"
    rows[5]["country"] = "UK"  # not ISO-3166
    rows[6]["country"] = "gb"
    report = _validate(spark, model, "customer", rows, sample_size=2)
    frame = pd.DataFrame(rows)
    emails = frame["email"].dropna()
    bad_emails = emails[~emails.map(lambda v: re.fullmatch(EMAIL_REGEX, v) is not None)]
    bad_countries = frame["country"][~frame["country"].isin(COUNTRIES)]

    assert report.success  # warnings only
    assert report.errors == []
    email = _result(report, "expect_column_values_to_match_regex", "email")
    country = _result(report, "expect_column_values_to_match_regex", "country")
    assert {r.column for r in report.warnings} == {"email", "country"}
    assert email.unexpected_count == len(bad_emails) == 3
    assert email.unexpected_percent == pytest.approx(100 * 3 / len(emails))  # nulls don't count
    assert len(email.sample) == 2 and {s["email"] for s in email.sample} <= set(bad_emails)
    assert all(set(s) == {"record_id", "email"} for s in email.sample)
    assert country.unexpected_count == len(bad_countries) == 2
    assert {s["country"] for s in country.sample} == set(bad_countries)


def test_interaction_time_links_and_types(spark, model):
    stamp = datetime(2025, 1, 2, 3, 4, 5)
    rows = [
        {
            "record_id": f"pos:{i}", "source": "pos", "source_key": str(i),
            "occurred_at": stamp, "customer_record_id": f"crm_customers:C{i}",
            "store_record_id": None, "order_number": f"O{i}", "channel": "store",
            "amount": 10.5, "currency": "GBP", "item_count": 2, "status": "paid",
            "_batch_id": 1, "_ingested_at": stamp, "_row_hash": "h", "_updated_at": stamp,
        }
        for i in range(20)
    ]
    rows[0]["occurred_at"] = datetime(1850, 1, 1)
    rows[1]["occurred_at"] = datetime.now() + timedelta(days=400)
    rows[2]["customer_record_id"] = "C2"
    report = _validate(spark, model, "purchase", rows)
    assert report.success, report.to_markdown()
    between = _result(report, "expect_column_values_to_be_between", "occurred_at")
    link = _result(report, "expect_column_values_to_match_regex", "customer_record_id")
    assert (between.success, between.unexpected_count) == (False, 2)
    assert {s["record_id"] for s in between.sample} == {"pos:0", "pos:1"}
    assert (link.success, link.unexpected_count, link.sample) == (
        False, 1, [{"record_id": "pos:2", "customer_record_id": "C2"}]
    )
    assert _result(report, "expect_column_values_to_match_regex", "store_record_id").success

    from pyspark.sql import functions as F

    from expectations.runner import validate

    wrong = _silver_df(spark, model, "purchase", rows)
    typed = validate(wrong.withColumn("amount", F.col("amount").cast("string")),
                     suite_for_silver(model, "purchase"))
    amount = _result(typed, "expect_column_values_to_be_of_type", "amount")
    assert not typed.success and amount in typed.errors
    assert {e.column for e in typed.errors} == {"amount"}  # the type, and the range (min 0) with it
    assert amount.observed == "StringType"


def test_missing_column_fails_with_exception_not_crash(spark, model):
    from expectations.runner import validate

    df = _silver_df(spark, model, "customer", _customer_rows(5)).drop("_row_hash")
    report = validate(df, suite_for_silver(model, "customer"))
    columns = _result(report, "expect_table_columns_to_match_set", None)
    row_hash = _result(report, "expect_column_values_to_not_be_null", "_row_hash")
    assert not report.success
    assert not columns.success and not row_hash.success
    assert row_hash.exception and "_row_hash" in row_hash.exception
    assert "error:" in report.to_markdown()


def test_markdown_is_a_compact_table(spark, model):
    rows = _customer_rows(10)
    rows[0]["email"] = "a|b@x"
    rows.append(dict(rows[1]))
    report = _validate(spark, model, "customer", rows, sample_size=0)
    text = report.to_markdown()
    lines = text.splitlines()
    assert lines[0].startswith("**silver/customer: FAILED")
    assert "1 error, 1 warning, 11 rows" in lines[0]
    assert len(lines) == 4 + len(report.results)
    assert lines[4].startswith("| ❌ |") and lines[5].startswith("| ⚠️ |")
    assert all(r.sample == [] for r in report.results)  # sample_size=0 skips the second pass


def test_markdown_escapes_cells_and_lists_failures_first():
    from expectations.report import ExpectationResult, ValidationReport

    ok = ExpectationResult("expect_a", "a", "error", True, 0, 0.0, [], "a is fine")
    warn = ExpectationResult("expect_b", "b", "warn", False, 1, 50.0,
                             [{"record_id": "s:1", "b": "x|y"}], "b looks right")
    report = ValidationReport("silver/t", True, [ok, warn], row_count=2)
    lines = report.to_markdown().splitlines()
    assert lines[0] == "**silver/t: passed (2 expectations, 0 errors, 1 warning, 2 rows)**"
    assert lines[4] == "| ⚠️ | warn | b looks right | b | 1 (50%) | record_id=s:1 b=x\\|y |"
    assert lines[5] == "| ✅ | error | a is fine | a | 0 (0%) |  |"


def test_clean_table_needs_fewer_spark_jobs_than_expectations(spark, model):
    """GX bundles the counts into a few aggregate passes; no values are collected when clean."""
    from expectations.runner import validate

    df = _silver_df(spark, model, "customer", _customer_rows())
    suite = suite_for_silver(model, "customer")
    validate(df, suite)  # warm up
    context = spark.sparkContext
    context.setJobGroup("expectations-pass-count", "counting Spark jobs of one validation")
    try:
        report = validate(df, suite)
        jobs = context.statusTracker().getJobIdsForGroup("expectations-pass-count")
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
        context.setLocalProperty("spark.job.description", None)
    assert report.success
    # 2 bundled aggregate passes + 1 window pass for uniqueness (AQE splits them into jobs).
    assert 0 < len(jobs) < len(suite.expectations), len(jobs)
