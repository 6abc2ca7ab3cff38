"""Each person's true mobile number and email addresses: valid, realistic and unique."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from insights.generator.countries import COUNTRIES, mobile_pattern
from insights.generator.lookups import Lookups
from insights.generator.streams import weighted
from insights.generator.text import cat, numbers, padded, pick, scatter, slice_chars, strings, take

FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l"})


def slug(name: str) -> str:
    """ASCII letters of a name for email local parts: 'Müller' -> 'muller', "O'Brien" -> 'obrien'."""
    folded = unicodedata.normalize("NFKD", name.lower().translate(FOLD))
    return "".join(c for c in folded if c.isascii() and c.isalnum())


def repeated(values: pa.Array) -> np.ndarray:
    """True for every non-null value that already occurred earlier in the array."""
    codes = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False)
    codes = np.where(pc.is_null(values).to_numpy(zero_copy_only=False), -1, codes).astype(np.int64)
    _, first = np.unique(codes, return_index=True)
    out = np.ones(len(codes), dtype=bool)
    out[first] = False
    return out & (codes >= 0)


def make_phones(rng: np.random.Generator, country: np.ndarray) -> pa.Array:
    """A unique valid mobile number (national significant number digits) per person."""
    n = len(country)
    pieces: list[tuple[np.ndarray, pa.Array]] = []
    for ci, spec in enumerate(COUNTRIES):
        rows = np.flatnonzero(country == ci)
        if len(rows) == 0:
            continue
        plan = spec.phone
        pattern = mobile_pattern(spec.iso2)
        width = plan.length - len(plan.prefixes[0])
        prefixes = np.array([int(p) for p in plan.prefixes], dtype=np.int64)
        need = len(rows)
        found = np.zeros(0, dtype=np.int64)
        while len(found) < need:  # oversample, keep valid ones, drop repeats (first wins)
            size = 2 * need + 1000
            cand = prefixes[rng.integers(0, len(prefixes), size)] * 10**width + rng.integers(0, 10**width, size)
            ok = pc.match_substring_regex(numbers(cand), pattern).to_numpy(zero_copy_only=False)
            found = np.concatenate([found, cand[ok]])
            _, first = np.unique(found, return_index=True)
            found = found[np.sort(first)]
        out = found[:need]
        pieces.append((rows, numbers(out)))
    return scatter(n, pieces)


@dataclass(frozen=True)
class Emails:
    """Main address for everyone, a second one (other provider) for some."""

    local: pa.Array
    domain: pa.Array
    alt_local: pa.Array  # null when the person has no second address
    alt_domain: pa.Array

    @property
    def main(self) -> pa.Array:
        return cat(self.local, "@", self.domain)

    @property
    def alt(self) -> pa.Array:
        return cat(self.alt_local, "@", self.alt_domain)


def _locals(rng: np.random.Generator, first: pa.Array, last: pa.Array, year: np.ndarray) -> pa.Array:
    """Email local parts from the usual patterns: john.smith, jsmith, john.smith84, smith.john ..."""
    n = len(first)
    initial = slice_chars(first, 0, 1)
    yy = padded(year % 100, 2)
    patterns = [
        (cat(first, ".", last), 32), (cat(first, last), 10), (cat(initial, ".", last), 7),
        (cat(initial, last), 8), (cat(first, ".", last, yy), 12), (cat(first, "_", last), 5),
        (cat(last, ".", first), 4), (cat(first, numbers(rng.integers(1, 1000, n))), 10),
        (cat(first, last, numbers(year)), 6), (cat(first, ".", last, ".", numbers(rng.integers(1, 100, n))), 6),
    ]
    which = weighted(rng, np.array([w for _, w in patterns], dtype=float), n)
    return pc.choose(pa.array(which.astype(np.int8)), *[p for p, _ in patterns])


def _domains(rng: np.random.Generator, country: np.ndarray, lk: Lookups, avoid: np.ndarray | None) -> np.ndarray:
    """A provider per person from their country's market shares (index into the domain list)."""
    out = np.zeros(len(country), dtype=np.int64)
    dom_country = np.array(lk.email_domains.country)
    for ci, spec in enumerate(COUNTRIES):
        rows = np.flatnonzero(country == ci)
        pool = np.flatnonzero(dom_country == spec.iso2)
        pick_ = pool[weighted(rng, lk.email_domains.weight[pool], len(rows))]
        if avoid is not None:  # a second address at a different provider
            same = pick_ == avoid[rows]
            pos = np.searchsorted(pool, pick_[same])
            pick_[same] = pool[(pos + 1) % len(pool)]
        out[rows] = pick_
    return out


def make_emails(
    rng: np.random.Generator,
    first_slug: pa.Array,
    last_slug: pa.Array,
    birth_year: np.ndarray,
    country: np.ndarray,
    has_alt: np.ndarray,
    lk: Lookups,
) -> Emails:
    """Unique addresses: duplicates get a number appended until every address is distinct."""
    n = len(country)
    domains = strings(lk.email_domains.domain)
    dom = _domains(rng, country, lk, None)
    alt_dom = _domains(rng, country, lk, dom)
    local = _locals(rng, first_slug, last_slug, birth_year)
    alt_local = _locals(rng, first_slug, last_slug, birth_year)
    # a second address is often a work-ish or older variant: different provider, sometimes a number
    alt_local = pick(rng.random(n) < 0.3, cat(alt_local, numbers(rng.integers(1, 100, n))), alt_local)
    alt_local = pc.if_else(pa.array(has_alt), alt_local, pa.scalar(None, pa.string()))

    main_dom = take(domains, dom)
    second_dom = pc.if_else(pa.array(has_alt), take(domains, alt_dom), pa.scalar(None, pa.string()))
    for _ in range(50):
        both = pa.concat_arrays([cat(local, "@", main_dom), cat(alt_local, "@", second_dom)])
        dup = repeated(both)
        if not dup.any():
            break
        local = pick(dup[:n], cat(local, numbers(rng.integers(1, 1000, n))), local)
        alt_local = pick(dup[n:], cat(alt_local, numbers(rng.integers(1, 1000, n))), alt_local)
    else:  # pragma: no cover - 50 rounds of random suffixes never collide in practice
        raise RuntimeError("could not make email addresses unique")
    return Emails(local, main_dom, alt_local, second_dom)
