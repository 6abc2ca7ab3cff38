"""The gold tables an export reads, through delta-rs (no Spark): pinned to one Delta version, read batch by batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import deltalake
import pyarrow as pa

BATCH_ROWS = 65_536  # rows per record batch read from the source: memory is bounded by this, not the table


class SourceMissing(FileNotFoundError):
    """An exported table has not been written to the lake yet."""


@dataclass(frozen=True)
class SourceTable:
    """One gold table at the version the export pinned when it started."""

    key: str
    path: str
    version: int
    storage_options: dict[str, str] | None = None

    def open(self) -> deltalake.DeltaTable:
        return deltalake.DeltaTable(self.path, version=self.version, storage_options=self.storage_options)

    def schema(self) -> pa.Schema:
        return self.open().to_pyarrow_dataset().schema

    def batches(self, rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """The pinned version's rows, one record batch at a time (the table is never read whole)."""
        yield from self.open().to_pyarrow_dataset().to_batches(batch_size=rows)


def pin(key: str, path: str, storage_options: dict[str, Any] | None = None) -> SourceTable:
    """The table at its current version, or SourceMissing naming it."""
    try:
        table = deltalake.DeltaTable(path, storage_options=storage_options)
    except deltalake.exceptions.TableNotFoundError as exc:
        raise SourceMissing(f"{key} is not in the lake yet ({path}): materialise it before exporting it") from exc
    return SourceTable(key, path, table.version(), storage_options)
