"""The Databricks run a launch submits: a job cluster sized by the databricks profile, our wheel, our entry point."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

from orchestration.databricks.job_spec import (ENTRY_POINT, PACKAGE, DatabricksJobError, DatabricksTarget,
                                               submit_task, target_from_env)
from schemas.environment import Environment
from schemas.spark_profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
TARGET = DatabricksTarget(
    wheel="/Volumes/main/insights/dist/customer_insights-0.1.0-py3-none-any.whl",
    workspace_dir="/Workspace/Shared/customer-insights/retail",
    lake_root="abfss://lake@account.dfs.core.windows.net/insights",
    mlflow_uri="databricks",
)


def test_the_task_runs_our_wheel_on_a_cluster_sized_by_the_profile():
    profile = load_profile("databricks")
    task = submit_task(profile, TARGET).as_dict()
    cluster = task["new_cluster"]
    assert cluster["autoscale"] == {"min_workers": profile.autoscale.min_workers,
                                    "max_workers": profile.autoscale.max_workers} == {"min_workers": 2, "max_workers": 20}
    assert (cluster["spark_version"], cluster["node_type_id"]) == ("17.3.x-scala2.13", "Standard_D4ds_v5")
    assert cluster["spark_conf"] == profile.conf
    assert "num_workers" not in cluster and "existing_cluster_id" not in task  # autoscaled, new cluster per run
    assert task["libraries"] == [{"whl": TARGET.wheel}]
    assert task["python_wheel_task"] == {"package_name": "customer_insights", "entry_point": "insights-databricks"}


@pytest.mark.parametrize(("run_cap", "expected"), [(None, (2, 20)), (5, (2, 5)), (50, (2, 20)), (1, (1, 1))])
def test_a_run_lowers_the_cap_and_never_raises_it(run_cap, expected):
    autoscale = submit_task(load_profile("databricks"), TARGET, run_cap).new_cluster.autoscale
    assert (autoscale.min_workers, autoscale.max_workers) == expected


def test_the_cluster_environment_is_what_schemas_environment_reads(tmp_path):
    env_vars = submit_task(load_profile("databricks"), TARGET).new_cluster.spark_env_vars
    assert env_vars["INSIGHTS_WORKSPACE"] == TARGET.workspace_dir and env_vars["DAGSTER_DISABLE_TELEMETRY"] == "true"
    env = Environment.from_env({**env_vars, "INSIGHTS_WORKSPACE": str(tmp_path)})  # the one path not on this machine
    assert (env.spark_profile, env.lake_root, env.mlflow_uri) == ("databricks", TARGET.lake_root, "databricks")


def test_the_entry_point_is_a_console_script_of_the_wheel():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"].replace("-", "_") == PACKAGE
    module, function = project["scripts"][ENTRY_POINT].split(":")
    assert callable(getattr(importlib.import_module(module), function))


def test_a_profile_without_a_job_cluster_is_refused():
    with pytest.raises(DatabricksJobError, match="Spark profile 'local' has no job cluster"):
        submit_task(load_profile("local"), TARGET.model_copy(update={"profile": "local"}))
    with pytest.raises(DatabricksJobError, match="the target runs profile 'databricks', but the task was built from 'local'"):
        submit_task(load_profile("local"), TARGET)


def test_the_cluster_policy_goes_with_the_cluster_when_given():
    assert "policy_id" not in submit_task(load_profile("databricks"), TARGET).new_cluster.as_dict()
    with_policy = TARGET.model_copy(update={"policy_id": "E0631F5C0D000A2B"})
    assert submit_task(load_profile("databricks"), with_policy).new_cluster.policy_id == "E0631F5C0D000A2B"


def test_the_target_comes_from_the_environment_and_needs_a_remote_lake(tmp_path):
    env = Environment.from_env({"INSIGHTS_WORKSPACE": str(tmp_path), "INSIGHTS_LAKE": TARGET.lake_root,
                                "INSIGHTS_MLFLOW_URI": "databricks"})
    given = {"INSIGHTS_DATABRICKS_WHEEL": TARGET.wheel, "INSIGHTS_DATABRICKS_WORKSPACE": TARGET.workspace_dir}
    assert target_from_env(env, given) == TARGET
    assert target_from_env(env, given | {"INSIGHTS_DATABRICKS_POLICY": "P1"}).policy_id == "P1"
    with pytest.raises(DatabricksJobError, match="set INSIGHTS_DATABRICKS_WORKSPACE: where the cluster finds"):
        target_from_env(env, {"INSIGHTS_DATABRICKS_WHEEL": TARGET.wheel})
    local = Environment.from_env({"INSIGHTS_WORKSPACE": str(tmp_path), "INSIGHTS_LAKE": str(tmp_path / "lake")})
    with pytest.raises(DatabricksJobError, match="a local folder the cluster cannot see"):
        target_from_env(local, given)
