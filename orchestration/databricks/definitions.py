"""A Dagster deployment that runs the pipeline on Databricks: `dagster dev -m orchestration.databricks.definitions`."""

from __future__ import annotations

import os

import dagster as dg
from dagster_databricks import PipesDatabricksClient
from databricks.sdk import WorkspaceClient

from orchestration.build import build_definitions
from orchestration.databricks.job_spec import DatabricksJobError, DatabricksTarget
from orchestration.databricks.launch import databricks_pipeline, remote_specs
from schemas.environment import Environment, is_remote

# Where the uploaded wheel and the workspace folder are, as the cluster sees them (docs/deploy.md).
WHEEL_VAR, WORKSPACE_VAR = "INSIGHTS_DATABRICKS_WHEEL", "INSIGHTS_DATABRICKS_WORKSPACE"
POLICY_VAR = "INSIGHTS_DATABRICKS_POLICY"  # optional: the cluster policy that holds the cap


def pipes_client(_: dg.InitResourceContext) -> PipesDatabricksClient:
    """Made when a run starts: the SDK authenticates (DATABRICKS_HOST, _TOKEN, ...) and asks the host on construction."""
    return PipesDatabricksClient(client=WorkspaceClient())


def databricks_definitions(env: Environment, target: DatabricksTarget) -> dg.Definitions:
    """The workspace's assets as one Databricks launch through Pipes; nothing reaches Databricks until a run."""
    local = build_definitions(env.load_workspace(), env)
    return dg.Definitions(
        assets=[databricks_pipeline(remote_specs(local))],
        resources={"pipes_databricks": dg.ResourceDefinition(pipes_client, description="Dagster Pipes on Databricks"),
                   "databricks_target": target},
    )


def target_from_env(env: Environment, environ: os._Environ | dict[str, str] = os.environ) -> DatabricksTarget:
    """The target from INSIGHTS_DATABRICKS_WHEEL/_WORKSPACE and the environment's remote lake and MLflow store."""
    missing = [name for name in (WHEEL_VAR, WORKSPACE_VAR) if not environ.get(name)]
    if missing:
        raise DatabricksJobError(f"set {' and '.join(missing)}: where the cluster finds the wheel and the workspace")
    if not is_remote(env.lake_root):
        raise DatabricksJobError(f"INSIGHTS_LAKE is '{env.lake_root}', a local folder the cluster cannot see")
    return DatabricksTarget(wheel=environ[WHEEL_VAR], workspace_dir=environ[WORKSPACE_VAR],
                            lake_root=env.lake_root, mlflow_uri=env.mlflow_uri or "databricks",
                            policy_id=environ.get(POLICY_VAR) or None)


def load_definitions() -> dg.Definitions:
    """From the environment: INSIGHTS_* as everywhere, and where the cluster finds the wheel and the workspace."""
    env = Environment.from_env()
    return databricks_definitions(env, target_from_env(env))


defs = load_definitions()
