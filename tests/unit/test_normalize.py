"""Normalisation: each function against values computed independently of Spark."""

from __future__ import annotations

import re

import phonenumbers
import pycountry
import pytest
from pyspark.sql import functions as F

from jobs import normalize
from schemas import formats


def apply(spark, function, values):
    df = spark.createDataFrame([(v,) for v in values], "value string")
    return [r[0] for r in df.select(function(F.col("value"))).collect()]


def test_email(spark):
    got = apply(spark, normalize.email, [" Alice.Smith@Example.COM ", "no-at-sign", "", None, "x@y"])
    assert got == ["alice.smith@example.com", None, None, None, None]


@pytest.mark.parametrize(
    "raw", ["07911 123456", "+44 20 7946 0018", "(020) 7946 0019", "0044 7911123456", "+1 212 555 0123"]
)
def test_phone_matches_libphonenumber(spark, raw):
    parsed = phonenumbers.parse(raw, "GB")
    assert phonenumbers.is_valid_number(parsed)
    expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    assert apply(spark, lambda c: normalize.phone(c, "GB"), [raw]) == [expected]


def test_phone_rejects_garbage(spark):
    assert apply(spark, lambda c: normalize.phone(c, "GB"), ["abc", "12", "", None]) == [None] * 4


def test_name(spark):
    got = apply(spark, normalize.name, ["  ALICE  ", "bob  van   dyke", "McDonald", ""])
    assert got == ["Alice", "Bob Van Dyke", "McDonald", None]


def test_country_codes_names_and_aliases(spark):
    values = ["United Kingdom", "uk", "GBR", "gb", "Deutschland", "France", "Atlantis", None, "U.K.", "U.S.A."]
    expected = [
        "GB", "GB", "GB", "GB", "DE", pycountry.countries.lookup("France").alpha_2, None, None, "GB", "US",
    ]
    assert apply(spark, normalize.country, values) == expected


def test_postcode(spark):
    assert apply(spark, normalize.postcode, [" sw1a   1aa ", "d02 x285"]) == ["SW1A 1AA", "D02 X285"]


def test_phone_of_one_value_is_what_silver_stores(spark):
    """`insights customer --phone` uses schemas.formats.e164, the function silver's UDF maps over values."""
    raws = ["07911 123456", "+44 7911 123456", "(020) 7946 0018", "07700 900123", "abc", "12", " "]
    assert [formats.e164(r, "GB") for r in raws] == apply(spark, lambda c: normalize.phone(c, "GB"), raws)


def checked(spark, kind, values, region="GB"):
    """(value, issue) per input, through jobs.normalize.checked."""
    df = spark.createDataFrame([(v,) for v in values], "value string")
    out = normalize.checked(kind, region)(F.col("value"))
    return [(r[0], r[1]) for r in df.select(out.value, out.issue).collect()]


def test_a_phone_too_short_for_its_region_or_not_valid_is_null_not_a_fake_e164(spark):
    short, invalid = "555 0123", "07700 900123"  # a US number without its area code; an Ofcom drama number
    assert phonenumbers.is_possible_number(phonenumbers.parse(short, "US"))  # libphonenumber: local only
    assert not phonenumbers.is_valid_number(phonenumbers.parse(short, "US"))
    assert phonenumbers.is_possible_number(phonenumbers.parse(invalid, "GB"))
    assert not phonenumbers.is_valid_number(phonenumbers.parse(invalid, "GB"))
    assert apply(spark, lambda c: normalize.phone(c, "US"), [short, "212 555 0123"]) == [None, "+12125550123"]
    assert apply(spark, lambda c: normalize.phone(c, "GB"), [invalid]) == [None]


def test_a_phone_without_its_code_is_read_as_a_number_of_the_records_country(spark):
    """An Irish, German or Dutch number written nationally is theirs, not the workspace default's (GB)."""
    rows = [("087 235 1704", "IE"), ("0163-32137853", "DE"), ("06-37870931", "NL"), ("07911 123456", None),
            ("1-223-442-7778", "US"), ("+44 7911 123456", "IE")]
    df = spark.createDataFrame(rows, "value string, region string")
    out = normalize.checked("phone", "GB", F.col("region"))(F.col("value"))
    got = [(r[0], r[1]) for r in df.select(out.value, out.issue).collect()]
    expected = []
    for raw, region in rows:
        parsed = phonenumbers.parse(raw, region or "GB")
        assert phonenumbers.is_valid_number(parsed), raw
        expected.append((phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None))
    assert got == expected
    assert [formats.phone_check(raw, "GB")[0] for raw, _ in rows[:3]] == [None, None, None]  # read as GB: lost


def test_each_phone_that_cannot_be_normalised_gets_its_reason(spark):
    values = ["07911 123456", "555", "+44 1234", "07700 900123", "+999 1234567", "abc",
              "+4412345678901234", "", "  ", None]
    assert checked(spark, "phone", values) == [
        ("+447911123456", None),
        (None, formats.PHONE_TOO_SHORT),
        (None, formats.PHONE_TOO_SHORT),
        (None, formats.PHONE_NOT_VALID),
        (None, formats.UNKNOWN_CALLING_CODE),
        (None, formats.NOT_A_PHONE),
        (None, formats.PHONE_TOO_LONG),
        (None, None), (None, None), (None, None),  # blank or absent is no issue
    ]


def test_emails_and_countries_that_cannot_be_normalised_get_their_reason(spark):
    assert checked(spark, "email", [" Ann@Example.com ", "no-at-sign", "x@y", "", " ", None]) == [
        ("ann@example.com", None), (None, formats.NOT_AN_EMAIL), (None, formats.NOT_AN_EMAIL),
        (None, None), (None, None), (None, None),
    ]
    assert checked(spark, "country", ["uk", "France", "Atlantis", "XX", ".", "", None]) == [
        ("GB", None), ("FR", None), (None, formats.UNKNOWN_COUNTRY), (None, formats.UNKNOWN_COUNTRY),
        (None, formats.UNKNOWN_COUNTRY), (None, None), (None, None),
    ]
    assert normalize.checked("name")(F.col("value")).issue is None  # names never fail


def test_the_phone_check_runs_one_udf_per_phone_column(spark):
    """Value and reason come from one struct: Spark calls the phone UDF once per row, not per use."""
    df = spark.createDataFrame([("555",)], "value string")
    out = normalize.checked("phone", "GB")(F.col("value"))
    plan = df.select(out.value, out.issue, F.when(out.issue.isNotNull(), out.issue))._jdf.queryExecution()
    udf_results = set(re.findall(r"pythonUDF\d+", str(plan.executedPlan())))
    assert udf_results == {"pythonUDF0"}, str(plan.executedPlan())
