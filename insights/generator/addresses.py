"""Street addresses and postcodes in each country's own format, drawn from the town list."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from insights.generator.countries import COUNTRIES
from insights.generator.lookups import Lookups
from insights.generator.streams import weighted
from insights.generator.text import cat, numbers, pick, scatter, strings, take

GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
IE_CHARS = "ACDEFHKNPRTVWXY0123456789"
NL_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"


@dataclass(frozen=True)
class Addresses:
    """One address per person: town (index into the town list), street line and postcode."""

    town: np.ndarray
    street: pa.Array
    postcode: pa.Array

    def city(self, lk: Lookups) -> pa.Array:
        return take(strings(lk.towns.city), self.town)


def _suffixes(style: str, rng: np.random.Generator) -> pa.Array | None:
    """All (or a fixed sample of) postcode endings for a style; None when prefixes are complete."""
    if style == "gb":  # inward code: digit + two letters, e.g. '4AB'
        return strings(f"{d}{a}{b}" for d, a, b in
                       itertools.product("0123456789", GB_INWARD_LETTERS, GB_INWARD_LETTERS))
    if style == "ie":  # Eircode unique identifier, e.g. 'X285'
        chars = np.array(list(IE_CHARS))
        letters = np.array([c for c in IE_CHARS if c.isalpha()])
        first = letters[rng.integers(0, len(letters), 4000)]
        rest = chars[rng.integers(0, len(chars), (4000, 3))]
        return strings(sorted({f + "".join(r) for f, r in zip(first, rest, strict=True)}))
    if style == "nl":  # '1017 CE': the town's two digits + two digits + two letters
        return strings(f"{d:02d} {a}{b}" for d, a, b in
                       itertools.product(range(10, 100), NL_LETTERS, NL_LETTERS))
    if style == "us":
        return strings(f"{d:02d}" for d in range(100))
    return None


def make_addresses(rng: np.random.Generator, country: np.ndarray, lk: Lookups) -> Addresses:
    """A fresh address for every row, in the row's country (index into COUNTRIES)."""
    n = len(country)
    towns = np.zeros(n, dtype=np.int32)
    streets: list[tuple[np.ndarray, pa.Array]] = []
    postcodes: list[tuple[np.ndarray, pa.Array]] = []
    town_country = np.array(lk.towns.country)
    street_country = np.array(lk.streets.country)
    for ci, spec in enumerate(COUNTRIES):
        rows = np.flatnonzero(country == ci)
        if len(rows) == 0:
            continue
        m = len(rows)
        pool = np.flatnonzero(town_country == spec.iso2)
        town = pool[weighted(rng, lk.towns.weight[pool], m)]
        towns[rows] = town

        # postcode: one of the town's prefixes, plus an ending in the country's style
        flat = [(t, p) for t in pool for p in lk.towns.prefixes[t]]
        first = np.zeros(len(lk.towns.city), dtype=np.int64)
        span = np.ones(len(lk.towns.city), dtype=np.int64)
        for i, (t, _) in reversed(list(enumerate(flat))):
            first[t] = i
            span[t] = len(lk.towns.prefixes[t])
        first, span = first[town], span[town]
        prefix = take(strings(p for _, p in flat), first + (rng.random(m) * span).astype(np.int64))
        ends = _suffixes(spec.postcode_style, rng)
        if ends is None:
            code = prefix
        else:
            end = take(ends, rng.integers(0, len(ends), m))
            code = cat(prefix, "", end) if spec.postcode_style in ("nl", "us") else cat(prefix, " ", end)
        postcodes.append((rows, code))

        # street line
        spool = np.flatnonzero(street_country == spec.iso2)
        street = take(strings(lk.streets.street), spool[weighted(rng, lk.streets.weight[spool], m)])
        number = numbers(np.minimum(1 + rng.geometric(1 / 35, m), 300))
        if spec.number_first:
            line = cat(number, " ", street)
        else:
            line = cat(street, " ", number)
        if spec.iso2 == "GB":  # flats: 'Flat 3, 12 High Street' needs CSV quoting
            flat_no = numbers(rng.integers(1, 40, m))
            line = pick(rng.random(m) < 0.08, cat("Flat ", flat_no, ", ", line), line)
        streets.append((rows, line))
    return Addresses(towns, scatter(n, streets), scatter(n, postcodes))
