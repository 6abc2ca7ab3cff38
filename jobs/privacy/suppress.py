"""Keep forgotten people out of bronze when a source re-sends their rows.

A row is suppressed when its record, a record it links to, or its normalised email or phone
hashes to an identifier of someone forgotten (meta/forget_requests). Suppressed rows are
dropped, not quarantined: quarantine would keep the very data that was erased.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from jobs.conform import mapped_columns, record_id
from jobs.normalize import normalizer
from jobs.privacy.identifiers import EMAIL, PHONE, RECORD, hash_column
from schemas.model import Model
from schemas.sources import Source


def suppressed(name: str, source: Source, model: Model, region: str, hashes: list[str]) -> Column:
    """True for a bronze-shaped row that belongs to a forgotten person."""
    if not hashes:
        return F.lit(False)
    marks = [hash_column(RECORD, record_id(name, source.key))]
    marks += [
        hash_column(RECORD, record_id(link.source, link.key_columns))
        for link in source.links.values()
        if link.source is not None
    ]
    attributes = model.attributes_of(source.target.name)
    for attr, (_, typed) in mapped_columns(source, model).items():
        kind = attributes[attr].normalize
        if kind in ("email", "phone"):
            value = normalizer(kind, region)(typed)
            marks.append(hash_column(EMAIL if kind == "email" else PHONE, value))
    hit = reduce(lambda a, b: a | b, [F.coalesce(m.isin(hashes), F.lit(False)) for m in marks])
    return hit
