"""A Dagster launch submits the profile's job cluster through Pipes and gets each table back (a fake workspace, no network).

Needs dagster-databricks, which is not in the lock yet: its newest release (0.29.27) pins dagster 1.13.27, one
patch below ours (docs/deploy.md), so `make install` puts it in without its pins (DATABRICKS_PIPES).
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from dagster_databricks import PipesDatabricksClient, PipesDbfsMessageReader
from dagster_pipes import (PipesBufferedFilesystemMessageWriterChannel, PipesContext, PipesContextLoader,
                           PipesDbfsMessageWriter, PipesMappingParamsLoader, decode_param)
from databricks.sdk.errors import NotFound
from databricks.sdk.service import jobs

from insights.databricks_run import report
from insights.run import RunSummary, TableWritten
from orchestration.build import build_definitions
from orchestration.databricks.job_spec import DatabricksTarget
from orchestration.databricks.launch import ASSET_NAME, databricks_pipeline, remote_specs
from schemas.environment import Environment

SELECTED = [dg.AssetKey(["silver", "customer"]), dg.AssetKey(["gold", "customer_ids"])]
NEIGHBOUR = "gold/customer_id_history"  # written in the same step as gold/customer_ids, not selected
ROWS = {"silver/customer": 10, "gold/customer_ids": 20, NEIGHBOUR: 30}  # what the fake cluster run writes
TARGET = DatabricksTarget(wheel="/Volumes/main/insights/dist/customer_insights-0.1.0-py3-none-any.whl",
                          workspace_dir="/Workspace/Shared/retail", lake_root="abfss://lake@acct.dfs.core.windows.net/i")


class FakeDbfs:
    """DBFS's REST calls over a local folder, which stands for the /dbfs mount the cluster sees the same files in."""

    def __init__(self, root: Path):
        self.root = root
        self._cfg = SimpleNamespace(workspace_id=None)  # the SDK's services read the workspace id off their client

    def do(self, method: str, path: str, query=None, headers=None, body=None, **_):
        op, args = path.rsplit("/", 1)[-1], body or query or {}
        target = self.root / args["path"].lstrip("/")
        if op == "mkdirs":
            target.mkdir(parents=True, exist_ok=True)
        elif op == "put":
            target.write_bytes(base64.b64decode(args["contents"]))
        elif op == "delete":
            shutil.rmtree(target, ignore_errors=True)
        elif not target.exists():
            raise NotFound(f"{args['path']} does not exist")
        elif op == "get-status":
            return {"path": args["path"], "is_dir": target.is_dir()}
        elif op == "read":
            data = target.read_bytes()
            return {"bytes_read": len(data), "data": base64.b64encode(data).decode()}
        else:
            raise AssertionError(f"unexpected call {method} {path}")
        return {}


class MountedContextLoader(PipesContextLoader):
    """PipesDbfsContextLoader's reading, from the test's mount instead of /dbfs."""

    def __init__(self, root: Path):
        self.root = root

    def load_context(self, params):
        return contextlib.nullcontext(json.loads((self.root / params["path"].lstrip("/")).read_text()))


class MountedMessageWriter(PipesDbfsMessageWriter):
    """PipesDbfsMessageWriter's chunks, into the test's mount; no cluster log tags to read."""

    def __init__(self, root: Path):
        super().__init__(interval=0)
        self.root = root

    def make_channel(self, params):
        return PipesBufferedFilesystemMessageWriterChannel(path=str(self.root / params["path"].lstrip("/")), interval=0)

    def get_opened_extras(self):
        return {}


class FakeJobs:
    """The Jobs API: records the submitted run and plays the cluster (our entry point's report through real Pipes)."""

    def __init__(self, dbfs_root: Path):
        self.dbfs_root, self.submitted = dbfs_root, []

    def submit(self, tasks, **submit_args):
        self.submitted.append((tasks, submit_args))
        env = tasks[0].new_cluster.spark_env_vars
        loader, writer = MountedContextLoader(self.dbfs_root), MountedMessageWriter(self.dbfs_root)
        with PipesContext(PipesMappingParamsLoader(env), loader, writer) as pipes:
            keys = list(pipes.asset_keys)
            tables = [TableWritten(key, ROWS[key], 1.5) for key in [*keys, NEIGHBOUR]]
            report(pipes, RunSummary("cluster-run", 3.0, tables), keys)
        return type("Wait", (), {"bind": lambda self: {"run_id": 7}})()

    def get_run(self, run_id):
        state = jobs.RunState(life_cycle_state=jobs.RunLifeCycleState.TERMINATED, result_state=jobs.RunResultState.SUCCESS)
        return jobs.Run(run_id=run_id, state=state, run_page_url=f"https://adb.example/run/{run_id}")


class FakeWorkspaceClient:
    """What PipesDatabricksClient uses of a WorkspaceClient: jobs and the API client DBFS calls go through."""

    def __init__(self, root: Path):
        self.api_client, self.jobs = FakeDbfs(root), FakeJobs(root)


@pytest.fixture(scope="module")
def specs() -> list[dg.AssetSpec]:
    env = Environment.from_env({}, lake_root="/tmp/insights-databricks-test-lake")
    return remote_specs(build_definitions(env.load_workspace(), env))


def test_the_launch_mirrors_the_local_graph(specs):
    env = Environment.from_env({}, lake_root="/tmp/insights-databricks-test-lake")
    graph = build_definitions(env.load_workspace(), env).resolve_asset_graph()
    assert {s.key for s in specs} == set(graph.materializable_asset_keys)
    spec = {s.key: s for s in specs}[dg.AssetKey(["gold", "customer_ids"])]
    assert {d.asset_key for d in spec.deps} == set(graph.get(spec.key).parent_keys)


def test_a_launch_submits_the_job_cluster_and_reports_each_selected_table(tmp_path, specs):
    client = FakeWorkspaceClient(tmp_path)
    pipes = PipesDatabricksClient(client=client, poll_interval_seconds=0.01,
                                  message_reader=PipesDbfsMessageReader(client=client, interval=0))
    result = dg.materialize(
        [databricks_pipeline(specs)], selection=SELECTED,
        resources={"pipes_databricks": pipes, "databricks_target": TARGET},
        run_config={"ops": {ASSET_NAME: {"config": {"max_workers": 4}}}},
    )
    assert result.success
    (tasks, submit_args), = client.jobs.submitted
    (task,) = tasks
    cluster = task.new_cluster
    assert (cluster.autoscale.min_workers, cluster.autoscale.max_workers) == (2, 4)  # the profile's floor, the run's cap
    assert (cluster.spark_version, cluster.node_type_id) == ("17.3.x-scala2.13", "Standard_D4ds_v5")
    assert [lib.whl for lib in task.libraries] == [TARGET.wheel]
    assert (task.python_wheel_task.package_name, task.python_wheel_task.entry_point) == ("customer_insights",
                                                                                          "insights-databricks")
    assert cluster.spark_env_vars["INSIGHTS_SPARK_PROFILE"] == "databricks"
    assert decode_param(cluster.spark_env_vars["DAGSTER_PIPES_CONTEXT"])["path"].endswith("/context.json")
    assert decode_param(cluster.spark_env_vars["DAGSTER_PIPES_MESSAGES"])["path"].startswith("/tmp/")
    assert submit_args["run_name"] == f"customer-insights {result.run_id[:8]}"
    materialised = [e.materialization for e in result.get_asset_materialization_events()]
    rows = {m.asset_key: m.metadata["dagster/row_count"].value for m in materialised}
    assert rows == {key: ROWS[key.to_user_string()] for key in SELECTED}  # not the neighbour the cluster also wrote
    assert not any((tmp_path / "tmp").iterdir())  # Pipes' DBFS folders were removed


def test_without_a_lower_cap_the_launch_uses_the_profiles(tmp_path, specs):
    client = FakeWorkspaceClient(tmp_path)
    pipes = PipesDatabricksClient(client=client, poll_interval_seconds=0.01,
                                  message_reader=PipesDbfsMessageReader(client=client, interval=0))
    dg.materialize([databricks_pipeline(specs)], selection=SELECTED[:1],
                   resources={"pipes_databricks": pipes, "databricks_target": TARGET})
    (tasks, _), = client.jobs.submitted
    assert tasks[0].new_cluster.autoscale.as_dict() == {"min_workers": 2, "max_workers": 20}
