"""A Dagster deployment that runs the pipeline on Databricks: `dagster dev -m orchestration.databricks.definitions`."""

from __future__ import annotations

import dagster as dg
from dagster_databricks import PipesDatabricksClient
from databricks.sdk import WorkspaceClient

from orchestration.build import build_definitions
from orchestration.databricks.job_spec import DatabricksTarget, target_from_env
from orchestration.databricks.launch import databricks_pipeline, remote_specs
from schemas.environment import Environment


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


def load_definitions() -> dg.Definitions:
    """From the environment: INSIGHTS_* as everywhere, and where the cluster finds the wheel and the workspace."""
    env = Environment.from_env()
    return databricks_definitions(env, target_from_env(env))


defs = load_definitions()
