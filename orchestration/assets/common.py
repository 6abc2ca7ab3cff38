"""Metadata every table asset reports, so the UI shows where a table is and how big it is."""

from __future__ import annotations

from typing import Any

import dagster as dg
import deltalake
import pyarrow
import pyarrow.compute
import pyarrow.dataset

from jobs.delta_rs import open_delta
from schemas.catalog import CUSTOMER_IDS, INTERACTION_CUSTOMERS
from schemas.tables import GOLD
from schemas.workspace import Workspace


def table_metadata(path: str, preview_rows: int = 5) -> dict[str, Any]:
    """Row count, Delta version, location and a small preview of a table.

    Read with delta-rs from the Delta log (the count from its per-file statistics) and the first
    data file: no Spark job for what only the UI shows.
    """
    table = open_delta(path)
    if table is None:
        return {"path": dg.MetadataValue.path(path)}
    dataset = table.to_pyarrow_dataset()
    preview = dataset.head(preview_rows).to_pandas() if preview_rows else None
    return {
        "dagster/row_count": _row_count(table, dataset),
        "dagster/uri": path,
        "delta_version": table.version(),
        **({"preview": dg.MetadataValue.md(preview.to_markdown(index=False) if len(preview) else "(empty)")}
           if preview is not None else {}),
    }


def _row_count(table: deltalake.DeltaTable, dataset: pyarrow.dataset.Dataset) -> int:
    """Rows of the current version: the log's numRecords per file, else the data files' footers."""
    actions = pyarrow.table(table.get_add_actions(flatten=True))
    records = actions.column("num_records") if "num_records" in actions.column_names else None
    if records is not None and records.null_count == 0:
        return int(pyarrow.compute.sum(records).as_py() or 0)
    return dataset.count_rows()


def asset_key(layer: str, name: str) -> dg.AssetKey:
    """Asset keys mirror lake paths: <layer>/<name>."""
    return dg.AssetKey([layer, name])


def identity_deps(workspace: Workspace) -> list[dg.AssetKey]:
    """Identity resolution's outputs, which every per-customer table must wait for when the workspace matches."""
    if workspace.match is None:
        return []
    return [asset_key(GOLD, CUSTOMER_IDS.name), asset_key(GOLD, INTERACTION_CUSTOMERS.name)]
