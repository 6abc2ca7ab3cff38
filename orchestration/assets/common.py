"""Metadata every table asset reports, so the UI shows where a table is and how big it is."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pyspark.sql import SparkSession

from jobs.delta import read_table, table_version
from schemas.catalog import CUSTOMER_IDS, INTERACTION_CUSTOMERS
from schemas.tables import GOLD
from schemas.workspace import Workspace


def table_metadata(spark: SparkSession, path: str, preview_rows: int = 5) -> dict[str, Any]:
    """Row count, Delta version, location and a small preview of a table."""
    df = read_table(spark, path)
    if df is None:
        return {"path": dg.MetadataValue.path(path)}
    rows = df.count()
    preview = df.limit(preview_rows).toPandas()
    return {
        "dagster/row_count": rows,
        "dagster/uri": path,
        "delta_version": table_version(spark, path),
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False) if len(preview) else "(empty)"),
    }


def asset_key(layer: str, name: str) -> dg.AssetKey:
    """Asset keys mirror lake paths: <layer>/<name>."""
    return dg.AssetKey([layer, name])


def identity_deps(workspace: Workspace) -> list[dg.AssetKey]:
    """Identity resolution's outputs, which every per-customer table must wait for when the workspace matches."""
    if workspace.match is None:
        return []
    return [asset_key(GOLD, CUSTOMER_IDS.name), asset_key(GOLD, INTERACTION_CUSTOMERS.name)]
