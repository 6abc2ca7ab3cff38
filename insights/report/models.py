"""Model quality from the MLflow store ml/ trains into: metrics, baseline, grade and logged plots.

Each prediction of predictions.yaml has a registered model `<workspace>.<prediction>`; the
report reads the run behind its champion version (the one that scores), else the newest
finished run of the experiment `<workspace>/<prediction>`. The ROC and calibration plots are
the PNGs that run logged; a lake copied elsewhere still finds them under <lake>/mlflow/artifacts.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from insights.report.data import LakeReader
from schemas.environment import Environment
from schemas.redaction import redact_uri
from schemas.workspace import Workspace

PLOTS = ("roc", "calibration", "actual_vs_predicted")  # the holdout plots ml/pipeline.py logs
ARTIFACTS = "mlflow/artifacts/"


@dataclass(frozen=True)
class ModelQuality:
    """One prediction's champion (or newest) run: holdout metrics of model and baseline, grade, plots."""

    prediction: str
    model_name: str
    version: int | None
    run_id: str
    kind: str
    grade: str | None
    improvement: float | None
    selection_metric: str
    metrics: dict[str, float]
    baseline: dict[str, float]
    plots: dict[str, bytes] = field(default_factory=dict)
    holdout_cutoff: str | None = None
    decision: str | None = None


@dataclass(frozen=True)
class ModelData:
    """Every prediction's quality, the store it came from, and why one is absent."""

    store: str | None
    models: list[ModelQuality]
    notes: list[str]


def store_uri(env: Environment) -> str | None:
    """INSIGHTS_MLFLOW_URI, else the sqlite store under a local lake if it exists (never created here)."""
    if env.mlflow_uri:
        return env.mlflow_uri
    database = Path(env.lake_root.removeprefix("file://")) / "mlflow" / "mlflow.db"
    return f"sqlite:///{database}" if "://" not in env.lake_root.removeprefix("file://") and database.exists() else None


def artifact_folder(client, run, lake_root: str) -> Path:
    """The run's artifact folder: where it was logged, or the same place under this lake, or downloaded."""
    uri = run.info.artifact_uri
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        logged = Path(unquote(parsed.path))
        if logged.exists():
            return logged
        if ARTIFACTS in logged.as_posix() and "://" not in lake_root:
            moved = Path(lake_root) / ARTIFACTS / logged.as_posix().split(ARTIFACTS, 1)[1]
            if moved.exists():
                return moved
    return Path(client.download_artifacts(run.info.run_id, "", tempfile.mkdtemp(prefix="insights-report-")))


def run_of(client, workspace: str, prediction: str):
    """(run, version) behind the champion alias, else the newest finished run, else (None, None)."""
    from ml.registry import champion_version, experiment_name, model_name

    version = champion_version(model_name(workspace, prediction))
    if version is not None and version.run_id:
        return client.get_run(version.run_id), int(version.version)
    experiment = client.get_experiment_by_name(experiment_name(workspace, prediction))
    if experiment is None:
        return None, None
    runs = client.search_runs([experiment.experiment_id], filter_string="attributes.status = 'FINISHED'",
                              order_by=["attributes.start_time DESC"], max_results=1)
    return (runs[0], None) if runs else (None, None)


def model_quality(client, run, version: int | None, registered: str, prediction: str, lake_root: str) -> ModelQuality:
    """The metrics ml/pipeline.py logged for model and baseline (`baseline_<metric>`), and its plots."""
    from ml.evaluation import SELECTION
    from ml.champion import DECISION_TAG
    from ml.pipeline import GRADE_TAG

    logged = run.data.metrics
    model = {k: v for k, v in logged.items() if f"baseline_{k}" in logged}
    baseline = {k: logged[f"baseline_{k}"] for k in model}
    kind = run.data.params.get("kind", "binary")
    folder = artifact_folder(client, run, lake_root) / "plots"
    plots = {name: (folder / f"{name}.png").read_bytes() for name in PLOTS if (folder / f"{name}.png").exists()}
    return ModelQuality(prediction, registered, version, run.info.run_id, kind, run.data.tags.get(GRADE_TAG),
                        logged.get("improvement_over_baseline"), SELECTION[kind][0], model, baseline, plots,
                        run.data.params.get("holdout_cutoff"), run.data.tags.get(DECISION_TAG))


def model_data(workspace: Workspace, env: Environment, names: list[str] | None = None) -> ModelData:
    """Model quality of every prediction the workspace declares (or of `names`), read with the MLflow client."""
    if workspace.predictions is None:
        return ModelData(None, [], ["the workspace has no predictions.yaml"])
    uri = store_uri(env)
    if uri is None:
        return ModelData(None, [], [f"no MLflow store: {env.lake_root}/mlflow/mlflow.db does not exist "
                                    "and INSIGHTS_MLFLOW_URI is not set"])
    import mlflow

    from ml.tracking import use_store

    tracking, registry = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    use_store(uri)  # ml.registry's look-ups use the global store; the caller's is put back after
    try:
        return ModelData(uri, *read_models(workspace, env, uri, names))
    finally:
        mlflow.set_tracking_uri(tracking)
        mlflow.set_registry_uri(registry)


def read_models(workspace: Workspace, env: Environment, uri: str,
                names: list[str] | None = None) -> tuple[list[ModelQuality], list[str]]:
    """Each prediction's (or each of `names`') quality from the store, and a note for each that has no finished run."""
    from mlflow import MlflowClient

    from ml.registry import model_name

    client = MlflowClient(uri, uri)
    models, notes = [], []
    for prediction in workspace.predictions.predictions:
        if names is not None and prediction not in names:
            continue
        run, version = run_of(client, workspace.name, prediction)
        if run is None:
            notes.append(f"{prediction}: no finished training run in {redact_uri(uri)}")
            continue
        models.append(model_quality(client, run, version, model_name(workspace.name, prediction), prediction,
                                    env.lake_root))
    return models, notes


def score_frame(reader: LakeReader):
    """gold/scores (prediction, score), or None: the distribution of what the champions scored."""
    return reader.frame("gold/scores", columns=["prediction", "score", "model_version"])
