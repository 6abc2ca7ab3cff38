"""Vectorised string building on Arrow arrays (no per-row Python), shared by every module."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Str = pa.Array | pa.Scalar | str


def strings(values: Sequence[str | None] | np.ndarray) -> pa.Array:
    """An Arrow string array from Python strings (small lookup tables)."""
    return pa.array(list(values), pa.string())


def cat(*parts: Str) -> pa.Array:
    """Element-wise concatenation; a null part makes the result null."""
    return pc.binary_join_element_wise(*parts, "")


def take(values: pa.Array, idx: np.ndarray) -> pa.Array:
    """values[idx] for a numpy index array."""
    return values.take(pa.array(idx, pa.int64()))


def pick(mask: np.ndarray, when_true: Str, when_false: Str) -> pa.Array:
    """Element-wise choice between two arrays (or scalars) by a numpy bool mask."""
    return pc.if_else(pa.array(mask, pa.bool_()), when_true, when_false)


def nullify(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """values with nulls where mask is true."""
    return pc.if_else(pa.array(mask, pa.bool_()), pa.scalar(None, values.type), values)


def scatter(n: int, pieces: Sequence[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """Assemble an array of n strings from (positions, values) pieces; uncovered rows are null."""
    positions = [p for p, _ in pieces]
    values = pa.concat_arrays([v.cast(pa.string()) for _, v in pieces] + [pa.nulls(1, pa.string())])
    inverse = np.full(n, len(values) - 1, dtype=np.int64)
    if positions:
        order = np.concatenate(positions)
        inverse[order] = np.arange(len(order), dtype=np.int64)
    return values.take(pa.array(inverse))


def numbers(values: np.ndarray) -> pa.Array:
    """Integers as decimal strings."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def keys(prefix: str, values: np.ndarray, width: int) -> pa.Array:
    """Identifiers like C0000123: prefix plus a zero-padded number."""
    return cat(prefix, pc.utf8_lpad(numbers(values), width, "0"))


def padded(values: np.ndarray, width: int) -> pa.Array:
    """Zero-padded integers."""
    return pc.utf8_lpad(numbers(values), width, "0")


def money(cents: np.ndarray) -> pa.Array:
    """Exact two-decimal text from integer cents (12.30, never 12.299999)."""
    cents = np.asarray(cents, dtype=np.int64)
    return cat(numbers(cents // 100), ".", padded(cents % 100, 2))


def timestamps(seconds: np.ndarray, fmt: str) -> pa.Array:
    """Epoch seconds rendered with a strftime pattern (UTC)."""
    return pc.strftime(pa.array(np.asarray(seconds, dtype=np.int64), pa.timestamp("s")), format=fmt)


def dates(days: np.ndarray, fmt: str) -> pa.Array:
    """Days since the epoch rendered with a strftime pattern."""
    return pc.strftime(pa.array(np.asarray(days, dtype=np.int32), pa.date32()), format=fmt)


def slice_chars(values: pa.Array, start: int, stop: int | None = None) -> pa.Array:
    """Code-point slice of every string."""
    return pc.utf8_slice_codeunits(values, start, 1 << 30 if stop is None else stop)


def render_template(template: str, digits: pa.Array) -> pa.Array:
    """Format digit strings by a template like '+44 {0:4} {4:}' (slices of the digits)."""
    parts: list[Str] = []
    rest = template
    while "{" in rest:
        literal, _, rest = rest.partition("{")
        spec, _, rest = rest.partition("}")
        if literal:
            parts.append(literal)
        start, _, stop = spec.partition(":")
        parts.append(slice_chars(digits, int(start), int(stop) if stop else None))
    if rest:
        parts.append(rest)
    return cat(*parts) if len(parts) > 1 else cat(parts[0], "")
