"""The Databricks run a launch submits: a job cluster sized by the Spark profile, running our wheel's entry point."""

from __future__ import annotations

import os
from collections.abc import Mapping

import dagster as dg
from databricks.sdk.service import compute, jobs
from pydantic import Field

from schemas.environment import NO_TELEMETRY, Environment, is_remote
from schemas.spark_profile import Autoscale, SparkProfile

# The wheel's distribution and the console script the cluster runs ([project.scripts] in pyproject.toml).
PACKAGE = "customer_insights"
ENTRY_POINT = "insights-databricks"
TASK_KEY = "customer_insights"
# Dagster's instance on the cluster's driver: local scratch, only for the in-process run there.
CLUSTER_DAGSTER_HOME = "/local_disk0/tmp/dagster"
# Where the uploaded wheel and the workspace folder are, as the cluster sees them; the policy is optional (docs/deploy.md).
WHEEL_VAR, WORKSPACE_VAR, POLICY_VAR = "INSIGHTS_DATABRICKS_WHEEL", "INSIGHTS_DATABRICKS_WORKSPACE", "INSIGHTS_DATABRICKS_POLICY"


class DatabricksJobError(ValueError):
    """A profile or setting a Databricks job cannot be built from, naming which."""


class DatabricksTarget(dg.ConfigurableResource):
    """Where a Databricks run finds our code and data: the uploaded wheel, the workspace folder, the lake, MLflow."""

    wheel: str = Field(description="the wheel's path in Databricks, e.g. /Volumes/main/insights/dist/<wheel>.whl")
    workspace_dir: str = Field(description="the workspace folder as the cluster sees it, e.g. /Workspace/Shared/retail")
    lake_root: str = Field(description="the lake root, e.g. abfss://lake@account.dfs.core.windows.net/insights")
    mlflow_uri: str = Field(default="databricks", description="the tracking server the cluster logs to")
    profile: str = Field(default="databricks", description="the Spark profile the cluster run uses")
    policy_id: str | None = Field(
        default=None, description="the cluster policy that holds the cap (infra/databricks/cluster-policy.json)"
    )


class DatabricksRunConfig(dg.Config):
    """A run's own settings: a lower cap on workers than the profile's, to limit one run's cost."""

    max_workers: int | None = Field(default=None, ge=1, description="at most this many workers (the lower cap wins)")


def target_from_env(env: Environment, environ: Mapping[str, str] | None = None) -> DatabricksTarget:
    """The target from INSIGHTS_DATABRICKS_WHEEL/_WORKSPACE and the environment's remote lake and MLflow store."""
    environ = os.environ if environ is None else environ
    missing = [name for name in (WHEEL_VAR, WORKSPACE_VAR) if not environ.get(name)]
    if missing:
        raise DatabricksJobError(f"set {' and '.join(missing)}: where the cluster finds the wheel and the workspace")
    if not is_remote(env.lake_root):
        raise DatabricksJobError(f"INSIGHTS_LAKE is '{env.lake_root}', a local folder the cluster cannot see")
    return DatabricksTarget(wheel=environ[WHEEL_VAR], workspace_dir=environ[WORKSPACE_VAR],
                            lake_root=env.lake_root, mlflow_uri=env.mlflow_uri or "databricks",
                            policy_id=environ.get(POLICY_VAR) or None)


def worker_range(autoscale: Autoscale, max_workers: int | None = None) -> compute.AutoScale:
    """The profile's worker range, its cap lowered (never raised) by a run's max_workers; the floor follows it."""
    cap = autoscale.max_workers if max_workers is None else min(autoscale.max_workers, max_workers)
    return compute.AutoScale(min_workers=min(autoscale.min_workers, cap), max_workers=cap)


def cluster_spec(profile: SparkProfile, target: DatabricksTarget, max_workers: int | None = None) -> compute.ClusterSpec:
    """A new job cluster: the profile's runtime, nodes, worker range and Spark conf; our settings as environment."""
    if profile.autoscale is None or profile.cluster is None:
        raise DatabricksJobError(
            f"Spark profile '{profile.name}' has no job cluster: a Databricks run needs its autoscale and cluster keys"
        )
    return compute.ClusterSpec(
        spark_version=profile.cluster.spark_version,
        node_type_id=profile.cluster.node_type_id,
        driver_node_type_id=profile.cluster.driver_node_type_id or profile.cluster.node_type_id,
        autoscale=worker_range(profile.autoscale, max_workers),
        spark_conf=dict(profile.conf),
        spark_env_vars=cluster_environment(profile, target),
        policy_id=target.policy_id,
    )


def cluster_environment(profile: SparkProfile, target: DatabricksTarget) -> dict[str, str]:
    """The INSIGHTS_* variables schemas/environment.py reads on the cluster, with telemetry off."""
    return {
        "INSIGHTS_SPARK_PROFILE": profile.name,
        "INSIGHTS_WORKSPACE": target.workspace_dir,
        "INSIGHTS_LAKE": target.lake_root,
        "INSIGHTS_MLFLOW_URI": target.mlflow_uri,
        "DAGSTER_HOME": CLUSTER_DAGSTER_HOME,
        **NO_TELEMETRY,
    }


def submit_task(profile: SparkProfile, target: DatabricksTarget, max_workers: int | None = None) -> jobs.SubmitTask:
    """The one task of a run: our wheel installed on a new job cluster, its entry point called (Pipes adds its params)."""
    if profile.name != target.profile:
        raise DatabricksJobError(f"the target runs profile '{target.profile}', but the task was built from '{profile.name}'")
    return jobs.SubmitTask(
        task_key=TASK_KEY,
        new_cluster=cluster_spec(profile, target, max_workers),
        libraries=[compute.Library(whl=target.wheel)],
        python_wheel_task=jobs.PythonWheelTask(package_name=PACKAGE, entry_point=ENTRY_POINT),
    )
