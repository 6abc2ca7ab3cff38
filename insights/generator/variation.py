"""How one person's records drift apart across systems: typos, nicknames, formats, gaps.

Typos and nicknames are precomputed per name (small tables), so records pick variants by index
instead of editing strings row by row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from insights.generator.countries import COUNTRIES, GB
from insights.generator.scales import VARIATION, VariationRates
from insights.generator.streams import weighted
from insights.generator.text import cat, pick, render_template, scatter, strings, take

TYPOS_PER_NAME = 4
KEYBOARD = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "ol", "a": "qsz", "s": "adw", "d": "sfe", "f": "dgr", "g": "fht", "h": "gjy",
    "j": "hku", "k": "jli", "l": "ko", "z": "xa", "x": "zc", "c": "xv", "v": "cb", "b": "vn",
    "n": "bm", "m": "n",
}


def typo(name: str, rng: np.random.Generator) -> str:
    """One realistic edit: swap two neighbours, drop, double or mistype a letter (not the first)."""
    if len(name) < 3:
        return name + name[-1]
    for _ in range(10):
        i = int(rng.integers(1, len(name)))
        op = int(rng.integers(0, 4))
        if op == 0 and i < len(name) - 1 and name[i] != name[i + 1]:
            out = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        elif op == 1:
            out = name[:i] + name[i + 1 :]
        elif op == 2:
            out = name[:i] + name[i] + name[i:]
        else:
            near = KEYBOARD.get(name[i].lower())
            if not near:
                continue
            c = near[int(rng.integers(0, len(near)))]
            out = name[:i] + (c.upper() if name[i].isupper() else c) + name[i + 1 :]
        if out != name and out.strip() == out and "  " not in out:
            return out
    return name[:-1]


@dataclass(frozen=True)
class NameVocab:
    """All spellings a name field can take: canonical, nicknames, typos (one array, index math)."""

    values: pa.Array
    n_canonical: int
    nick_start: np.ndarray  # per canonical name: first nickname slot (absolute index)
    nick_count: np.ndarray
    typo_start: int

    def variants(self, rng: np.random.Generator, canonical: np.ndarray, nickname: float, typo: float) -> np.ndarray:
        """Per record: index of the spelling used (nickname or typo with the given rates)."""
        n = len(canonical)
        out = canonical.astype(np.int64).copy()
        u = rng.random(n)
        has_nick = self.nick_count[canonical] > 0
        nick = has_nick & (u < nickname)
        k = (rng.random(n) * np.maximum(self.nick_count[canonical], 1)).astype(np.int64)
        out[nick] = self.nick_start[canonical[nick]] + k[nick]
        typoed = ~nick & (rng.random(n) < typo)
        out[typoed] = self.typo_start + canonical[typoed] * TYPOS_PER_NAME + rng.integers(
            0, TYPOS_PER_NAME, typoed.sum())
        return out


def name_vocab(names: tuple[str, ...], nicknames: tuple[tuple[str, ...], ...] | None,
               rng: np.random.Generator) -> NameVocab:
    """Build the spelling table for a name list."""
    nick_flat: list[str] = []
    nick_start = np.zeros(len(names), dtype=np.int64)
    nick_count = np.zeros(len(names), dtype=np.int64)
    for i, nicks in enumerate(nicknames or ()):
        nick_start[i] = len(names) + len(nick_flat)
        nick_count[i] = len(nicks)
        nick_flat.extend(nicks)
    typos = [typo(name, rng) for name in names for _ in range(TYPOS_PER_NAME)]
    return NameVocab(
        values=strings([*names, *nick_flat, *typos]),
        n_canonical=len(names),
        nick_start=nick_start,
        nick_count=nick_count,
        typo_start=len(names) + len(nick_flat),
    )


def change_case(rng: np.random.Generator, values: pa.Array, upper: float = 0.0, lower: float = 0.0) -> pa.Array:
    """SMITH / smith for some records, as typed or exported by different systems."""
    u = rng.random(len(values))
    out = pick(u < upper, pc.utf8_upper(values), values)
    return pick((u >= upper) & (u < upper + lower), pc.utf8_lower(values), out)


def email_variants(
    rng: np.random.Generator, local: pa.Array, domain: pa.Array, rates: VariationRates = VARIATION
) -> pa.Array:
    """The same mailbox written differently: gmail dots and +tags, case, stray spaces."""
    n = len(local)
    gmail = pc.fill_null(pc.is_in(domain, value_set=strings(["gmail.com", "googlemail.com"])), False)
    gmail = gmail.to_numpy(zero_copy_only=False)
    u = rng.random(n)
    local = pick(gmail & (u < rates.gmail_no_dots), pc.replace_substring(local, ".", ""), local)
    tags = take(strings(["+shop", "+news", "+retail", "+promo", "+orders"]), rng.integers(0, 5, n))
    local = pick(gmail & (u >= 0.9) & (u < 0.9 + rates.gmail_tag), cat(local, tags), local)
    swap = gmail & (rng.random(n) < rates.googlemail_alias)
    domain = pick(swap, pc.if_else(pc.equal(domain, "gmail.com"), "googlemail.com", "gmail.com"), domain)
    email = cat(local, "@", domain)
    v = rng.random(n)
    email = pick(v < rates.email_upper, pc.utf8_upper(email), email)
    cap = (v >= rates.email_upper) & (v < rates.email_upper + rates.email_capitalised)
    email = pick(cap, pc.utf8_capitalize(email), email)
    w = rng.random(n)
    kind = rng.integers(0, 3, n)  # leading, trailing or both
    lead = pick(kind != 1, " ", "")
    trail = pick(kind != 0, " ", "")
    email = pick(w < rates.email_spaces, cat(lead, email, trail), email)
    return email


def phone_variants(rng: np.random.Generator, nsn: pa.Array, country: np.ndarray,
                   international_bias: float = 3.0) -> pa.Array:
    """Numbers as people type them: '+44 7700 900123', '07700 900123', '(07700) 900123', ...

    People outside the UK mostly write the international form (national forms of foreign
    numbers would be misread with the workspace's default region GB).
    """
    n = len(nsn)
    pieces: list[tuple[np.ndarray, pa.Array]] = []
    for ci, spec in enumerate(COUNTRIES):
        rows = np.flatnonzero(country == ci)
        if len(rows) == 0:
            continue
        formats = spec.phone.formats
        weights = np.array([f.weight * (international_bias if f.international and ci != GB else 1.0)
                            for f in formats])
        which = weighted(rng, weights, len(rows))
        digits = take(nsn, rows)
        for fi, fmt in enumerate(formats):
            sel = np.flatnonzero(which == fi)
            if len(sel):
                pieces.append((rows[sel], render_template(fmt.template, take(digits, sel))))
    return scatter(n, pieces)


def e164(nsn: pa.Array, country: np.ndarray) -> pa.Array:
    """+<calling code><national significant number>."""
    codes = strings([f"+{phonenumbers.country_code_for_region(c.iso2)}" for c in COUNTRIES])
    return cat(take(codes, country), nsn)


def postcode_variants(rng: np.random.Generator, postcode: pa.Array, rates: VariationRates = VARIATION) -> pa.Array:
    """'M14 5AB' typed as 'M145AB' or 'm14 5ab'."""
    n = len(postcode)
    u = rng.random(n)
    out = pick(u < rates.postcode_no_space, pc.replace_substring(postcode, " ", ""), postcode)
    return pick((u >= 0.5) & (u < 0.5 + rates.postcode_lower), pc.utf8_lower(out), out)


def year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calendar year, month (1-12) and day (1-31) of days since 1970-01-01: the parts a typist changes."""
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    years = d.astype("datetime64[Y]")
    return (years.astype(np.int64) + 1970, (months - years.astype("datetime64[M]")).astype(np.int64) + 1,
            (d - months).astype(np.int64) + 1)


def birth_dates(rng: np.random.Generator, days: np.ndarray, rates: VariationRates = VARIATION) -> tuple[np.ndarray, np.ndarray]:
    """Birth days per record with the day and month swapped now and then; plus a missing mask."""
    _, month, day = year_month_day(days)
    year = days.astype("datetime64[D]").astype("datetime64[Y]")
    swap = (rng.random(len(days)) < rates.day_month_swap) & (day <= 12) & (day != month)
    swapped = (year.astype("datetime64[M]") + (day - 1)).astype("datetime64[D]") + (month - 1)
    out = np.where(swap, swapped.astype(np.int64), days.astype(np.int64)).astype(np.int32)
    missing = rng.random(len(days)) < rates.missing_birth_date
    return out, missing


def spellings(rng: np.random.Generator, country: np.ndarray) -> pa.Array:
    """How a CRM user typed the country: 'United Kingdom', 'UK', 'Great Britain', 'GB', ..."""
    n = len(country)
    pieces = []
    for ci, spec in enumerate(COUNTRIES):
        rows = np.flatnonzero(country == ci)
        if len(rows):
            names = strings([s for s, _ in spec.spellings])
            w = np.array([w for _, w in spec.spellings], dtype=float)
            pieces.append((rows, take(names, weighted(rng, w, len(rows)))))
    return scatter(n, pieces)
