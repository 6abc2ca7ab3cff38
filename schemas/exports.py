"""Exports (exports.yaml): which gold tables go to which Azure Storage container, in which format, read as whom.

Each export is one Dagster asset (`export/<name>`) and can be run by hand with `insights export`. It is
checked before Spark like every workspace file (schemas/export_checks.py).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from schemas.model import Strict

EXPORTS_FILE = "exports.yaml"
ExportFormat = Literal["delta", "parquet", "csv"]
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# abfss://<container>@<account>.dfs.core.windows.net/<folder> or http(s)://<host>/<container>/<folder> (Blob)
DESTINATION = re.compile(r"^(abfss://[^@/]+@[^/]+(/.*)?|https?://[^/]+/[^/]+(/.*)?)$")


class Export(Strict):
    """One export: gold tables to a folder of a container, in one format, with one principal's grants."""

    description: str = Field(default="", description="what the export is for and who picks it up")
    to: str = Field(description="destination folder: `abfss://<container>@<account>.dfs.core.windows.net/<folder>` "
                    "(ADLS Gen2: staged, then published by a directory rename) or `https://<account>.blob.core."
                    "windows.net/<container>/<folder>` (Blob: staged, then copied; the manifest is written last)")
    tables: list[str] = Field(min_length=1, description="gold tables of the catalogue, as `gold/<name>` or `<name>`")
    format: ExportFormat = Field(default="parquet", description="`delta` (a Delta table per table), `parquet` or "
                                 "`csv` (part files per table)")
    as_: str | None = Field(default=None, alias="as", description="Entra ID object ID of access.yaml the export "
                            "reads as: ungranted tables are refused, masked columns arrive hashed or null "
                            "(default: admin, everything unmasked)")


class ExportFile(Strict):
    """The exports.yaml file: export name -> export."""

    exports: dict[str, Export] = Field(description="export name (lower case, digits, `_`; the asset is "
                                       "`export/<name>`) -> export")


def table_key(name: str) -> str:
    """A table as exports.yaml may spell it (`customer_360` or `gold/customer_360`) as its catalogue key."""
    return name if "/" in name else f"gold/{name}"
