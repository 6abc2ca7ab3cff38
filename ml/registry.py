"""The model registry: one registered model per prediction, and the "champion" alias that scores.

When the alias moves is ml/champion.py's rule: only to a version measured better on the same holdout.
"""

from __future__ import annotations

import tempfile

import mlflow
import mlflow.spark
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from pyspark.ml import PipelineModel

CHAMPION = "champion"
# What the registry answers for a model or alias that does not exist (a file store, a server); any other
# error (an unreachable server) is raised, so that it never reads as "no champion yet".
ABSENT = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"})


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
    except MlflowException as error:
        if error.error_code in ABSENT:
            return None
        raise


def load(uri: str, dfs_tmpdir: str | None = None) -> PipelineModel:
    """A logged Spark pipeline (models:/name@champion, runs:/id/model, ...)."""
    return mlflow.spark.load_model(uri, dfs_tmpdir=dfs_tmpdir or tempfile.mkdtemp(prefix="mlflow-spark-"))


def promote(name: str, version: int) -> None:
    """Point the champion alias at a version."""
    MlflowClient().set_registered_model_alias(name, CHAMPION, str(version))

