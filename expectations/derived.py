"""Expectations that follow from the model: formats of normalised values, types, links, columns."""

from __future__ import annotations

from functools import lru_cache

from datetime import date, datetime, timezone
from typing import Any

from expectations.spec import LAKE_TOKEN, ExpectationSpec
from schemas.formats import EMAIL_REGEX
from schemas.model import OCCURRED_AT, SPARK_TYPE_NAMES, Attribute, InteractionType, Model
from schemas.tables import (
    SILVER,
    BATCH_COL,
    INGESTED_AT_COL,
    ISSUES_COL,
    RECORD_ID,
    ROW_HASH,
    SOURCE,
    SOURCE_KEY,
    UPDATED_AT,
    link_column,
)

# What a normalised value looks like in silver; values that cannot be normalised are nulled
# (with a reason in _issues, which the unnormalised_values warning lists).
PHONE_REGEX = r"^\+[1-9][0-9]{6,14}$"
# A record_id is "<source>:<source key>" and source names are lower_snake identifiers.
RECORD_ID_REGEX = r"^[a-z][a-z0-9_]*:.+"
NUMERIC_TYPES = ("long", "double", "decimal")
BOOKKEEPING_COLUMNS = (BATCH_COL, INGESTED_AT_COL, ROW_HASH, UPDATED_AT)
# GX's SQL expectation (UnexpectedRowsExpectation): fails when its query returns rows.
UNEXPECTED_ROWS_TYPE = "unexpected_rows_expectation"
UNNORMALISED = "unnormalised_values"


@lru_cache(maxsize=1)
def country_regex() -> str:
    """An alternation of the ISO-3166 alpha-2 codes (from pycountry), so 'XX' fails too."""
    import pycountry

    codes = sorted(country.alpha_2 for country in pycountry.countries)
    return "^(?:" + "|".join(codes) + ")$"


def derived_expectations(
    model: Model, type_name: str, fed: set[str] | None = None
) -> list[ExpectationSpec]:
    """Every expectation the model implies for the silver table of one type.

    fed: the silver tables that exist (types some source feeds); links to other profile types
    get no referential check (default: every type is fed).
    """
    entity = model.entity(type_name)
    specs = [_columns_match(model, type_name), unnormalised_values()]
    for name, attribute in model.attributes_of(type_name).items():
        if attribute.normalize == "email":
            specs.append(_regex(name, EMAIL_REGEX, "a lower-case e-mail address"))
        elif attribute.normalize == "phone":
            specs.append(_regex(name, PHONE_REGEX, "an E.164 phone number (+ and 7-15 digits)"))
        elif attribute.normalize == "country":
            specs.append(_regex(name, country_regex(), "an ISO-3166 alpha-2 country code"))
        if attribute.type in NUMERIC_TYPES:
            spark_type = SPARK_TYPE_NAMES[attribute.type]
            specs.append(
                ExpectationSpec(
                    type="expect_column_values_to_be_of_type",
                    kwargs={"column": name, "type_": spark_type},
                    severity="error",
                    description=f"{name} is {attribute.type} ({spark_type}), as the model declares",
                )
            )
        if attribute.min is not None or attribute.max is not None:
            specs.append(_in_range(name, attribute))
    if isinstance(entity, InteractionType):
        for role, link in entity.links.items():
            specs.append(
                _regex(
                    link_column(role),
                    RECORD_ID_REGEX,
                    f"the record_id of a {link.profile} ('<source>:<key>')",
                )
            )
            if fed is None or link.profile in fed:
                specs.append(references(role, link.profile))
    return specs


def unnormalised_values() -> ExpectationSpec:
    """Each value silver nulled because it could not normalise it: record, attribute, reason (warn).

    A row per entry of `_issues`, so the count is of values, and the sample shows which ones;
    warn, because the table is usable and the raw values are in bronze for a look.
    """
    query = f"SELECT {RECORD_ID}, inline({ISSUES_COL}) FROM {{batch}} WHERE {ISSUES_COL} IS NOT NULL"
    return ExpectationSpec(
        type=UNEXPECTED_ROWS_TYPE,
        kwargs={"unexpected_rows_query": query},
        severity="warn",
        description=f"every value was normalised (those that were not are null, with why in {ISSUES_COL})",
        name=UNNORMALISED,
    )


def references(role: str, profile: str) -> ExpectationSpec:
    """Referential integrity: every <role>_record_id is a record of silver/<profile>.

    A SQL check over the batch and the profile's Delta table (found through ${lake}); warn,
    because an interaction may arrive before the profile it points at.
    """
    column = link_column(role)
    query = (
        f"SELECT b.{RECORD_ID}, b.{column} FROM {{batch}} b "
        f"LEFT ANTI JOIN delta.`{LAKE_TOKEN}/{SILVER}/{profile}` p ON b.{column} = p.{RECORD_ID} "
        f"WHERE b.{column} IS NOT NULL"
    )
    return ExpectationSpec(
        type=UNEXPECTED_ROWS_TYPE,
        kwargs={"unexpected_rows_query": query},
        severity="warn",
        description=f"every {column} is a record of {SILVER}/{profile} (referential integrity)",
        name=f"references_{role}",
    )


def _in_range(name: str, attribute: Attribute) -> ExpectationSpec:
    bounds = {k: v for k, v in (("min_value", attribute.min), ("max_value", attribute.max)) if v is not None}
    shown = " and ".join(f"{'at least' if k == 'min_value' else 'at most'} {v}" for k, v in bounds.items())
    return ExpectationSpec(
        type="expect_column_values_to_be_between",
        kwargs={"column": name, **{k: _bound(v) for k, v in bounds.items()}},
        severity="error",
        description=f"{name} is {shown}, as the model declares (bronze quarantines the rest)",
    )


def _bound(value: Any) -> Any:
    """A model bound as GX takes it: dates and times as datetimes, 'now' for the clock."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, str) and value != "now":
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return value


def silver_columns(model: Model, type_name: str) -> list[str]:
    """The columns of a silver table: keys, occurred_at and links, attributes, issues, bookkeeping."""
    entity = model.entity(type_name)
    attributes = list(model.attributes_of(type_name))
    keys = [RECORD_ID, SOURCE, SOURCE_KEY]
    if isinstance(entity, InteractionType):
        attributes.remove(OCCURRED_AT)
        keys += [OCCURRED_AT, *(link_column(role) for role in entity.links)]
    return [*keys, *attributes, ISSUES_COL, *BOOKKEEPING_COLUMNS]


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
