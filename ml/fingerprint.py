"""What a model was trained on, as one BuiltFrom record: its tables' Delta versions and definitions.

Silver tables commit a new version only when rows change, and every gold input (identity, KPIs)
is derived from silver and the workspace files, so an unchanged fingerprint means retraining
would learn from exactly the same data. The fingerprint tagged on MLflow runs and stamped on
gold/scores rows is this record's BuiltFrom.fingerprint().
"""

from __future__ import annotations

from collections.abc import Callable

from jobs.built_from import BuiltFrom, definition_hash
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


def trained_from(workspace: Workspace, lake: Lake, name: str, prediction: Prediction,
                 version_of: Callable[[str], int | None]) -> BuiltFrom:
    """The silver tables' Delta versions, the prediction's definition and the definition files' hashes."""
    inputs = {table: version_of(lake.silver(table)) for table in input_tables(workspace, prediction)}
    files = {}
    for filename in DEFINITION_FILES:
        path = workspace.root / filename
        files[filename] = definition_hash(path.read_bytes()) if path.exists() else None
    return BuiltFrom(inputs, {"prediction": name, "definition": definition_hash(prediction), "files": files})


def data_fingerprint(workspace: Workspace, lake: Lake, name: str, prediction: Prediction,
                     version_of: Callable[[str], int | None]) -> str:
    """The fingerprint of what a training or scoring of this prediction reads now."""
    return trained_from(workspace, lake, name, prediction, version_of).fingerprint()


def delta_rs_version(path: str) -> int | None:
    """A table's Delta version read by delta-rs (no Spark: cheap enough for a schedule tick)."""
    import deltalake
    from deltalake.exceptions import TableNotFoundError

    from schemas.environment import delta_storage_options

    try:
        return deltalake.DeltaTable(path, storage_options=delta_storage_options(path)).version()
    except TableNotFoundError:
        return None
