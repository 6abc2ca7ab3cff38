"""`insights customer --search`: customers ranked by how well a name, email, phone or postcode fits.

Each field is scored with rapidfuzz over the whole column at once (process.cdist): names with
WRatio (word order and a missing or swapped letter forgiven), emails, phones and postcodes
with a plain ratio on their canonical spelling (a phone's digits, a postcode without spaces),
so "gmail" does not match every Gmail user. A customer's score is its best field's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
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


def _canonical(field: str, values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The field's canonical spelling, for the column and the query alike (names: cdist's default_process)."""
    if field == "email":
        return pc.utf8_lower(pc.utf8_trim_whitespace(values))
    if field == "phone":
        return pc.replace_substring_regex(values, r"\D", "")
    if field == "postcode":
        return pc.utf8_upper(pc.replace_substring_regex(values, r"\s+", ""))
    return values


def _column(table: pa.Table, columns: list[str], field: str) -> list[str] | None:
    """One searchable string per customer: the name parts joined, else the first value present."""
    parts = [table[c] for c in columns if c in table.column_names]
    if not parts:
        return None
    if field == "name":
        value = pc.utf8_trim_whitespace(pc.binary_join_element_wise(*[pc.fill_null(p, "") for p in parts], " "))
    else:
        value = pc.coalesce(*parts)
    return pc.fill_null(_canonical(field, value), "").to_pylist()


def _query(field: str, text: str, region: str) -> str:
    """The search text spelt as the field's column is (a phone read as silver reads it first)."""
    typed = (e164(text, region) or text) if field == "phone" else text
    return _canonical(field, pa.array([typed])).to_pylist()[0]


SCORER = {"name": fuzz.WRatio, "email": fuzz.ratio, "phone": fuzz.ratio, "postcode": fuzz.ratio}
PROCESSOR = {"name": utils.default_process}  # lower case, punctuation to spaces, trimmed


def search(table: ds.Dataset, columns: SearchColumns, text: str, region: str, top: int = TOP,
           fields: tuple[str, ...] = FIELDS) -> list[Hit]:
    """The best `top` customers for the text (score >= CUTOFF) on the fields given, best first, ties by customer_id."""
    present = [c for c in columns.all() if c in table.schema.names]
    rows = table.to_table(columns=[CUSTOMER_ID, *present])
    ids = rows[CUSTOMER_ID].to_pylist()
    best, matched = np.zeros(len(ids)), np.full(len(ids), "", dtype=object)
    for field in fields:
        values, query = _column(rows, getattr(columns, field), field), _query(field, text, region)
        if values is None or len(query) < 2:
            continue
        scores = process.cdist([query], values, scorer=SCORER[field], processor=PROCESSOR.get(field), workers=1)[0]
        better = scores > best
        best, matched = np.where(better, scores, best), np.where(better, field, matched)
    order = sorted(np.flatnonzero(best >= CUTOFF), key=lambda i: (-best[i], ids[i]))[:top]
    found = rows.take(order).to_pylist() if order else []
    return [_hit(row, columns, float(best[i]), str(matched[i])) for row, i in zip(found, order, strict=True)]


def _hit(row: dict, columns: SearchColumns, score: float, matched: str) -> Hit:
    def first(names: list[str]) -> str | None:
        return next((row[c] for c in names if row.get(c)), None)

    name = " ".join(row[c] for c in columns.name if row.get(c))
    return Hit(row[CUSTOMER_ID], round(score, 1), matched, name, first(columns.email), first(columns.phone),
               first(columns.postcode))


def hits_of(table: ds.Dataset, columns: SearchColumns, customer_ids: list[str], matched: str) -> list[Hit]:
    """Exact matches (several customers share an email or phone) shown like search results."""
    present = [c for c in columns.all() if c in table.schema.names]
    rows = table.to_table(columns=[CUSTOMER_ID, *present], filter=pc.field(CUSTOMER_ID).isin(customer_ids))
    return [_hit(row, columns, 100.0, matched) for row in sorted(rows.to_pylist(), key=lambda r: r[CUSTOMER_ID])]
