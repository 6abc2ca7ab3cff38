"""Resources every asset shares: Spark, the lake root and MLflow, chosen once per environment."""

from __future__ import annotations

import dagster as dg
from pyspark.sql import SparkSession

from jobs.session import get_spark
from schemas.environment import VARIABLES, Environment
from schemas.redaction import redact_uri
from schemas.tables import Lake


class SparkResource(dg.ConfigurableResource):
    """The process's SparkSession, built from a named profile in infra/spark.

    An abfss:// lake_root makes the session reach it; the credentials are read from the environment when the
    session starts, never kept in this resource's config (which the Dagster UI shows).
    """

    profile: str = "local"
    lake_root: str | None = None

    def session(self) -> SparkSession:
        return get_spark(self.profile, lake_root=self.lake_root)


class LakeResource(dg.ConfigurableResource):
    """The lake root: a local path or an abfss:// URI; every table path derives from it."""

    root: str

    @property
    def lake(self) -> Lake:
        return Lake(self.root)


class MLflowResource(dg.ConfigurableResource):
    """Where models are tracked and registered; defaults to a sqlite store under the lake root."""

    tracking_uri: str | None = None
    lake_root: str | None = None

    def uri(self) -> str:
        """The tracking and registry URI, pointed at and ready to use."""
        from ml.tracking import tracking_uri_for, use_store

        uri = tracking_uri_for(self.lake_root or "", self.tracking_uri)
        use_store(uri)
        return uri


def tracking_uri_setting(env: Environment) -> str | None:
    """The MLflow URI as the resource holds it: by its variable's name when it carries a password (the UI shows config)."""
    uri = env.mlflow_uri
    if uri and redact_uri(uri) != uri and env.reads_variable("mlflow_uri"):
        return dg.EnvVar(VARIABLES["mlflow_uri"])
    return uri


def environment_resources(env: Environment) -> dict[str, dg.ConfigurableResource]:
    """The resources every asset shares, pointed where the environment says."""
    return {
        "spark": SparkResource(profile=env.spark_profile, lake_root=env.lake_root),
        "lake": LakeResource(root=env.lake_root),
        "mlflow": MLflowResource(tracking_uri=tracking_uri_setting(env), lake_root=env.lake_root),
    }
