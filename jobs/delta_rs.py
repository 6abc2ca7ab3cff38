"""The one way to open a lake table without Spark: delta-rs, None when nothing is there (the CLI, UI metadata)."""

from __future__ import annotations

import deltalake
import pyarrow as pa
import pyarrow.compute as pc

from schemas.environment import delta_storage_options


def open_delta(path: str, version: int | None = None) -> deltalake.DeltaTable | None:
    """The Delta table at path (abfss:// with the environment's credentials), or None when none was written there."""
    try:
        return deltalake.DeltaTable(path, version=version, storage_options=delta_storage_options(path))
    except deltalake.exceptions.TableNotFoundError:
        return None


def row_count_from_stats(path: str, version: int) -> int | None:
    """Rows of a version from its files' statistics in the log (no data read, no Spark job); None when
    a file has no row count in its statistics (a writer that collected none)."""
    table = open_delta(path, version)
    if table is None:
        return None
    counts = pa.table(table.get_add_actions(flatten=True)).column("num_records")
    return None if counts.null_count else pc.sum(counts).as_py() or 0


def row_count(table: deltalake.DeltaTable) -> int:
    """Rows of the table's loaded version: the log's numRecords per file, else the data files' footers
    (no Spark job either way)."""
    actions = pa.table(table.get_add_actions(flatten=True))
    records = actions.column("num_records") if "num_records" in actions.column_names else None
    if records is not None and records.null_count == 0:
        return int(pc.sum(records).as_py() or 0)
    return table.to_pyarrow_dataset().count_rows()


def column_max_from_stats(path: str, column: str) -> int | None:
    """The largest value of a numeric column in the table's current version, from its files' statistics in
    the log (no data read, no Spark job); None when the table is absent or empty.

    Raises LookupError when a file carries no statistic for the column (a writer that collected none)."""
    table = open_delta(path)
    if table is None:
        return None
    actions = pa.table(table.get_add_actions(flatten=True))
    if actions.num_rows == 0:
        return None
    name = f"max.{column}"
    if name not in actions.column_names or actions.column(name).null_count:
        raise LookupError(f"{path}: a file has no statistic for {column}")
    return pc.max(actions.column(name)).as_py()
