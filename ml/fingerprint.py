"""What a model was trained on, in one hash: the Delta versions of its tables and its definitions.

Silver tables commit a new version only when rows change, and every gold input (identity, KPIs)
is derived from silver and the workspace files, so an unchanged fingerprint means retraining
would learn from exactly the same data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from schemas.predictions import Prediction
from schemas.tables import Lake
from schemas.workspace import Workspace
from schemas.workspace_core import MODEL_FILE

# Workspace files whose content changes what a model learns.
DEFINITION_FILES = (MODEL_FILE, "match.yaml", "kpis.yaml")


def input_tables(workspace: Workspace, prediction: Prediction) -> list[str]:
    """Silver tables a prediction reads: the entity's profiles and every interaction type it may use."""
    interactions = sorted(workspace.model.interactions)
    return [workspace.model.primary_profile or prediction.entity, *interactions]


def data_fingerprint(workspace: Workspace, lake: Lake, name: str, prediction: Prediction,
                     version_of: Callable[[str], int | None]) -> str:
    """sha256 over the silver tables' Delta versions, the prediction and the definition files."""
    versions = {table: version_of(lake.silver(table)) for table in input_tables(workspace, prediction)}
    files = {}
    for filename in DEFINITION_FILES:
        path = workspace.root / filename
        files[filename] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    payload = {"prediction": name, "definition": prediction.model_dump(mode="json"), "tables": versions,
               "files": files}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def delta_rs_version(path: str) -> int | None:
    """A table's Delta version read by delta-rs (no Spark: cheap enough for a schedule tick)."""
    import deltalake
    from deltalake.exceptions import TableNotFoundError

    try:
        return deltalake.DeltaTable(path).version()
    except TableNotFoundError:
        return None
