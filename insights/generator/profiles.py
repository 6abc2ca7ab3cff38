"""The three customer sources (CRM, web shop, loyalty): who is where, and each record's variant.

A person is in some of the sources (at least one), sometimes twice in one, and each record drifts
from the truth in the ways real systems do (see variation.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from insights.generator.activity import Activity
from insights.generator.badrows import csv_wrong_field_count, required_empty
from insights.generator.catalog import Stores
from insights.generator.countries import COUNTRIES, GB
from insights.generator.lookups import Lookups
from insights.generator.people import People
from insights.generator.scales import AS_OF_S, DAY_S, PRESENCE, VARIATION, PresenceRates, Scale
from insights.generator.streams import stream, weighted
from insights.generator.text import cat, dates, keys, nullify, numbers, pick, strings, take, timestamps
from insights.generator.truth import Truth
from insights.generator.variation import (
    NameVocab,
    birth_dates,
    change_case,
    email_variants,
    name_vocab,
    phone_variants,
    postcode_variants,
    spellings,
)
from insights.generator.writers import (
    csv_field,
    csv_header,
    csv_lines,
    json_object,
    json_string,
    merge,
    part_name,
    write_lines,
    write_parquet,
)

CRM, WEB, LOYALTY = "crm_contacts", "webshop_accounts", "loyalty_members"
CUSTOMER_SOURCES = (CRM, WEB, LOYALTY)
KEY_FORMAT = {CRM: ("C", 7), WEB: ("W", 7), LOYALTY: ("L", 8)}
# mean days from first being seen to having a record in the source
SIGN_UP_LAG_DAYS = {CRM: 20.0, WEB: 150.0, LOYALTY: 250.0}
LOYALTY_TIERS = ("Bronze", "Silver", "Gold")
TIER_GIVEN_VALUE = np.array([[0.75, 0.20, 0.05], [0.35, 0.45, 0.20], [0.10, 0.35, 0.55]])
CRM_COLUMNS = ["contact_id", "FirstName", "LastName", "Email", "Phone", "BirthDate", "Street", "City",
               "PostCode", "Country", "CreatedAt"]


@dataclass(frozen=True)
class Presence:
    """Which customer sources each person is in, and in which one they have a second record."""

    present: dict[str, np.ndarray]
    second: dict[str, np.ndarray]

    @property
    def any_second(self) -> np.ndarray:
        return np.logical_or.reduce([self.second[s] for s in CUSTOMER_SOURCES])


def plan_presence(scale: Scale, seed: int, rates: PresenceRates = PRESENCE) -> Presence:
    """Independent membership per source, topped up so everyone is somewhere; ~3% duplicated."""
    rng = stream(seed, "presence")
    n = scale.people
    shares = np.array([rates.crm, rates.webshop, rates.loyalty])
    present = rng.random((len(CUSTOMER_SOURCES), n)) < shares[:, None]
    nowhere = np.flatnonzero(~present.any(axis=0))
    present[weighted(rng, shares, len(nowhere)), nowhere] = True
    dup = rng.random(n) < rates.duplicate_in_source
    # the duplicated source: a random one of the sources the person is in
    score = np.where(present, rng.random(present.shape), -1.0)
    which = score.argmax(axis=0)
    second = np.zeros_like(present)
    second[which[dup], np.flatnonzero(dup)] = True
    return Presence(
        present={s: present[i] for i, s in enumerate(CUSTOMER_SOURCES)},
        second={s: second[i] for i, s in enumerate(CUSTOMER_SOURCES)},
    )


@dataclass(frozen=True)
class SourceRecords:
    """One customer source's rows (good and bad) in key order."""

    person: np.ndarray  # person index per row (bad rows: the person whose data was copied)
    key: np.ndarray  # numeric part of the source key
    created_s: np.ndarray
    second: np.ndarray  # the person's second record in this source
    old_address: np.ndarray  # carries the address the person had before moving
    bad: np.ndarray  # deliberately broken row

    def good(self, values: np.ndarray) -> np.ndarray:
        return values[~self.bad]


@dataclass(frozen=True)
class Registry:
    """Per person and source: the key and creation time of their first and second record."""

    first_key: dict[str, np.ndarray]  # -1 when the person is not in the source
    first_created_s: dict[str, np.ndarray]
    second_key: dict[str, np.ndarray]
    second_created_s: dict[str, np.ndarray]
    home_store: np.ndarray  # store index per person (-1 when not a loyalty member)

    def key_text(self, source: str, key: np.ndarray) -> pa.Array:
        """Source keys as written in the files (null for -1)."""
        prefix, width = KEY_FORMAT[source]
        return nullify(keys(prefix, np.maximum(key, 0), width), key < 0)


def _plan_rows(rng: np.random.Generator, source: str, people: People, presence: Presence,
               n_bad: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(person, created, second, bad) per row, sorted by creation time (keys follow that order)."""
    first = np.flatnonzero(presence.present[source])
    second = np.flatnonzero(presence.second[source])
    lag = rng.exponential(SIGN_UP_LAG_DAYS[source] * DAY_S, people.n)
    created = np.minimum(people.first_seen_s + lag, AS_OF_S - DAY_S).astype(np.int64)
    later = created[second] + rng.uniform(60, 700, len(second)) * DAY_S
    second_created = np.minimum(later, AS_OF_S - 3600).astype(np.int64)
    bad_person = rng.integers(0, people.n, n_bad)
    bad_created = created[bad_person] + rng.integers(0, 30 * DAY_S, n_bad)
    person = np.concatenate([first, second, bad_person])
    made = np.concatenate([created[first], second_created, np.minimum(bad_created, AS_OF_S - 60)])
    is_second = np.concatenate([np.zeros(len(first), bool), np.ones(len(second), bool), np.zeros(n_bad, bool)])
    is_bad = np.concatenate([np.zeros(len(first) + len(second), bool), np.ones(n_bad, bool)])
    order = np.lexsort((rng.random(len(person)), made))
    return person[order], made[order], is_second[order], is_bad[order]


def plan_records(scale: Scale, seed: int, people: People, presence: Presence) -> dict[str, SourceRecords]:
    """Rows of every customer source; moved people keep their old address in their oldest record."""
    planned = {}
    for source in CUSTOMER_SOURCES:
        rng = stream(seed, f"{source}/rows")
        n_expected = presence.present[source].sum()
        n_bad = scale.bad_rows(n_expected) if source in (CRM, WEB) else 0
        planned[source] = _plan_rows(rng, source, people, presence, n_bad)

    # moved people: among those with 2+ good records, the oldest record has the old address
    person = np.concatenate([p[~b] for p, _, _, b in planned.values()])
    created = np.concatenate([c[~b] for _, c, _, b in planned.values()])
    counts = np.bincount(person, minlength=people.n)
    rng = stream(seed, "moved")
    moved = (counts >= 2) & (rng.random(people.n) < PRESENCE.moved / max((counts >= 2).mean(), 1e-9))
    order = np.lexsort((created, person))
    oldest = np.zeros(len(person), dtype=bool)
    first_of_person = np.r_[True, person[order][1:] != person[order][:-1]]
    oldest[order[first_of_person]] = True
    oldest &= moved[person]

    out, offset = {}, 0
    for source, (p, c, s, b) in planned.items():
        old = np.zeros(len(p), dtype=bool)
        old[~b] = oldest[offset: offset + (~b).sum()]
        offset += (~b).sum()
        out[source] = SourceRecords(p, np.arange(1, len(p) + 1, dtype=np.int64), c, s, old, b)
    return out


def make_registry(seed: int, people: People, records: dict[str, SourceRecords], activity: Activity,
                  stores: Stores) -> Registry:
    """Index records by person so interactions can point at them; pick loyalty home stores."""
    fk, fc, sk, sc = {}, {}, {}, {}
    for source, r in records.items():
        first_key = np.full(people.n, -1, dtype=np.int64)
        first_created = np.full(people.n, -1, dtype=np.int64)
        second_key = np.full(people.n, -1, dtype=np.int64)
        second_created = np.full(people.n, -1, dtype=np.int64)
        good = ~r.bad
        one = good & ~r.second
        two = good & r.second
        first_key[r.person[one]] = r.key[one]
        first_created[r.person[one]] = r.created_s[one]
        second_key[r.person[two]] = r.key[two]
        second_created[r.person[two]] = r.created_s[two]
        fk[source], fc[source], sk[source], sc[source] = first_key, first_created, second_key, second_created
    rng = stream(seed, "home-stores")
    home = np.full(people.n, -1, dtype=np.int64)
    members = np.flatnonzero(fk[LOYALTY] >= 0)
    for ci in range(len(COUNTRIES)):
        rows = members[people.country[members] == ci]
        pool = stores.in_country(ci)
        if len(pool) == 0:
            pool = stores.in_country(GB)
        home[rows] = pool[weighted(rng, stores.traffic[pool], len(rows))]
    return Registry(fk, fc, sk, sc, home)


# ------------------------------------------------------------------ record fields


@dataclass(frozen=True)
class Fields:
    """A person's attributes as one record holds them (after variation)."""

    first: pa.Array
    last: pa.Array
    email: pa.Array
    phone: pa.Array
    birth_day: np.ndarray
    birth_missing: np.ndarray
    street: pa.Array
    city: pa.Array
    postcode: pa.Array
    country: np.ndarray


@dataclass(frozen=True)
class Vocabularies:
    """Spelling tables for first and last names (typos and nicknames by index)."""

    first: NameVocab
    last: NameVocab


def make_vocabularies(seed: int, lk: Lookups) -> Vocabularies:
    rng = stream(seed, "typos")
    return Vocabularies(
        first=name_vocab(lk.first_names.name, lk.first_names.nicknames, rng),
        last=name_vocab(lk.last_names.name, None, rng),
    )


def record_fields(rng: np.random.Generator, people: People, vocab: Vocabularies, rows: SourceRecords,
                  lk: Lookups, email_missing: float) -> Fields:
    """Names, contacts, birth date and address of each row, drifted like real records do."""
    p = rows.person
    n = len(p)
    v = VARIATION
    first = take(vocab.first.values, vocab.first.variants(rng, people.first[p], v.nickname, v.typo))
    last = take(vocab.last.values, vocab.last.variants(rng, people.last[p], 0.0, v.typo))
    swap = rng.random(n) < v.swapped_names
    first, last = pick(swap, last, first), pick(swap, first, last)

    e = people.emails
    has_alt = pc.is_valid(take(e.alt_local, p)).to_numpy(zero_copy_only=False)
    use_alt = has_alt & (rows.second | (rng.random(n) < v.other_email))
    local = pick(use_alt, take(e.alt_local, p), take(e.local, p))
    domain = pick(use_alt, take(e.alt_domain, p), take(e.domain, p))
    email = nullify(email_variants(rng, local, domain), rng.random(n) < email_missing)

    phone = nullify(phone_variants(rng, take(people.phone, p), people.country[p]), rng.random(n) < v.missing_phone)
    birth_day, birth_missing = birth_dates(rng, people.birth_day[p])

    old = rows.old_address
    street = pick(old, take(people.previous.street, p), take(people.home.street, p))
    city = pick(old, take(people.previous.city(lk), p), take(people.home.city(lk), p))
    postcode = pick(old, take(people.previous.postcode, p), take(people.home.postcode, p))
    return Fields(first, last, email, phone, birth_day, birth_missing, street, city,
                  postcode_variants(rng, postcode), people.country[p])


# ------------------------------------------------------------------ writers per source


def _parts(n: int, part_rows: int) -> list[tuple[int, int]]:
    k = max(1, -(-n // part_rows))
    bounds = np.linspace(0, n, k + 1).astype(np.int64)
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _write_text_parts(out: Path, folder: str, stem: str, ext: str, lines: pa.Array, header: str | None,
                      part_rows: int) -> list[tuple[str, int, int]]:
    """Split lines into part files; returns (relative file, start row, stop row) per part."""
    files = []
    for i, (a, b) in enumerate(_parts(len(lines), part_rows), start=1):
        rel = f"{folder}/{part_name(stem, i, ext)}"
        write_lines(out / rel, lines.slice(a, b - a), header)
        files.append((rel, a, b))
    return files


def _record_bad_rows(truth: Truth, source: str, files: list[tuple[str, int, int]], rows: SourceRecords,
                     key_text: pa.Array, problems: pa.Array) -> None:
    bad_at = np.flatnonzero(rows.bad)
    for rel, a, b in files:
        inside = (bad_at >= a) & (bad_at < b)
        truth.bad(source, rel, take(key_text, bad_at[inside]), take(problems, np.flatnonzero(inside)))


def write_crm(out: Path, rng: np.random.Generator, rows: SourceRecords, f: Fields, scale: Scale,
              truth: Truth) -> int:
    """crm/contacts/contacts_NNNN.csv (BirthDate dd/MM/yyyy, country names with variation)."""
    key_text = keys("C", rows.key, 7)
    last = change_case(rng, f.last, upper=0.05)
    birth = nullify(dates(f.birth_day, "%d/%m/%Y"), f.birth_missing)
    fields = [key_text, f.first, last, f.email, f.phone, birth, f.street, f.city, f.postcode,
              spellings(rng, f.country), timestamps(rows.created_s, "%Y-%m-%d %H:%M:%S")]
    rendered = [csv_field(x) for x in fields]
    lines = csv_lines(rendered)
    bad_at = np.flatnonzero(rows.bad)
    bad_fields = [take(x, bad_at) for x in rendered]
    bad_text = cat("Unit ", numbers(rng.integers(1, 30, len(bad_at))), ", ", take(f.street, bad_at))
    bad_lines, problems = csv_wrong_field_count(rng, bad_fields, CRM_COLUMNS.index("Street"), bad_text)
    good_lines = take(lines, np.flatnonzero(~rows.bad))
    lines = merge(good_lines, bad_lines, bad_at)
    files = _write_text_parts(out, "crm/contacts", "contacts", "csv", lines, csv_header(CRM_COLUMNS),
                              scale.part_rows)
    _record_bad_rows(truth, CRM, files, rows, key_text, problems)
    return int((~rows.bad).sum())


def write_webshop(out: Path, rng: np.random.Generator, rows: SourceRecords, f: Fields, scale: Scale,
                  truth: Truth) -> int:
    """webshop/accounts/accounts_NNNN.jsonl (nested name and address, ISO2 country)."""
    key_text = keys("W", rows.key, 7)
    lower = rng.random(len(rows.key)) < 0.06  # typed in lower case at sign-up
    first = pick(lower, pc.utf8_lower(f.first), f.first)
    last = pick(lower, pc.utf8_lower(f.last), f.last)
    iso2 = take(strings([c.iso2 for c in COUNTRIES]), f.country)
    iso2 = change_case(rng, iso2, lower=0.15)
    email = pick(rows.bad, pa.scalar("", pa.string()), f.email)  # bad rows: required email empty
    line = json_object([
        ("account_id", json_string(key_text)),
        ("name", json_object([("first", json_string(first)), ("last", json_string(last))])),
        ("email", json_string(email)),
        ("phone", json_string(f.phone)),
        ("address", json_object([
            ("street", json_string(f.street)), ("city", json_string(f.city)),
            ("zip", json_string(f.postcode)), ("country_code", json_string(iso2)),
        ])),
        ("created_at", json_string(timestamps(rows.created_s, "%Y-%m-%dT%H:%M:%SZ"))),
    ])
    files = _write_text_parts(out, "webshop/accounts", "accounts", "jsonl", line, None, scale.part_rows)
    n_bad = int(rows.bad.sum())
    _record_bad_rows(truth, WEB, files, rows, key_text, required_empty(n_bad, "email"))
    return int((~rows.bad).sum())


def write_loyalty(out: Path, rng: np.random.Generator, rows: SourceRecords, f: Fields, scale: Scale,
                  activity: Activity, registry: Registry, stores: Stores) -> int:
    """loyalty/members/members_NNNN.parquet (dob date32, ISO3 country, tier, home store)."""
    n = len(rows.key)
    shout = rng.random(n) < 0.25  # the card system stores some names in capitals
    u = rng.random(n)
    cdf = np.cumsum(TIER_GIVEN_VALUE, axis=1)[activity.tier[rows.person]]
    tier = (u[:, None] > cdf).sum(axis=1).clip(0, 2)
    store_codes = strings(stores.code)
    table = pa.table({
        "member_no": keys("L", rows.key, 8),
        "first_name": pick(shout, pc.utf8_upper(f.first), f.first),
        "surname": pick(shout, pc.utf8_upper(f.last), f.last),
        "email": f.email,
        "mobile": f.phone,
        "dob": nullify(pa.array(f.birth_day, pa.date32()), f.birth_missing),
        "postcode": f.postcode,
        "country": take(strings([c.iso3 for c in COUNTRIES]), f.country),
        "tier": take(strings(LOYALTY_TIERS), tier),
        "home_store": take(store_codes, registry.home_store[rows.person]),
        "joined_at": pa.array(rows.created_s * 1_000_000, pa.timestamp("us", tz="UTC")),
    })
    for i, (a, b) in enumerate(_parts(n, scale.part_rows), start=1):
        write_parquet(out / "loyalty/members" / part_name("members", i, "parquet"), table.slice(a, b - a))
    return n


def write_profiles(out: Path, seed: int, scale: Scale, people: People, records: dict[str, SourceRecords],
                   activity: Activity, registry: Registry, stores: Stores, lk: Lookups, truth: Truth,
                   progress: Callable[[str], None]) -> None:
    """Render and write the three customer sources and their ground-truth records."""
    vocab = make_vocabularies(seed, lk)
    for source in CUSTOMER_SOURCES:
        rows = records[source]
        rng = stream(seed, f"{source}/fields")
        email_missing = 0.0 if source == WEB else VARIATION.missing_email  # the web shop login
        fields = record_fields(rng, people, vocab, rows, lk, email_missing)
        if source == CRM:
            good = write_crm(out, rng, rows, fields, scale, truth)
        elif source == WEB:
            good = write_webshop(out, rng, rows, fields, scale, truth)
        else:
            good = write_loyalty(out, rng, rows, fields, scale, activity, registry, stores)
        keep = ~rows.bad
        truth.records(source, registry.key_text(source, rows.key[keep]), people.ids(rows.person[keep]))
        truth.count(source, good)
        progress(f"{source}: {good:,} rows")
