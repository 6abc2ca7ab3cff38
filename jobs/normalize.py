"""Canonical forms of personal data (emails, phones, names, countries, postcodes) as Columns.

Silver keeps one spelling of each value so that joins, KPIs and identity resolution compare
like with like. Everything here is a Column expression, so many attributes normalise in one
select; only phone numbers need Python (Google's libphonenumber metadata), as a vectorised
pandas UDF.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pandas as pd
import pycountry
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from schemas.formats import EMAIL_REGEX, e164
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


def country(column: Column) -> Column:
    """ISO 3166 alpha-2 code from a code or a name; null when unknown."""
    mapping = F.create_map(*[F.lit(x) for pair in sorted(country_lookup().items()) for x in pair])
    key = F.upper(F.regexp_replace(blank_to_null(column), r"[.\s]+", " "))
    return F.try_element_at(mapping, F.trim(key))


def _e164(values: pd.Series, region: str) -> pd.Series:
    return values.map(lambda text: e164(text, region))


@cache
def _phone_udf(region: str) -> Callable[[Column], Column]:
    @F.pandas_udf(T.StringType())
    def to_e164(values: pd.Series) -> pd.Series:
        return _e164(values, region)

    return to_e164


def phone(column: Column, default_region: str = "US") -> Column:
    """E.164 (+447700900123); numbers without +code are read as numbers of default_region."""
    return _phone_udf(default_region.upper())(blank_to_null(column))


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
