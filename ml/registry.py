"""The model registry: one registered model per prediction, and the "champion" alias that scores.

The alias moves only when a new version beats the current champion on the same holdout: the
champion is loaded and scored on the new version's holdout examples, so both are judged on
identical customers and labels.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass

import mlflow
import mlflow.spark
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from pyspark.errors import AnalysisException, IllegalArgumentException, PySparkException
from pyspark.ml import PipelineModel

log = logging.getLogger(__name__)

CHAMPION = "champion"


def model_name(workspace: str, prediction: str) -> str:
    """The registered model's name: <workspace>.<prediction>."""
    return f"{workspace}.{prediction}"


def experiment_name(workspace: str, prediction: str) -> str:
    """One MLflow experiment per prediction."""
    return f"{workspace}/{prediction}"


def champion_version(name: str) -> ModelVersion | None:
    """The version the champion alias points at, or None before the first promotion."""
    try:
        return MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def load(uri: str, dfs_tmpdir: str | None = None) -> PipelineModel:
    """A logged Spark pipeline (models:/name@champion, runs:/id/model, ...)."""
    return mlflow.spark.load_model(uri, dfs_tmpdir=dfs_tmpdir or tempfile.mkdtemp(prefix="mlflow-spark-"))


@dataclass(frozen=True)
class Decision:
    """Whether the alias moved, and why."""

    promoted: bool
    reason: str
    champion_version: int | None = None
    champion_metric: float | None = None


def load_champion(name: str, dfs_tmpdir: str | None) -> tuple[ModelVersion, PipelineModel] | None:
    """The champion's version and pipeline, or None if there is none (or it cannot be loaded)."""
    version = champion_version(name)
    if version is None:
        return None
    try:
        return version, load(f"models:/{name}@{CHAMPION}", dfs_tmpdir)
    except (MlflowException, OSError, PySparkException) as error:
        log.warning("champion %s v%s cannot be loaded (%s): it is replaced", name, version.version, error)
        return None


def decide(new_metric: float, champion: tuple[ModelVersion, float | None] | None, better) -> Decision:
    """Promote when there is no comparable champion or the new metric is strictly better."""
    if champion is None:
        return Decision(True, "no champion yet")
    version, metric = champion
    if metric is None:
        return Decision(True, f"champion v{version.version} cannot score the new holdout (its features "
                              "differ): replaced", int(version.version))
    if better(new_metric, metric):
        return Decision(True, f"beats champion v{version.version} on the same holdout "
                              f"({new_metric:.4f} vs {metric:.4f})", int(version.version), metric)
    return Decision(False, f"does not beat champion v{version.version} on the same holdout "
                           f"({new_metric:.4f} vs {metric:.4f})", int(version.version), metric)


def promote(name: str, version: int) -> None:
    """Point the champion alias at a version."""
    MlflowClient().set_registered_model_alias(name, CHAMPION, str(version))


SCORING_ERRORS = (AnalysisException, IllegalArgumentException, PySparkException)
