"""MLflow set-up shared by everything that tracks runs or registers models (scoring, matching)."""

from __future__ import annotations

import os
from pathlib import Path

import mlflow

from schemas.environment import is_abfss, is_remote


def tracking_uri_for(lake_root: str, explicit: str | None = None) -> str:
    """The explicit URI if given, else a sqlite store under a local lake root."""
    if explicit:
        return explicit
    if is_remote(lake_root):
        raise ValueError("the lake root is remote: set INSIGHTS_MLFLOW_URI to a tracking server")
    folder = Path(lake_root.removeprefix("file://")) / "mlflow"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def use_store(uri: str, artifact_root: str | None = None) -> None:
    """Point tracking and the model registry at one store."""
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if artifact_root:
        os.environ["MLFLOW_ARTIFACT_ROOT"] = artifact_root


def experiment(name: str, lake_root: str | None = None) -> str:
    """The id of an experiment, created on first use, its artifacts under <lake>/mlflow/artifacts (local or abfss://).

    On abfss:// MLflow's own ADLS artifact store writes them (AZURE_STORAGE_SAS_TOKEN or DefaultAzureCredential).
    """
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if lake_root and is_abfss(lake_root):
        location = f"{lake_root.rstrip('/')}/mlflow/artifacts/{name}"
    elif lake_root and "://" not in lake_root:
        location = (Path(lake_root) / "mlflow" / "artifacts" / name).resolve().as_uri()
    return mlflow.create_experiment(name, artifact_location=location)
