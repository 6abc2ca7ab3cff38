"""Whether a table can hold anyone of a forget batch, read with delta-rs: its key columns only, no Spark job.

forget's erase runs a MERGE only where this finds someone, or cannot tell: most tables hold
nobody of a batch, and a MERGE that matches nothing still costs Spark a plan and a scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import reduce

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from jobs.delta_rs import open_delta

_PLAIN = re.compile(r"[A-Za-z0-9_-]+(\|[A-Za-z0-9_-]+)*")  # a key that any JSON or CSV spelling of it contains


def has_rows(path: str) -> bool:
    """Whether the table's current version has a data file (no table: no rows)."""
    table = open_delta(path)
    return table is not None and bool(table.file_uris())


def holds_any(path: str, keys: Iterable[str], values: Iterable[str]) -> bool | None:
    """Whether a key column holds one of the values (exact text, as the MERGE's equality join).

    None when it cannot tell: a key column of nested type, which the erase searches as JSON text.
    Key columns of other types hold no text and are not searched, here or by the erase.
    """
    table = open_delta(path)
    if table is None:
        return False
    dataset = table.to_pyarrow_dataset()
    fields = [f for f in dataset.schema if f.name in set(keys)]
    if any(pa.types.is_nested(f.type) for f in fields):
        return None
    text = [f.name for f in fields if _is_text(f.type)]
    wanted = pa.array(sorted(set(values)), pa.string())
    if not text or not len(wanted):
        return False
    condition = reduce(lambda a, b: a | b, [ds.field(name).isin(wanted) for name in text])
    return dataset.scanner(columns=text[:1], filter=condition).head(1).num_rows > 0


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def raw_may_hold(path: str, column: str, texts: Iterable[str], digits: Iterable[str], keys: Iterable[str]) -> bool:
    """Whether a raw-text row may hold a text (lower case), a phone's digits or a source key (quarantine).

    True unless no row can match the erase's condition (jobs.privacy.erase._erase_quarantine):
    a row with a character outside ASCII or a backslash (a JSON escape) may; otherwise a row
    matches only if its lower-cased text holds a text, its digits a phone's, or its text without
    quotes every '|'-part of a key. A key of other characters than letters, digits, '_' and '-'
    (which a JSON number may spell otherwise) cannot be ruled out: True.
    """
    keys = list(keys)
    if any(not _PLAIN.fullmatch(k) for k in keys):
        return True
    table = open_delta(path)
    if table is None:
        return False
    raw = table.to_pyarrow_dataset().to_table(columns=[column]).column(column)
    if not len(raw):
        return False
    lower, bare = pc.utf8_lower(raw), pc.replace_substring(raw, '"', "")
    numbers = pc.replace_substring_regex(raw, "[^0-9]", "")
    tests = [pc.match_substring_regex(raw, r"[^\x00-\x7f]|\\")]
    tests += [pc.match_substring(lower, text) for text in texts]
    tests += [pc.match_substring(numbers, d) for d in digits]
    tests += [reduce(pc.and_kleene, [pc.match_substring(bare, part) for part in key.split("|")]) for key in keys]
    return bool(pc.any(reduce(pc.or_kleene, tests)).as_py())
