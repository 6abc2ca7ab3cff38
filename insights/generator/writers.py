"""Render Arrow columns as CSV / JSON lines and write part files byte-for-byte reproducibly."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from insights.generator.text import cat

NEEDS_QUOTES = r'[",\r\n]'


def part_name(stem: str, part: int, ext: str) -> str:
    """contacts_0001.csv: parts are numbered from 1."""
    return f"{stem}_{part:04d}.{ext}"


# ---------------------------------------------------------------- CSV


def csv_field(values: pa.Array) -> pa.Array:
    """RFC 4180 field text: quoted (quotes doubled) only when needed; null becomes empty."""
    values = values.cast(pa.string())
    quoted = cat('"', pc.replace_substring(values, '"', '""'), '"')
    needs = pc.fill_null(pc.match_substring_regex(values, NEEDS_QUOTES), False)
    return pc.fill_null(pc.if_else(needs, quoted, values), "")


def csv_lines(fields: Sequence[pa.Array]) -> pa.Array:
    """One CSV line (without newline) per row from already rendered field texts."""
    return pc.binary_join_element_wise(*fields, ",")


def csv_header(columns: Sequence[str]) -> str:
    return ",".join(columns)


# ---------------------------------------------------------------- JSON


def json_string(values: pa.Array) -> pa.Array:
    """A JSON string literal per row (backslash and quote escaped), or null."""
    values = values.cast(pa.string())
    escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    return pc.fill_null(cat('"', escaped, '"'), "null")


def json_raw(values: pa.Array) -> pa.Array:
    """Already valid JSON text (numbers rendered as text); null becomes JSON null."""
    return pc.fill_null(values.cast(pa.string()), "null")


def json_members(members: Sequence[tuple[str, pa.Array]]) -> list[pa.Array]:
    """'"k": v' texts per row, one array per member (kept apart so bad rows can be cut)."""
    return [cat(f'"{name}": ', value) for name, value in members]


def json_line(members: Sequence[pa.Array]) -> pa.Array:
    """'{...}' per row from rendered members."""
    body = pc.binary_join_element_wise(*members, ", ") if len(members) > 1 else members[0]
    return cat("{", body, "}")


def json_object(members: Sequence[tuple[str, pa.Array]]) -> pa.Array:
    """'{"k": v, ...}' per row from rendered JSON values (json_string / json_raw / json_object)."""
    return json_line(json_members(members))


# ---------------------------------------------------------------- files


def merge(good: pa.Array, bad: pa.Array, bad_positions: np.ndarray) -> pa.Array:
    """Good and bad lines interleaved: bad lines land at bad_positions of the merged output."""
    n = len(good) + len(bad)
    index = np.empty(n, dtype=np.int64)
    is_bad = np.zeros(n, dtype=bool)
    is_bad[bad_positions] = True
    index[~is_bad] = np.arange(len(good))
    index[bad_positions] = len(good) + np.arange(len(bad))
    both = pa.concat_arrays([good.cast(pa.string()), bad.cast(pa.string())])
    return both.take(pa.array(index))


def write_lines(path: Path, lines: pa.Array, header: str | None = None) -> None:
    """Write one line per element (no nulls) with '\\n' endings, straight from Arrow buffers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        if header is not None:
            f.write(header.encode() + b"\n")
        if len(lines) == 0:
            return
        if lines.null_count:
            raise ValueError(f"null line in {path}")
        big = pa.large_string()
        arr = pc.binary_join_element_wise(lines.cast(big), pa.scalar("\n", big), pa.scalar("", big))
        _, offsets_buf, data_buf = arr.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
        f.write(memoryview(data_buf)[int(offsets[0]) : int(offsets[-1])])


def write_parquet(path: Path, table: pa.Table) -> None:
    """Parquet with fixed settings so the bytes only depend on the data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="snappy", row_group_size=1 << 20)
