"""The asset bundle's job agrees with the databricks profile and with the task a Dagster launch submits (no CLI)."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

import pytest
import yaml

from orchestration.databricks.job_spec import DatabricksTarget, submit_task
from schemas.spark_profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "infra" / "databricks"
JOB_FILE = BUNDLE / "resources" / "pipeline_job.yml"
# The bundle's variables stand where a launch has its target's values.
TARGET = DatabricksTarget(wheel="(the bundle's artifact)", workspace_dir="${var.workspace_dir}",
                          lake_root="${var.lake_root}", mlflow_uri="${var.mlflow_uri}",
                          policy_id="${var.cluster_policy_id}")
POLICY = BUNDLE / "cluster-policy.json"


@pytest.fixture(scope="module")
def bundle() -> dict:
    return yaml.safe_load((BUNDLE / "databricks.yml").read_text())


@pytest.fixture(scope="module")
def job() -> dict:
    return yaml.safe_load(JOB_FILE.read_text())["resources"]["jobs"]["customer_insights"]


def test_the_job_cluster_autoscales_in_the_profiles_range(job):
    autoscale = job["job_clusters"][0]["new_cluster"]["autoscale"]
    profile = load_profile("databricks")
    assert autoscale == {"min_workers": profile.autoscale.min_workers, "max_workers": profile.autoscale.max_workers}


def test_the_job_cluster_is_the_one_a_launch_submits(job):
    """Runtime, nodes, conf and environment: one cluster whether the bundle's job or Dagster starts the run."""
    (cluster,) = job["job_clusters"]
    assert cluster["new_cluster"] == submit_task(load_profile("databricks"), TARGET).new_cluster.as_dict()


def test_the_task_runs_the_wheels_entry_point_on_that_cluster(job):
    (task,) = job["tasks"]
    launched = submit_task(load_profile("databricks"), TARGET).as_dict()
    assert task["job_cluster_key"] == job["job_clusters"][0]["job_cluster_key"]
    assert (task["task_key"], task["python_wheel_task"]) == (launched["task_key"], launched["python_wheel_task"])


def test_the_library_is_the_wheel_the_artifact_builds(bundle, job):
    artifact = bundle["artifacts"]["customer_insights"]
    source = (BUNDLE / artifact["path"]).resolve()
    assert source == ROOT and (source / "pyproject.toml").is_file()
    out_dir = re.search(r"--wheel-dir (\S+)", artifact["build"]).group(1)
    (library,) = job["tasks"][0]["libraries"]
    pattern = (JOB_FILE.parent / library["whl"]).resolve()
    assert pattern.parent == (source / out_dir).resolve()
    assert fnmatch.fnmatch("customer_insights-0.1.0-py3-none-any.whl", pattern.name)


def test_every_variable_used_is_declared_and_every_resource_file_included(bundle):
    used = set(re.findall(r"\$\{var\.(\w+)\}", JOB_FILE.read_text()))
    assert used and used <= set(bundle["variables"])
    assert any(fnmatch.fnmatch(str(JOB_FILE.relative_to(BUNDLE)), glob) for glob in bundle["include"])


def test_the_cluster_policy_holds_the_profiles_cap_runtime_and_nodes():
    """A cluster asking for more workers than the cap is refused by Databricks, whoever asks."""
    policy = json.loads(POLICY.read_text())
    profile = load_profile("databricks")
    assert policy["autoscale.max_workers"]["type"] == "range"
    assert policy["autoscale.max_workers"]["maxValue"] == profile.autoscale.max_workers
    assert policy["autoscale.min_workers"]["maxValue"] >= profile.autoscale.min_workers
    assert policy["num_workers"] == {"type": "forbidden", "hidden": True}  # a fixed size would bypass autoscale
    assert policy["spark_version"] == {"type": "fixed", "value": profile.cluster.spark_version}
    assert profile.cluster.node_type_id in policy["node_type_id"]["values"]
