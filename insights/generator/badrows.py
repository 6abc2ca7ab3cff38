"""Deliberately broken rows (what the pipeline must quarantine) built from good-looking rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from insights.generator.text import cat, strings, take


def bad_positions(rng: np.random.Generator, n_good: int, n_bad: int) -> np.ndarray:
    """Sorted positions of the bad rows among n_good + n_bad output rows."""
    if n_bad == 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.choice(n_good + n_bad, size=n_bad, replace=False)).astype(np.int64)


def csv_wrong_field_count(
    rng: np.random.Generator, fields: Sequence[pa.Array], text_column: int, text: pa.Array
) -> tuple[pa.Array, pa.Array]:
    """CSV lines with one field too many (an unquoted comma in `text`) or cut short after a field.

    Fields are already rendered, so a cut never leaves an open quote that would swallow the
    following good lines.
    """
    n = len(fields[0])
    unquoted = pc.replace_substring(text.cast(pa.string()), '"', "")
    extra = list(fields)
    extra[text_column] = pc.fill_null(unquoted, "n/a, n/a")
    extra_line = pc.binary_join_element_wise(*extra, ",")
    cuts = list(range(2, len(fields) - 1))
    prefixes = [pc.binary_join_element_wise(*fields[:k], ",") for k in cuts]
    cut_line = pc.choose(pa.array(rng.integers(0, len(cuts), n).astype(np.int8)), *prefixes)
    kind = rng.integers(0, 2, n)
    lines = pc.if_else(pa.array(kind == 0), extra_line, cut_line)
    problems = take(strings(["extra unquoted comma: one field too many", "truncated line: too few fields"]), kind)
    return lines, problems


def json_truncated(rng: np.random.Generator, members: Sequence[pa.Array]) -> tuple[pa.Array, pa.Array]:
    """JSON lines cut off mid-object (after the key member), as left by an interrupted export."""
    n = len(members[0])
    cuts = list(range(1, len(members)))
    prefixes = [
        cat("{", pc.binary_join_element_wise(*members[:k], ", ") if k > 1 else members[0], ", ",
            pc.utf8_slice_codeunits(members[k], 0, 7))
        for k in cuts
    ]
    lines = pc.choose(pa.array(rng.integers(0, len(cuts), n).astype(np.int8)), *prefixes)
    return lines, pa.repeat(pa.scalar("truncated JSON line", pa.string()), n)


def required_empty(n: int, column: str) -> pa.Array:
    """Problem text for rows whose required column is empty."""
    return pa.repeat(pa.scalar(f"required {column} is empty", pa.string()), n)
