"""What a model was trained on, as one BuiltFrom record: its tables' Delta versions and definitions.

Silver tables commit a new version only when rows change, and every gold input (identity, KPIs)
is derived from silver and the workspace files, so an unchanged fingerprint means retraining
would learn from exactly the same data. The fingerprint tagged on MLflow runs and stamped on
gold/scores rows is this record's BuiltFrom.fingerprint().

Each registered version also carries two narrower fingerprints (ml/champion.py): its definition
(what it predicts and from what, without the data) and its features (the holdout's columns and
types), so a champion that cannot score a new holdout because the definition was changed on
purpose can be told from one that failed by accident.
"""

from __future__ import annotations

from collections.abc import Callable

from jobs.built_from import BuiltFrom, definition_hash, input_versions
from schemas.predictions import ChampionRule, Prediction
from schemas.tables import Lake
from schemas.workspace import Workspace
from schemas.workspace_core import MODEL_FILE

# Workspace files whose content changes what a model learns.
DEFINITION_FILES = (MODEL_FILE, "match.yaml", "kpis.yaml")
# The fields of a prediction that say what is predicted and from what (not how it is trained or graded).
MEANING_FIELDS = {"entity", "outcome", "horizon_days", "population", "features"}


def input_tables(workspace: Workspace, prediction: Prediction) -> list[str]:
    """Silver tables a prediction reads: the entity's profiles and every interaction type it may use."""
    interactions = sorted(workspace.model.interactions)
    return [workspace.model.primary_profile or prediction.entity, *interactions]


def trained_from(workspace: Workspace, lake: Lake, name: str, prediction: Prediction,
                 version_of: Callable[[str], int | None]) -> BuiltFrom:
    """The silver tables' Delta versions, the prediction's definition and the definition files' hashes."""
    inputs = input_versions(lake, [lake.silver(table) for table in input_tables(workspace, prediction)], version_of)
    definitions = {"prediction": name, "definition": definition_hash(prediction.model_dump(
        mode="json", exclude={"champion"})), "files": definition_files(workspace)}
    if prediction.champion != ChampionRule():  # setting a champion rule asks for a training that applies it
        definitions["champion"] = prediction.champion.model_dump(mode="json")
    return BuiltFrom(inputs, definitions)


def definition_files(workspace: Workspace) -> dict[str, str | None]:
    """The hash of each definition file (None when absent)."""
    files = {}
    for filename in DEFINITION_FILES:
        path = workspace.root / filename
        files[filename] = definition_hash(path.read_bytes()) if path.exists() else None
    return files


def definition_fingerprint(workspace: Workspace, prediction: Prediction) -> str:
    """What a prediction predicts and from what, without the data: changes only when someone edits it."""
    return definition_hash({"prediction": prediction.model_dump(mode="json", include=MEANING_FIELDS),
                            "files": definition_files(workspace)})


def features_fingerprint(dtypes: list[tuple[str, str]], features: list[str]) -> str:
    """The feature columns a model is trained on and scores, with their types (a frame's `dtypes`)."""
    types = dict(dtypes)
    return definition_hash(sorted((name, types[name]) for name in features))


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
