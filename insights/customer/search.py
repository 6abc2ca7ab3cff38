"""`insights customer --search`: customers ranked by how well a name, email, phone or postcode fits.

Each field is scored with rapidfuzz over the whole column at once (process.cdist): names with
WRatio (word order and a missing or swapped letter forgiven), emails, phones and postcodes
with a plain ratio on their canonical spelling (a phone's digits, a postcode without spaces),
so "gmail" does not match every Gmail user. A customer's score is its best field's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc
import pyarrow.dataset as ds
from rapidfuzz import fuzz, process, utils

from schemas.formats import e164
from schemas.model import Model
from schemas.tables import CUSTOMER_ID

TOP = 10
CUTOFF = 75.0  # below this a candidate is noise (two unrelated short names score about 50)
FIELDS = ("name", "email", "phone", "postcode")


@dataclass(frozen=True)
class SearchColumns:
    """The golden-record columns searched, by field (name: the person's name parts, in order)."""

    name: list[str]
    email: list[str]
    phone: list[str]
    postcode: list[str]

    @classmethod
    def of(cls, model: Model) -> SearchColumns:
        """From the primary profile: personal name-normalised attributes, and the email, phone, postcode ones."""
        attributes = model.attributes_of(model.primary_profile)
        by_kind = {k: [n for n, a in attributes.items() if a.normalize == k] for k in ("email", "phone", "postcode")}
        names = [n for n, a in attributes.items() if a.normalize == "name" and a.pii]
        return cls(name=names, **by_kind)

    def all(self) -> list[str]:
        return [c for f in FIELDS for c in getattr(self, f)]


@dataclass(frozen=True)
class Hit:
    """One customer found, with the golden values shown to pick from and the field that matched best."""

    customer_id: str
    score: float
    matched: str
    name: str
    email: str | None
    phone: str | None
    postcode: str | None


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def _lower(text: str) -> str:
    return text.strip().lower()


def _query(field: str, text: str, region: str) -> str:
    """The search text in the field's canonical spelling."""
    if field == "phone":
        return _digits(e164(text, region) or text)
    return {"name": utils.default_process, "email": _lower, "postcode": _squeezed}[field](text)


PREPARE: dict[str, Callable[[str], str]] = {
    "name": utils.default_process, "email": _lower, "phone": _digits, "postcode": _squeezed,
}
SCORER = {"name": fuzz.WRatio, "email": fuzz.ratio, "phone": fuzz.ratio, "postcode": fuzz.ratio}


def _field_values(rows: dict[str, list], columns: list[str], field: str) -> list[str]:
    """One searchable string per customer (name parts joined; the first non-empty other value)."""
    parts = [rows[c] for c in columns if c in rows]
    if not parts:
        return []
    if field == "name":
        return [PREPARE[field](" ".join(p for p in values if p)) for values in zip(*parts, strict=True)]
    return [PREPARE[field](next((p for p in values if p), "")) for values in zip(*parts, strict=True)]


def search(table: ds.Dataset, columns: SearchColumns, text: str, region: str, top: int = TOP) -> list[Hit]:
    """The best `top` customers for the text (score >= CUTOFF), best first, ties by customer_id."""
    present = [c for c in columns.all() if c in table.schema.names]
    rows = table.to_table(columns=[CUSTOMER_ID, *present]).to_pydict()
    ids = rows[CUSTOMER_ID]
    best, matched = np.zeros(len(ids)), np.full(len(ids), "", dtype=object)
    for field in FIELDS:
        values, query = _field_values(rows, getattr(columns, field), field), _query(field, text, region)
        if not values or len(query) < 2:
            continue
        scores = process.cdist([query], values, scorer=SCORER[field], workers=1)[0]
        better = scores > best
        best, matched = np.where(better, scores, best), np.where(better, field, matched)
    order = sorted((i for i in range(len(ids)) if best[i] >= CUTOFF), key=lambda i: (-best[i], ids[i]))[:top]
    return [_hit(rows, columns, ids[i], float(best[i]), str(matched[i]), i) for i in order]


def _hit(rows: dict[str, list], columns: SearchColumns, customer_id: str, score: float, matched: str, i: int) -> Hit:
    def first(names: list[str]) -> str | None:
        return next((rows[c][i] for c in names if c in rows and rows[c][i]), None)

    name = " ".join(rows[c][i] for c in columns.name if c in rows and rows[c][i])
    return Hit(customer_id, round(score, 1), matched, name, first(columns.email), first(columns.phone),
               first(columns.postcode))


def hits_of(table: ds.Dataset, columns: SearchColumns, customer_ids: list[str], matched: str) -> list[Hit]:
    """Exact matches (several customers share an email or phone) shown like search results."""
    present = [c for c in columns.all() if c in table.schema.names]
    rows = table.to_table(columns=[CUSTOMER_ID, *present], filter=pc.field(CUSTOMER_ID).isin(customer_ids)).to_pydict()
    order = sorted(range(len(rows[CUSTOMER_ID])), key=lambda i: rows[CUSTOMER_ID][i])
    return [_hit(rows, columns, rows[CUSTOMER_ID][i], 100.0, matched, i) for i in order]
