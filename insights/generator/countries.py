"""Per-country conventions: spellings, ISO codes, currency, phone plans and address styles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import phonenumbers


@dataclass(frozen=True)
class PhoneFormat:
    """How a person writes a mobile number: a template over the national significant number."""

    template: str  # '{0:4}' = digits 0..4 of the national significant number
    weight: float
    international: bool  # readable without knowing the country (+44 / 0044 ...)


@dataclass(frozen=True)
class PhonePlan:
    """Mobile numbers of one country: leading digits, length and the ways people write them."""

    prefixes: tuple[str, ...]
    length: int
    formats: tuple[PhoneFormat, ...]


@dataclass(frozen=True)
class Country:
    """What differs between the countries the retailer sells in."""

    iso2: str
    iso3: str
    weight: float  # share of people
    currency: str
    fx: float  # catalogue prices are GBP; local price = GBP * fx
    spellings: tuple[tuple[str, float], ...]  # how the CRM writes the country
    phone: PhonePlan
    postcode_style: str  # gb | ie | full | nl | us
    number_first: bool  # '12 High Street' vs 'Hauptstraße 12'


def _formats(*items: tuple[str, float]) -> tuple[PhoneFormat, ...]:
    return tuple(PhoneFormat(t, w, t.startswith(("+", "00"))) for t, w in items)


COUNTRIES: tuple[Country, ...] = (
    Country(
        "GB", "GBR", 0.75, "GBP", 1.0,
        (("United Kingdom", 40), ("UK", 20), ("Great Britain", 8), ("GB", 10), ("U.K.", 4),
         ("united kingdom", 3), ("UNITED KINGDOM", 3)),
        PhonePlan(("7",), 10, _formats(
            ("+44 {0:4} {4:}", 25), ("0{0:4} {4:}", 30), ("0{0:}", 15), ("(0{0:4}) {4:}", 5),
            ("0044 {0:}", 4), ("+44{0:}", 12), ("+44 (0){0:4} {4:}", 9))),
        "gb", True,
    ),
    Country(
        "IE", "IRL", 0.07, "EUR", 1.17,
        (("Ireland", 60), ("Republic of Ireland", 15), ("IE", 10), ("IRELAND", 5)),
        PhonePlan(("83", "85", "86", "87", "89"), 9, _formats(
            ("+353 {0:2} {2:5} {5:}", 30), ("0{0:2} {2:5} {5:}", 30), ("0{0:}", 15), ("00353 {0:}", 5),
            ("+353{0:}", 20))),
        "ie", True,
    ),
    Country(
        "FR", "FRA", 0.05, "EUR", 1.17,
        (("France", 70), ("FR", 15), ("france", 5), ("FRANCE", 5)),
        PhonePlan(("6", "7"), 9, _formats(
            ("+33 {0:1} {1:3} {3:5} {5:7} {7:}", 30), ("0{0:1} {1:3} {3:5} {5:7} {7:}", 30),
            ("0{0:1}.{1:3}.{3:5}.{5:7}.{7:}", 10), ("0033 {0:}", 5), ("+33{0:}", 20), ("0{0:}", 5))),
        "full", True,
    ),
    Country(
        "DE", "DEU", 0.05, "EUR", 1.17,
        (("Germany", 50), ("Deutschland", 30), ("DE", 10), ("germany", 5)),
        PhonePlan(("151", "152", "157", "159", "160", "162", "163", "170", "171", "172", "173", "174",
                   "175", "176", "177", "178", "179"), 11, _formats(
            ("+49 {0:3} {3:}", 30), ("0{0:3} {3:}", 25), ("0{0:3}/{3:}", 10), ("0049 {0:}", 5),
            ("+49{0:}", 20), ("0{0:3}-{3:}", 10))),
        "full", False,
    ),
    Country(
        "NL", "NLD", 0.04, "EUR", 1.17,
        (("Netherlands", 45), ("The Netherlands", 25), ("Holland", 10), ("NL", 10), ("Nederland", 5)),
        PhonePlan(("6",), 9, _formats(
            ("+31 {0:1} {1:}", 30), ("0{0:1}-{1:}", 20), ("0{0:1} {1:5} {5:}", 15), ("0031 {0:}", 5),
            ("+31{0:}", 25), ("0{0:}", 5))),
        "nl", False,
    ),
    Country(
        "US", "USA", 0.04, "USD", 1.27,
        (("United States", 35), ("USA", 30), ("US", 15), ("United States of America", 15), ("U.S.A.", 5)),
        PhonePlan(("2", "3", "4", "5", "6", "7", "8", "9"), 10, _formats(
            ("+1 ({0:3}) {3:6}-{6:}", 25), ("({0:3}) {3:6}-{6:}", 25), ("{0:3}-{3:6}-{6:}", 20),
            ("1-{0:3}-{3:6}-{6:}", 10), ("+1{0:}", 15), ("{0:3}.{3:6}.{6:}", 5))),
        "us", True,
    ),
)
ISO2 = tuple(c.iso2 for c in COUNTRIES)
GB = ISO2.index("GB")


def country_index(iso2: str) -> int:
    return ISO2.index(iso2)


@cache
def mobile_pattern(iso2: str) -> str:
    """The anchored RE2 pattern of valid mobile numbers, from phonenumbers' maintained metadata."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(iso2)
    return f"^(?:{meta.mobile.national_number_pattern})$"
