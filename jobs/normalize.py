"""Canonical forms of personal data (emails, phones, names, countries, postcodes) as Columns.

Silver keeps one spelling of each value so that joins, KPIs and identity resolution compare
like with like. Everything here is a Column expression, so many attributes normalise in one
select; only phone numbers need Python (Google's libphonenumber metadata), as a vectorised
pandas UDF. A present email, phone or country that cannot be normalised becomes null with a
reason (`checked`; the words are schemas/formats' ISSUE_REASONS), which silver keeps in `_issues`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd
import pycountry
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from schemas.formats import EMAIL_REGEX, NOT_AN_EMAIL, UNKNOWN_COUNTRY, phone_check
from schemas.model import Normalizer

# Names people write that pycountry does not list.
COUNTRY_ALIASES = {
    "UK": "GB",
    "GREAT BRITAIN": "GB",
    "BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "USA": "US",
    "AMERICA": "US",
    "UNITED STATES OF AMERICA": "US",
    "DEUTSCHLAND": "DE",
    "HOLLAND": "NL",
    "THE NETHERLANDS": "NL",
    "NEDERLAND": "NL",
    "EIRE": "IE",
    "ÉIRE": "IE",
    "REPUBLIC OF IRELAND": "IE",
    "ESPAÑA": "ES",
    "ESPANA": "ES",
    "ITALIA": "IT",
    "SCHWEIZ": "CH",
    "SUISSE": "CH",
    "ÖSTERREICH": "AT",
    "BELGIQUE": "BE",
    "BELGIE": "BE",
}


def blank_to_null(column: Column) -> Column:
    """Trimmed text, with empty strings as null: sources write 'missing' both ways."""
    trimmed = F.trim(column.cast("string"))
    return F.when(trimmed == "", None).otherwise(trimmed)


def email(column: Column) -> Column:
    """Lower-case, trimmed address; null when it does not match the one email rule (schemas/formats)."""
    value = F.lower(blank_to_null(column))
    return F.when(value.rlike(EMAIL_REGEX), value)


def name(column: Column) -> Column:
    """Single-spaced, and capitalised when written all upper or all lower case."""
    value = F.regexp_replace(blank_to_null(column), r"\s+", " ")
    shouted_or_flat = (value == F.upper(value)) | (value == F.lower(value))
    return F.when(shouted_or_flat, F.initcap(value)).otherwise(value)


def postcode(column: Column) -> Column:
    """Upper case with single spaces, as postal services print them."""
    return F.upper(F.regexp_replace(blank_to_null(column), r"\s+", " "))


@cache
def country_lookup() -> dict[str, str]:
    """Every spelling we accept (ISO2, ISO3, names, aliases) -> ISO 3166 alpha-2."""
    lookup: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                lookup[value.upper()] = country.alpha_2
    lookup.update(COUNTRY_ALIASES)
    return lookup


@cache
def country_map_sql() -> str:
    """The lookup as one SQL map literal: one call to Spark, where a lit() per spelling made 2,000 (14 s a run)."""
    def quoted(text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return "map(" + ", ".join(f"{quoted(k)}, {quoted(v)}" for k, v in sorted(country_lookup().items())) + ")"


def country(column: Column) -> Column:
    """ISO 3166 alpha-2 code from a code or a name; null when unknown."""
    mapping = F.expr(country_map_sql())
    # "U.K." and "U.S.A." are UK and USA: dots go, runs of spaces become one
    key = F.upper(F.regexp_replace(F.regexp_replace(blank_to_null(column), r"\.", ""), r"\s+", " "))
    return F.try_element_at(mapping, F.trim(key))


PHONE_CHECKED = T.StructType([T.StructField("e164", T.StringType()), T.StructField("reason", T.StringType())])


def _checked_phones(values: pd.Series, regions: pd.Series, default_region: str) -> pd.DataFrame:
    checked = [phone_check(text, region if isinstance(region, str) else default_region)
               for text, region in zip(values, regions, strict=True)]
    return pd.DataFrame(checked, columns=PHONE_CHECKED.fieldNames(), index=values.index, dtype=object)


@cache
def _phone_udf(default_region: str) -> Callable[[Column, Column], Column]:
    @F.pandas_udf(PHONE_CHECKED)
    def check_phones(values: pd.Series, regions: pd.Series) -> pd.DataFrame:
        return _checked_phones(values, regions, default_region)

    return check_phones


def _phone_checked(column: Column, default_region: str, region: Column | None = None) -> Column:
    """struct<e164, reason> of schemas/formats.phone_check, one UDF call for both.

    A number without +code is read as a number of `region` (the record's own ISO country, when the
    source maps one), else of default_region: an Irish 087 number in a GB workspace is Irish.
    """
    regions = region if region is not None else F.lit(None).cast("string")
    return _phone_udf(default_region.upper())(blank_to_null(column), regions)


def phone(column: Column, default_region: str = "US", region: Column | None = None) -> Column:
    """E.164 (+447700900123); numbers without +code are read as the record's region, else default_region; null if not valid."""
    return _phone_checked(column, default_region, region)["e164"]


@dataclass(frozen=True)
class Checked:
    """A normalised value and why a present value could not be normalised (null when it could, or was blank)."""

    value: Column
    issue: Column | None  # None: this kind never fails (names, postcodes, case and trim)


def _unless_lost(column: Column, value: Column, reason: str) -> Checked:
    """The value, and the reason when a present (non-blank) input normalised to null."""
    lost = blank_to_null(column).isNotNull() & value.isNull()
    return Checked(value, F.when(lost, F.lit(reason)))


def checked(kind: Normalizer | None, default_region: str = "US",
            region: Column | None = None) -> Callable[[Column], Checked]:
    """The normaliser of a kind with its issue: email, phone and country can fail; the others never do.

    `region` is the record's ISO country (phones without +code are read as its numbers), or None.
    """
    if kind == "email":
        return lambda c: _unless_lost(c, email(c), NOT_AN_EMAIL)
    if kind == "country":
        return lambda c: _unless_lost(c, country(c), UNKNOWN_COUNTRY)
    if kind == "phone":
        def check_phone(c: Column) -> Checked:
            result = _phone_checked(c, default_region, region)
            return Checked(result["e164"], result["reason"])

        return check_phone
    plain = normalizer(kind, default_region)
    return lambda c: Checked(plain(c), None)


def normalizer(kind: Normalizer | None, default_region: str = "US") -> Callable[[Column], Column]:
    """The normalisation function for an attribute's declared kind (blank_to_null if none)."""
    simple: dict[str, Callable[[Column], Column]] = {
        "email": email,
        "name": name,
        "country": country,
        "postcode": postcode,
        "lower": lambda c: F.lower(blank_to_null(c)),
        "upper": lambda c: F.upper(blank_to_null(c)),
        "trim": blank_to_null,
    }
    if kind == "phone":
        return lambda c: phone(c, default_region)
    if kind is None:
        return blank_to_null
    return simple[kind]
