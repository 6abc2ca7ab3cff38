"""Normalisation: each function against values computed independently of Spark."""

from __future__ import annotations

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
    "raw", ["07700 900123", "+44 20 7946 0018", "(020) 7946 0019", "0044 7700900123", "+1 212 555 0123"]
)
def test_phone_matches_libphonenumber(spark, raw):
    expected = phonenumbers.format_number(phonenumbers.parse(raw, "GB"), phonenumbers.PhoneNumberFormat.E164)
    assert apply(spark, lambda c: normalize.phone(c, "GB"), [raw]) == [expected]


def test_phone_rejects_garbage(spark):
    assert apply(spark, lambda c: normalize.phone(c, "GB"), ["abc", "12", "", None]) == [None] * 4


def test_name(spark):
    got = apply(spark, normalize.name, ["  ALICE  ", "bob  van   dyke", "McDonald", ""])
    assert got == ["Alice", "Bob Van Dyke", "McDonald", None]


def test_country_codes_names_and_aliases(spark):
    values = ["United Kingdom", "uk", "GBR", "gb", "Deutschland", "France", "Atlantis", None]
    expected = [
        "GB", "GB", "GB", "GB", "DE", pycountry.countries.lookup("France").alpha_2, None, None,
    ]
    assert apply(spark, normalize.country, values) == expected


def test_postcode(spark):
    assert apply(spark, normalize.postcode, [" sw1a   1aa ", "d02 x285"]) == ["SW1A 1AA", "D02 X285"]


def test_phone_of_one_value_is_what_silver_stores(spark):
    """`insights customer --phone` uses schemas.formats.e164, the function silver's UDF maps over values."""
    raws = ["07700 900123", "+44 7700 900123", "(020) 7946 0018", "abc", "12", " "]
    assert [formats.e164(r, "GB") for r in raws] == apply(spark, lambda c: normalize.phone(c, "GB"), raws)
