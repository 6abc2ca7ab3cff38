"""Expectations that follow from the model: formats of normalised values, types, links, columns."""

from __future__ import annotations

from functools import lru_cache

from expectations.spec import ExpectationSpec
from schemas.model import OCCURRED_AT, InteractionType, Model
from schemas.tables import (
    BATCH_COL,
    INGESTED_AT_COL,
    RECORD_ID,
    ROW_HASH,
    SOURCE,
    SOURCE_KEY,
    SPARK_TYPES,
    UPDATED_AT,
    link_column,
)

# What a normalised value looks like in silver; values that cannot be normalised are nulled.
EMAIL_REGEX = (
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)
PHONE_REGEX = r"^\+[1-9][0-9]{6,14}$"
# A record_id is "<source>:<source key>" and source names are lower_snake identifiers.
RECORD_ID_REGEX = r"^[a-z][a-z0-9_]*:.+"
NUMERIC_TYPES = ("long", "double", "decimal")
BOOKKEEPING_COLUMNS = (BATCH_COL, INGESTED_AT_COL, ROW_HASH, UPDATED_AT)


@lru_cache(maxsize=1)
def country_regex() -> str:
    """An alternation of the ISO-3166 alpha-2 codes (from pycountry), so 'XX' fails too."""
    import pycountry

    codes = sorted(country.alpha_2 for country in pycountry.countries)
    return "^(?:" + "|".join(codes) + ")$"


def derived_expectations(model: Model, type_name: str) -> list[ExpectationSpec]:
    """Every expectation the model implies for the silver table of one type."""
    entity = model.entity(type_name)
    specs = [_columns_match(model, type_name)]
    for name, attribute in model.attributes_of(type_name).items():
        if attribute.normalize == "email":
            specs.append(_regex(name, EMAIL_REGEX, "a lower-case e-mail address"))
        elif attribute.normalize == "phone":
            specs.append(_regex(name, PHONE_REGEX, "an E.164 phone number (+ and 7-15 digits)"))
        elif attribute.normalize == "country":
            specs.append(_regex(name, country_regex(), "an ISO-3166 alpha-2 country code"))
        if attribute.type in NUMERIC_TYPES:
            spark_type = type(SPARK_TYPES[attribute.type]).__name__
            specs.append(
                ExpectationSpec(
                    type="expect_column_values_to_be_of_type",
                    kwargs={"column": name, "type_": spark_type},
                    severity="error",
                    description=f"{name} is {attribute.type} ({spark_type}), as the model declares",
                )
            )
    if isinstance(entity, InteractionType):
        for role, link in entity.links.items():
            specs.append(
                _regex(
                    link_column(role),
                    RECORD_ID_REGEX,
                    f"the record_id of a {link.profile} ('<source>:<key>')",
                )
            )
    return specs


def silver_columns(model: Model, type_name: str) -> list[str]:
    """The columns of a silver table: keys, occurred_at and links, attributes, bookkeeping."""
    entity = model.entity(type_name)
    attributes = list(model.attributes_of(type_name))
    keys = [RECORD_ID, SOURCE, SOURCE_KEY]
    if isinstance(entity, InteractionType):
        attributes.remove(OCCURRED_AT)
        keys += [OCCURRED_AT, *(link_column(role) for role in entity.links)]
    return [*keys, *attributes, *BOOKKEEPING_COLUMNS]


def _columns_match(model: Model, type_name: str) -> ExpectationSpec:
    return ExpectationSpec(
        type="expect_table_columns_to_match_set",
        kwargs={"column_set": silver_columns(model, type_name), "exact_match": True},
        severity="error",
        description="the columns are exactly those the model gives a silver table",
    )


def _regex(column: str, regex: str, what: str) -> ExpectationSpec:
    return ExpectationSpec(
        type="expect_column_values_to_match_regex",
        kwargs={"column": column, "regex": regex},
        severity="warn",
        description=f"{column} is {what} (or null)",
    )
