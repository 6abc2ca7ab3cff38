"""Resources every asset shares: Spark, the lake root and MLflow, chosen once per environment."""

from __future__ import annotations

import dagster as dg
from pyspark.sql import SparkSession

from jobs.session import get_spark
from schemas.executor_cap import capped_profile
from schemas.environment import VARIABLES, Environment
from schemas.redaction import redact_uri
from schemas.spark_profile import load_profile
from schemas.tables import Lake


class SparkResource(dg.ConfigurableResource):
    """The process's SparkSession, built from a named profile in infra/spark.

    An abfss:// lake_root makes the session reach it; the credentials are read from the environment when the
    session starts, never kept in this resource's config (which the Dagster UI shows).
    """

    profile: str = "local"
    lake_root: str | None = None
    workspace_max_executors: int | None = None  # workspace.yaml's compute.max_executors
    max_executors: int | None = None  # this run's cap (run config, `insights run --max-executors`)

    def session(self) -> SparkSession:
        """The session; a new one with the lowest of the profile's, the workspace's and the run's caps."""
        active = SparkSession.getActiveSession()
        if active is not None:  # the cap applies when a session starts: a running one keeps its own
            return active
        profile = capped_profile(load_profile(self.profile), self.workspace_max_executors, self.max_executors)
        return get_spark(profile, lake_root=self.lake_root)


def run_cap_config(max_executors: int | None, spark: SparkResource) -> dict:
    """The run config that lowers one run's executor cap (nothing when no cap is asked for).

    A resource's run config replaces its whole definition-time config, so it repeats spark's other fields."""
    if max_executors is None:
        return {}
    fields = {key: value for key, value in spark.model_dump().items() if value is not None}
    return {"resources": {"spark": {"config": fields | {"max_executors": max_executors}}}}


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


def environment_resources(env: Environment, workspace_max_executors: int | None = None,
                          ) -> dict[str, dg.ConfigurableResource]:
    """The resources every asset shares, pointed where the environment says (Spark capped as the workspace asks)."""
    return {
        "spark": SparkResource(profile=env.spark_profile, lake_root=env.lake_root,
                               workspace_max_executors=workspace_max_executors),
        "lake": LakeResource(root=env.lake_root),
        "mlflow": MLflowResource(tracking_uri=tracking_uri_setting(env), lake_root=env.lake_root),
    }
