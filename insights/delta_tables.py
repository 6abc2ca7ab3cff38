"""The one way the command line opens a lake table without Spark: delta-rs, None when nothing is there."""

from __future__ import annotations

import deltalake


def open_delta(path: str) -> deltalake.DeltaTable | None:
    """The Delta table at path, or None when no table was written there yet."""
    try:
        return deltalake.DeltaTable(path)
    except deltalake.exceptions.TableNotFoundError:
        return None
