"""Content fingerprints of lake tables, read by delta-rs: equal fingerprints, equal tables.

A fingerprint is the row count and an order-independent hash of every row (all columns,
nested values as JSON), so a re-run that rewrites a table with the same rows keeps it.
"""

from __future__ import annotations

import json
from pathlib import Path

import deltalake
import pandas as pd


def table_fingerprint(path: str | Path, version: int | None = None) -> str:
    """'<rows>:<hash>' of one Delta table (optionally of one version)."""
    frame = deltalake.DeltaTable(str(path), version=version).to_pandas()
    return frame_fingerprint(frame)


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """'<rows>:<hash>' of a DataFrame, independent of row and column order."""
    frame = frame[sorted(frame.columns)].copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(_plain)
    hashed = pd.util.hash_pandas_object(frame, index=False) if len(frame) else pd.Series([], dtype="uint64")
    return f"{len(frame)}:{int(hashed.sum()) % 2**64:016x}"


def _plain(value: object) -> object:
    """Nested values (lists, dicts, arrays) as canonical JSON text; scalars unchanged."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "tolist"):
        value = value.tolist()
    return json.dumps(value, sort_keys=True, default=str)
