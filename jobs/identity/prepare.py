"""Records ready to compare: the policy's extra normalisation, as Column expressions on silver."""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from schemas.match import BlockKey, MatchPolicy, NormaliseStep
from schemas.tables import RECORD_ID, SOURCE

# Gmail ignores dots and +tags in the local part, and googlemail.com is the same mailbox.
_GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


def _email_canonical(c: Column) -> Column:
    value = F.lower(F.trim(c))
    local = F.regexp_replace(F.substring_index(value, "@", 1), r"\+.*$", "")
    domain = F.substring_index(value, "@", -1)
    gmail = domain.isin(*_GMAIL_DOMAINS)
    local = F.when(gmail, F.regexp_replace(local, r"\.", "")).otherwise(local)
    domain = F.when(gmail, F.lit("gmail.com")).otherwise(domain)
    return F.when(value.contains("@"), F.concat(local, F.lit("@"), domain)).otherwise(value)


STEPS: dict[NormaliseStep, Callable[[Column], Column]] = {
    "lower": F.lower,
    "upper": F.upper,
    "trim": F.trim,
    "collapse_spaces": lambda c: F.trim(F.regexp_replace(c, r"\s+", " ")),
    # NFD would need a UDF; translate covers the Latin letters names carry in practice.
    "strip_accents": lambda c: F.translate(
        c, "àáâãäåçèéêëìíîïñòóôõöøùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝ",
        "aaaaaaceeeeiiiinoooooouuuuyyAAAAAACEEEEIIIINOOOOOOUUUUY",
    ),
    "letters_only": lambda c: F.regexp_replace(c, r"[^\p{L}]", ""),
    "digits_only": lambda c: F.regexp_replace(c, r"[^0-9]", ""),
    "alnum_only": lambda c: F.regexp_replace(c, r"[^\p{L}0-9]", ""),
    "no_spaces": lambda c: F.regexp_replace(c, r"\s+", ""),
    "email_canonical": _email_canonical,
    "first_token": lambda c: F.split(F.trim(c), r"\s+").getItem(0),
}


def normalised(column: Column, steps: list[NormaliseStep]) -> Column:
    """A text column through the steps in order; empty results become null."""
    value = column
    for step in steps:
        value = STEPS[step](value.cast("string"))
    return F.when(value != "", value) if steps else value


def prepare_records(profiles: DataFrame, policy: MatchPolicy) -> DataFrame:
    """record_id, source and every attribute the policy reads, normalised for matching."""
    columns = [F.col(RECORD_ID), F.col(SOURCE)]
    for attr in policy.attributes():
        columns.append(normalised(F.col(attr), policy.normalize.get(attr, [])).alias(attr))
    return profiles.select(*columns).where(F.col(RECORD_ID).isNotNull())


def key_column(key: BlockKey, side: str | None = None) -> Column:
    """The value a blocking key compares, on one side of a pair (suffix _l/_r) or of a record."""
    name = key.attribute if side is None else f"{key.attribute}_{side}"
    c = F.col(name)
    if key.transform == "prefix":
        return F.substring(c.cast("string"), 1, key.length)
    if key.transform == "soundex":
        return F.soundex(c.cast("string"))
    if key.transform == "year":
        return F.year(c)
    if key.transform == "first_token":
        return F.split(F.trim(c.cast("string")), r"\s+").getItem(0)
    return c
