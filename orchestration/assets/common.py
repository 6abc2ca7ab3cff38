"""Metadata every table asset reports, so the UI shows where a table is and how big it is."""

from __future__ import annotations

from typing import Any

import dagster as dg

from jobs.delta_rs import open_delta, row_count
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
        "dagster/row_count": row_count(table),
        "dagster/uri": path,
        "delta_version": table.version(),
        **({"preview": dg.MetadataValue.md(preview.to_markdown(index=False) if len(preview) else "(empty)")}
           if preview is not None else {}),
    }


def asset_key(layer: str, name: str) -> dg.AssetKey:
    """Asset keys mirror lake paths: <layer>/<name>."""
    return dg.AssetKey([layer, name])


def identity_deps(workspace: Workspace) -> list[dg.AssetKey]:
    """Identity resolution's outputs, which every per-customer table must wait for when the workspace matches."""
    if workspace.match is None:
        return []
    return [asset_key(GOLD, CUSTOMER_IDS.name), asset_key(GOLD, INTERACTION_CUSTOMERS.name)]
