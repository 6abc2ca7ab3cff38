"""A person data set unlike FEBRL: every duplicate carries an error in a name or the birth date.

    from insights.generator.noisy_people import write_noisy_people
    report = write_noisy_people(5_000, 42, Path("data"))

Two CSV sources for link-only matching (examples/noisy): noisy_a holds one record per person,
noisy_b one duplicate for a share of them, shuffled; _truth/records.csv says who is who. Every
duplicate has a typo in a name or a changed day, month or year of birth (or day and month
swapped), many have two; phones go missing or change and a share of people moved, so exact
agreement is rare, and no unique identifier (email, SSN) is shared. Same people and seed give
byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from insights.generator.addresses import make_addresses
from insights.generator.identifiers import make_phones
from insights.generator.lookups import lookups
from insights.generator.people import draw_persons
from insights.generator.streams import stream, weighted
from insights.generator.text import cat, dates, keys, nullify, pick, strings, take
from insights.generator.variation import TYPOS_PER_NAME, phone_variants, typo, year_month_day
from insights.generator.writers import csv_field, csv_header, csv_lines, write_lines

VERSION = "1.0.0"  # bump whenever the same people and seed would give other bytes
SOURCES = ("noisy_a", "noisy_b")
COLUMNS = ("rec_id", "first_name", "last_name", "birth_date", "street", "city", "postcode", "phone")
KINDS = ("first_name_typo", "last_name_typo", "day", "month", "year", "day_month_swap")
# people per scale of `insights generate --dataset noisy-people` (small: FEBRL4's 5,000 per file)
PEOPLE = {"tiny": 300, "small": 5_000, "medium": 50_000, "large": 500_000}


@dataclass(frozen=True)
class NoisyRates:
    """How the duplicates differ from the originals."""

    duplicate_share: float = 0.8  # people with a record in noisy_b; the rest have no match there
    errors: tuple[float, float, float] = (0.5, 0.4, 0.1)  # share of duplicates with one, two, three errors
    kind_weights: tuple[float, ...] = (0.25, 0.25, 0.15, 0.1, 0.15, 0.1)  # per KINDS entry
    max_year_shift: int = 10  # a changed year moves by 1 to this many years
    missing_phone: float = 0.3  # per record, in both sources
    new_phone: float = 0.15  # duplicates with another number
    moved: float = 0.2  # duplicates with another street, city and postcode
    street_typo: float = 0.1  # duplicates of people who did not move
    postcode_typo: float = 0.05
    missing_street: float = 0.03  # per record


RATES = NoisyRates()


@dataclass(frozen=True)
class NoisyReport:
    """What write_noisy_people wrote; `fingerprint` names the data in benchmark rows."""

    out: Path
    people: int
    seed: int
    records: dict[str, int]
    errors: dict[str, int]  # duplicates carrying each error kind
    two_or_more: int  # duplicates with at least two errors
    digest: str  # sha256 of the three CSV files, 16 hex digits
    seconds: float

    @property
    def fingerprint(self) -> str:
        return f"noisy_people {VERSION} people={self.people} seed={self.seed} sha256={self.digest}"


def write_noisy_people(people: int, seed: int, out: Path, rates: NoisyRates = RATES) -> NoisyReport:
    """noisy_a/noisy_a.csv, noisy_b/noisy_b.csv and _truth/{records.csv,manifest.json} under `out`."""
    if people < 1:
        raise ValueError(f"people must be >= 1, got {people}")
    started = time.perf_counter()
    out = Path(out)
    for folder in (*SOURCES, "_truth"):
        shutil.rmtree(out / folder, ignore_errors=True)
    lk = lookups()
    rng = stream(seed, "noisy-people")
    country, _, first, last, birth = draw_persons(rng, people, lk)
    home = make_addresses(stream(seed, "noisy-home"), country, lk)
    phones = make_phones(stream(seed, "noisy-phones"), np.concatenate([country, country]))  # unique: own, new

    dup = np.sort(stream(seed, "noisy-duplicates").permutation(people)[: round(rates.duplicate_share * people)])
    err = stream(seed, "noisy-errors")
    chosen = _choose_errors(err, birth[dup], rates)
    first_names, last_names = _with_typos(lk.first_names.name, seed, "first"), _with_typos(lk.last_names.name, seed, "last")
    a = {
        "first_name": take(first_names, first), "last_name": take(last_names, last), "birth_date": dates(birth, "%Y-%m-%d"),
        "street": home.street, "city": home.city(lk), "postcode": home.postcode, "phone": phones.slice(0, people),
    }
    b = {
        "first_name": take(first_names, _typoed(err, first[dup], len(lk.first_names.name), chosen[:, 0])),
        "last_name": take(last_names, _typoed(err, last[dup], len(lk.last_names.name), chosen[:, 1])),
        "birth_date": dates(_changed_birth(err, birth[dup], chosen, rates), "%Y-%m-%d"),
        **_other_fields(stream(seed, "noisy-other"), a, dup, country[dup], phones.slice(people), seed, lk, rates),
    }
    fmt = stream(seed, "noisy-formats")
    a["phone"] = nullify(phone_variants(fmt, a["phone"], country), fmt.random(people) < rates.missing_phone)
    a["street"] = nullify(a["street"], fmt.random(people) < rates.missing_street)
    order = stream(seed, "noisy-shuffle").permutation(len(dup))
    b = {name: column.take(pa.array(order)) for name, column in b.items()}
    a_ids, b_ids = keys("A", np.arange(1, people + 1), 7), keys("B", np.arange(1, len(dup) + 1), 7)
    person_ids = keys("P", np.arange(1, people + 1), 7)
    _write_csv(out / "noisy_a" / "noisy_a.csv", {"rec_id": a_ids, **a})
    _write_csv(out / "noisy_b" / "noisy_b.csv", {"rec_id": b_ids, **b})
    _write_csv(out / "_truth" / "records.csv", {
        "record_id": pa.concat_arrays([cat("noisy_a:", a_ids), cat("noisy_b:", b_ids)]),
        "person_id": pa.concat_arrays([person_ids, take(person_ids, dup[order])]),
    })
    digest = hashlib.sha256(b"".join((out / f).read_bytes() for f in (
        "noisy_a/noisy_a.csv", "noisy_b/noisy_b.csv", "_truth/records.csv"))).hexdigest()[:16]
    report = NoisyReport(out, people, seed, {"noisy_a": people, "noisy_b": len(dup)},
                         {k: int(n) for k, n in zip(KINDS, chosen.sum(axis=0), strict=True)},
                         int((chosen.sum(axis=1) >= 2).sum()), digest, round(time.perf_counter() - started, 3))
    manifest = {"generator": "noisy_people", "version": VERSION, "rates": asdict(rates)} | {
        k: v for k, v in asdict(report).items() if k not in ("out", "seconds")}
    (out / "_truth" / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return report


def _choose_errors(rng: np.random.Generator, birth: np.ndarray, rates: NoisyRates) -> np.ndarray:
    """Per duplicate, a bool per KINDS entry: one to three kinds drawn by weight without replacement."""
    n = len(birth)
    _, month, day = year_month_day(birth)
    weights = np.broadcast_to(np.array(rates.kind_weights), (n, len(KINDS))).copy()
    weights[:, KINDS.index("day_month_swap")] *= (day <= 12) & (day != month)  # a swap must change the date
    priority = np.where(weights > 0, rng.random((n, len(KINDS))) ** (1 / np.maximum(weights, 1e-12)), -1.0)
    count = 1 + weighted(rng, np.array(rates.errors), n)
    rank = np.argsort(np.argsort(-priority, axis=1, kind="stable"), axis=1, kind="stable")
    chosen = rank < count[:, None]
    swap = chosen[:, KINDS.index("day_month_swap")]
    chosen[swap, KINDS.index("day")] = chosen[swap, KINDS.index("month")] = False  # with a swap, no other day/month edit
    return chosen


def _with_typos(names: tuple[str, ...], seed: int, purpose: str) -> pa.Array:
    """The names, then TYPOS_PER_NAME typos of each that differ also after lower-casing and letters_only."""
    rng = stream(seed, f"noisy-typos-{purpose}")
    typos = []
    for name in names:
        for _ in range(TYPOS_PER_NAME):
            variant = typo(name, rng)
            for _ in range(10):
                if _letters(variant) != _letters(name):
                    break
                variant = typo(name, rng)
            typos.append(variant if _letters(variant) != _letters(name) else name + name[-1])
    return strings([*names, *typos])


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalpha())


def _typoed(rng: np.random.Generator, names: np.ndarray, vocabulary: int, mask: np.ndarray) -> np.ndarray:
    """Name indices into `_with_typos`' array: a random typo of the name where `mask` holds."""
    typo_index = vocabulary + names * TYPOS_PER_NAME + rng.integers(0, TYPOS_PER_NAME, len(names))
    return np.where(mask, typo_index, names)


def _changed_birth(rng: np.random.Generator, birth: np.ndarray, chosen: np.ndarray, rates: NoisyRates) -> np.ndarray:
    """Birth days with the chosen day, month, year and swap edits applied (always a valid, different date)."""
    year, month, day = year_month_day(birth)
    n = len(birth)
    swap = chosen[:, KINDS.index("day_month_swap")]
    day, month = np.where(swap, month, day), np.where(swap, day, month)
    new_day = (np.minimum(day, 28) - 1 + rng.integers(1, 28, n)) % 28 + 1  # another day of 1..28
    day = np.where(chosen[:, KINDS.index("day")], new_day, day)
    month = np.where(chosen[:, KINDS.index("month")], (month - 1 + rng.integers(1, 12, n)) % 12 + 1, month)
    shift = rng.integers(1, rates.max_year_shift + 1, n) * np.where(rng.random(n) < 0.5, -1, 1)
    year = np.where(chosen[:, KINDS.index("year")], year + shift, year)
    month_start = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)
    length = ((month_start + 1).astype("datetime64[D]") - month_start.astype("datetime64[D]")).astype(np.int64)
    return (month_start.astype("datetime64[D]") + (np.minimum(day, length) - 1)).astype(np.int32)


def _other_fields(rng: np.random.Generator, a: dict[str, pa.Array], dup: np.ndarray, country: np.ndarray,
                  new_phones: pa.Array, seed: int, lk, rates: NoisyRates) -> dict[str, pa.Array]:
    """Street, city, postcode and phone of the duplicates: moved, mistyped, changed or missing now and then."""
    n = len(dup)
    moved = rng.random(n) < rates.moved
    elsewhere = make_addresses(stream(seed, "noisy-moved"), country, lk)
    street = pick(moved, elsewhere.street, take(a["street"], dup))
    street = _mistype(rng, street, ~moved & (rng.random(n) < rates.street_typo))
    postcode = pick(moved, elsewhere.postcode, take(a["postcode"], dup))
    postcode = _mistype(rng, postcode, ~moved & (rng.random(n) < rates.postcode_typo))
    phone = pick(rng.random(n) < rates.new_phone, take(new_phones, dup), take(a["phone"], dup))
    return {
        "street": nullify(street, rng.random(n) < rates.missing_street),
        "city": pick(moved, elsewhere.city(lk), take(a["city"], dup)),
        "postcode": postcode,
        "phone": nullify(phone_variants(rng, phone, country), rng.random(n) < rates.missing_phone),
    }


def _mistype(rng: np.random.Generator, values: pa.Array, mask: np.ndarray) -> pa.Array:
    """One typo in each value where `mask` holds (few rows: plain Python)."""
    rows = np.flatnonzero(mask)
    edited = values.to_pylist()
    for i in rows:
        edited[i] = typo(edited[i], rng)
    return strings(edited)


def _write_csv(path: Path, columns: dict[str, pa.Array]) -> None:
    write_lines(path, csv_lines([csv_field(c) for c in columns.values()]), csv_header(list(columns)))
