"""Keep forgotten people out of bronze when a source re-sends their rows.

A row is suppressed when its record, a record it links to, or its email or phone (as silver
would hold them: jobs/conform.py) hashes to an identifier of someone forgotten
(meta/forget_requests). Suppressed rows are dropped, not quarantined: quarantine would keep
the very data that was erased.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from jobs.conform import Conformed
from jobs.privacy.identifiers import EMAIL, PHONE, RECORD, hash_column
from schemas.model import Model

CONTACT_KINDS = {"email": EMAIL, "phone": PHONE}


def suppressed(row: Conformed, model: Model, type_name: str, hashes: list[str]) -> Column:
    """True for a bronze-shaped row that belongs to a forgotten person."""
    if not hashes:
        return F.lit(False)
    marks = [hash_column(RECORD, row.record_id)]
    marks += [hash_column(RECORD, target) for target in row.links.values()]
    attributes = model.attributes_of(type_name)
    for attr in row.mapped:
        kind = CONTACT_KINDS.get(attributes[attr].normalize or "")
        if kind is not None:
            marks.append(hash_column(kind, row.attributes[attr]))
    return reduce(lambda a, b: a | b, [F.coalesce(m.isin(hashes), F.lit(False)) for m in marks])
