"""The real people behind every record: their true names, birth dates, addresses and contacts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from insights.generator.addresses import Addresses, make_addresses
from insights.generator.countries import COUNTRIES
from insights.generator.identifiers import Emails, make_emails, make_phones, slug
from insights.generator.lookups import Lookups
from insights.generator.scales import AS_OF_S, DAY_S, FIRST_SEEN_FLOOR_S, HISTORY_START_S, Scale
from insights.generator.streams import stream, weighted
from insights.generator.text import keys, nullify, strings, take
from insights.generator.variation import e164

SECOND_EMAIL_SHARE = 0.25
FOREIGN_NAME_SHARE = 0.10  # people whose names come from another country's list


@dataclass(frozen=True)
class People:
    """Column arrays, one entry per person (index = person number - 1)."""

    n: int
    country: np.ndarray  # index into COUNTRIES
    female: np.ndarray
    first: np.ndarray  # index into the first-name list
    last: np.ndarray  # index into the last-name list
    birth_day: np.ndarray  # days since 1970-01-01
    home: Addresses
    previous: Addresses  # where people who moved lived before
    emails: Emails
    phone: pa.Array  # national significant number
    first_seen_s: np.ndarray  # when the retailer first saw the person (epoch seconds)

    @property
    def person_id(self) -> pa.Array:
        return keys("P", np.arange(1, self.n + 1), 7)

    def ids(self, person: np.ndarray) -> pa.Array:
        """Person ids of given person indices (-1 gives null)."""
        person = np.asarray(person)
        return nullify(keys("P", person + 1, 7), person < 0)

    @property
    def phone_e164(self) -> pa.Array:
        return e164(self.phone, self.country)


def _names(rng: np.random.Generator, country: np.ndarray, female: np.ndarray, lk: Lookups) -> tuple[np.ndarray, np.ndarray]:
    """Frequent names repeat (Zipf-like weights), chosen from the person's country list mostly."""
    n = len(country)
    first = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    foreign = rng.random(n) < FOREIGN_NAME_SHARE
    fn, ln = lk.first_names, lk.last_names
    for ci, spec in enumerate([*COUNTRIES, None]):
        iso = spec.iso2 if spec else None
        in_group = foreign if spec is None else (country == ci) & ~foreign
        for is_female in (True, False):
            rows = np.flatnonzero(in_group & (female == is_female))
            pool = fn.pool(iso, is_female)
            first[rows] = pool[weighted(rng, fn.weight[pool], len(rows))]
        rows = np.flatnonzero(in_group)
        pool = ln.pool(iso)
        last[rows] = pool[weighted(rng, ln.weight[pool], len(rows))]
    return first, last


def draw_persons(rng: np.random.Generator, n: int, lk: Lookups) -> tuple[np.ndarray, ...]:
    """(country, female, first, last, birth_day) of n people: who they are, before any record of them."""
    country = weighted(rng, np.array([c.weight for c in COUNTRIES]), n).astype(np.int8)
    female = rng.random(n) < 0.51
    first, last = _names(rng, country, female, lk)
    age_days = (rng.triangular(18, 34, 92, n) * 365.25).astype(np.int64)
    return country, female, first, last, (AS_OF_S // DAY_S - age_days).astype(np.int32)


def make_people(scale: Scale, seed: int, lk: Lookups, needs_second_email: np.ndarray | None = None) -> People:
    """Draw `scale.people` people, reproducibly from the seed.

    `needs_second_email` marks people who get a second address for sure (their duplicate record
    uses it).
    """
    n = scale.people
    rng = stream(seed, "people")
    country, female, first, last, birth_day = draw_persons(rng, n, lk)
    birth_year = 1970 + birth_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)

    first_slug = take(strings([slug(s) for s in lk.first_names.name]), first)
    last_slug = take(strings([slug(s) for s in lk.last_names.name]), last)
    has_alt = rng.random(n) < SECOND_EMAIL_SHARE
    if needs_second_email is not None:
        has_alt |= needs_second_email
    emails = make_emails(stream(seed, "emails"), first_slug, last_slug, birth_year, country, has_alt, lk)
    phone = make_phones(stream(seed, "phones"), country)

    recent = rng.random(n) < 0.25  # a quarter first seen during the two-year history
    old_seen = FIRST_SEEN_FLOOR_S + rng.random(n) * (HISTORY_START_S - FIRST_SEEN_FLOOR_S)
    new_seen = HISTORY_START_S + rng.random(n) * (AS_OF_S - 30 * DAY_S - HISTORY_START_S)
    first_seen = np.where(recent, new_seen, old_seen).astype(np.int64)

    return People(
        n=n,
        country=country,
        female=female,
        first=first,
        last=last,
        birth_day=birth_day,
        home=make_addresses(stream(seed, "home-addresses"), country, lk),
        previous=make_addresses(stream(seed, "previous-addresses"), country, lk),
        emails=emails,
        phone=phone,
        first_seen_s=first_seen,
    )
