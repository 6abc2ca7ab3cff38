"""The bundled name, town, street, catalogue and comment lists (data/*.csv), loaded once."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class FirstNames:
    """Given names with gender, the countries they are common in, frequency and nicknames."""

    name: tuple[str, ...]
    female: np.ndarray  # bool
    countries: tuple[frozenset[str], ...]
    weight: np.ndarray
    nicknames: tuple[tuple[str, ...], ...]

    def pool(self, country: str | None, female: bool) -> np.ndarray:
        """Indices of names for a gender, common in a country (None: anywhere)."""
        return np.array(
            [i for i in range(len(self.name))
             if self.female[i] == female and (country is None or country in self.countries[i])],
            dtype=np.int64,
        )


@dataclass(frozen=True)
class LastNames:
    """Family names with the countries they are common in and frequency."""

    name: tuple[str, ...]
    countries: tuple[frozenset[str], ...]
    weight: np.ndarray

    def pool(self, country: str | None) -> np.ndarray:
        return np.array(
            [i for i in range(len(self.name)) if country is None or country in self.countries[i]],
            dtype=np.int64,
        )


@dataclass(frozen=True)
class Towns:
    """Towns per country with postcode prefixes (outward codes, routing keys, full codes)."""

    country: tuple[str, ...]
    city: tuple[str, ...]
    prefixes: tuple[tuple[str, ...], ...]
    weight: np.ndarray


@dataclass(frozen=True)
class Streets:
    """Street names per country."""

    country: tuple[str, ...]
    street: tuple[str, ...]
    weight: np.ndarray


@dataclass(frozen=True)
class EmailDomains:
    """Mail providers per country with market share."""

    country: tuple[str, ...]
    domain: tuple[str, ...]
    weight: np.ndarray


@dataclass(frozen=True)
class CatalogItems:
    """Product kinds with category and a GBP price range."""

    category: tuple[str, ...]
    item: tuple[str, ...]
    min_price: np.ndarray
    max_price: np.ndarray


@dataclass(frozen=True)
class Lookups:
    """Everything read from data/."""

    first_names: FirstNames
    last_names: LastNames
    towns: Towns
    streets: Streets
    email_domains: EmailDomains
    items: CatalogItems
    brands: tuple[tuple[str, frozenset[str]], ...]
    comments: dict[str, tuple[str, ...]]


@cache
def lookups() -> Lookups:
    """Read data/*.csv once per process."""
    fn = _rows("first_names.csv")
    ln = _rows("last_names.csv")
    tw = _rows("towns.csv")
    st = _rows("streets.csv")
    ed = _rows("email_domains.csv")
    it = _rows("catalog_items.csv")
    comments: dict[str, list[str]] = {}
    for r in _rows("comments.csv"):
        comments.setdefault(r["sentiment"], []).append(r["comment"])
    return Lookups(
        first_names=FirstNames(
            name=tuple(r["name"] for r in fn),
            female=np.array([r["gender"] == "F" for r in fn]),
            countries=tuple(frozenset(r["countries"].split()) for r in fn),
            weight=np.array([float(r["weight"]) for r in fn]),
            nicknames=tuple(tuple(r["nicknames"].split()) for r in fn),
        ),
        last_names=LastNames(
            name=tuple(r["name"] for r in ln),
            countries=tuple(frozenset(r["countries"].split()) for r in ln),
            weight=np.array([float(r["weight"]) for r in ln]),
        ),
        towns=Towns(
            country=tuple(r["country"] for r in tw),
            city=tuple(r["city"] for r in tw),
            prefixes=tuple(tuple(r["postcode_prefixes"].split()) for r in tw),
            weight=np.array([float(r["weight"]) for r in tw]),
        ),
        streets=Streets(
            country=tuple(r["country"] for r in st),
            street=tuple(r["street"] for r in st),
            weight=np.array([float(r["weight"]) for r in st]),
        ),
        email_domains=EmailDomains(
            country=tuple(r["country"] for r in ed),
            domain=tuple(r["domain"] for r in ed),
            weight=np.array([float(r["weight"]) for r in ed]),
        ),
        items=CatalogItems(
            category=tuple(r["category"] for r in it),
            item=tuple(r["item"] for r in it),
            min_price=np.array([float(r["min_price"]) for r in it]),
            max_price=np.array([float(r["max_price"]) for r in it]),
        ),
        brands=tuple((r["brand"], frozenset(r["categories"].split())) for r in _rows("brands.csv")),
        comments={k: tuple(v) for k, v in comments.items()},
    )
