"""One email rule: what silver's normaliser keeps, its suite accepts, and the other way round."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pyspark.sql import functions as F

from expectations.runner import validate
from expectations.spec import TableSuite
from expectations.suite import suite_for_silver
from jobs.normalize import email
from schemas.formats import normal_email
from schemas.model import Model

RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail"
TRICKY = [
    "alice.smith@example.com",
    "o'brien+news@mail.example.co.uk",
    "first_last-1@sub-domain.example.org",
    "a.b.c{x}|~@example.io",
    "info@xn--bcher-kva.ch",  # a punycode domain under a letter TLD
    " Alice.Smith@Example.COM ",  # kept lower-cased and trimmed: not silver's spelling as given
    "Ada@Example.com",
    "jöhn@example.com",  # non-ASCII local part
    "john@exämple.com",
    "a@b.c",  # one-letter top-level domain
    "user@example.123",  # numeric top-level domain
    "mail@localhost",
    "x@y",
    "a@-x.com",  # a label may not start with a hyphen
    "a@x-.com",
    "a@x_y.com",  # nor hold an underscore
    "a@b..com",
    "a b@example.com",
    '"quoted"@example.com',
    "a@b@example.com",
    "no-at-sign",
]


@pytest.fixture(scope="module")
def email_suite() -> TableSuite:
    """silver/customer's own expectation on its email column, alone."""
    model = Model.model_validate(yaml.safe_load((RETAIL / "model.yaml").read_text()))
    suite = suite_for_silver(model, "customer")
    [check] = [e for e in suite.expectations if e.type.endswith("match_regex") and e.column == "email"]
    return TableSuite(name=suite.name, expectations=[check])


def rejected(spark, suite: TableSuite, values: list[str]) -> set[str]:
    """The values the suite's email expectation flags, in a silver-shaped column."""
    rows = [(f"s:{i}", v) for i, v in enumerate(values)]
    df = spark.createDataFrame(rows, "record_id string, email string")
    [result] = validate(df, suite, sample_size=len(values)).results
    flagged = {row["email"] for row in result.sample}
    assert result.unexpected_count == len(flagged)
    return flagged


def normalised(spark, values: list[str]) -> dict[str, str | None]:
    df = spark.createDataFrame([(v,) for v in values], "value string")
    return dict(df.select("value", email(F.col("value")).alias("email")).collect())


def test_every_email_the_normaliser_keeps_passes_the_suite(spark, email_suite):
    kept = sorted({v for v in normalised(spark, TRICKY).values() if v is not None})
    assert len(kept) == 6  # the five well-formed ones, and Alice's spelled as silver keeps it
    assert rejected(spark, email_suite, kept) == set()


def test_the_suite_accepts_exactly_what_the_normaliser_keeps_unchanged(spark, email_suite):
    flagged = rejected(spark, email_suite, TRICKY)
    unchanged = {v for v, n in normalised(spark, TRICKY).items() if n == v}
    assert unchanged == set(TRICKY) - flagged
    assert "alice.smith@example.com" in unchanged and "a@b.c" in flagged


def test_the_plain_python_rule_keeps_what_the_spark_normaliser_keeps(spark):
    """`insights customer --email` spells a typed address as silver does, without Spark."""
    values = [*TRICKY, "  ", "", "\tada@example.com", "ada@example.com\n", "ADA@EXAMPLE.COM  "]
    assert {v: normal_email(v) for v in values} == normalised(spark, values)


def test_silver_gives_a_reason_for_exactly_the_present_emails_the_rule_refuses(spark):
    """The issue is the same rule: a non-blank address normal_email refuses, and only those."""
    from jobs.normalize import checked
    from schemas.formats import NOT_AN_EMAIL

    values = [*TRICKY, "  ", "", None]
    df = spark.createDataFrame([(v,) for v in values], "value string")
    out = checked("email")(F.col("value"))
    got = {r[0]: r[1] for r in df.select("value", out.issue).collect()}
    refused = {v for v in values if v is not None and v.strip(" ") and normal_email(v) is None}
    assert {v for v, issue in got.items() if issue is not None} == refused
    assert set(got.values()) == {None, NOT_AN_EMAIL} and "no-at-sign" in refused
