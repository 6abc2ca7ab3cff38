"""The one way to open a lake table without Spark: delta-rs, None when nothing is there (the CLI, UI metadata)."""

from __future__ import annotations

import deltalake

from schemas.environment import delta_storage_options


def open_delta(path: str) -> deltalake.DeltaTable | None:
    """The Delta table at path (abfss:// with the environment's credentials), or None when none was written there."""
    try:
        return deltalake.DeltaTable(path, storage_options=delta_storage_options(path))
    except deltalake.exceptions.TableNotFoundError:
        return None
