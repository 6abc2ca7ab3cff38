"""The executor cap: the profile's, lowered by the workspace (compute.max_executors) and the run, never raised (no Spark)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from click.testing import CliRunner

import insights.run
import orchestration.resources
from insights.cli import main
from orchestration.build import build_definitions
from orchestration.resources import SparkResource, run_cap_config
from schemas.environment import Environment
from schemas.errors import WorkspaceError
from schemas.executor_cap import capped_profile, effective_cap
from schemas.spark_profile import load_profile

RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail"


def test_the_lowest_cap_wins_and_none_is_no_say():
    assert effective_cap(8, 4, 2) == 2
    assert effective_cap(8, None, 20) == 8
    assert effective_cap(8, 3, None) == 3
    assert effective_cap(None, None, 5) == 5
    assert effective_cap(None) is None
    with pytest.raises(ValueError, match="at least 1"):
        effective_cap(8, 0)


def test_a_lower_cap_lowers_the_floor_and_start_and_a_higher_one_changes_nothing():
    standalone = load_profile("standalone")
    assert standalone.max_executors == 8
    assert capped_profile(standalone, 20, None) is standalone
    lowered = capped_profile(standalone.model_copy(update={"conf": standalone.conf | {
        "spark.dynamicAllocation.minExecutors": "3", "spark.dynamicAllocation.initialExecutors": "4"}}), 6, 2)
    assert lowered.max_executors == 2
    assert lowered.conf["spark.dynamicAllocation.minExecutors"] == "2"
    assert lowered.conf["spark.dynamicAllocation.initialExecutors"] == "2"


@pytest.fixture()
def started(monkeypatch) -> list:
    """The profiles the Spark resource would start a session with (no Spark starts)."""
    seen = []
    monkeypatch.setattr(orchestration.resources.SparkSession, "getActiveSession", staticmethod(lambda: None))  # the suite's shared one
    monkeypatch.setattr(orchestration.resources, "get_spark", lambda profile, **_: seen.append(profile) or profile)
    return seen


@pytest.mark.parametrize(("workspace", "run", "cap"), [(4, 2, 2), (2, 4, 2), (None, 3, 3), (5, None, 5), (None, 20, 8)])
def test_dagster_run_config_and_the_workspace_reach_the_session(started, workspace, run, cap):
    @dg.asset
    def needs_spark(spark: SparkResource) -> None:
        spark.session()

    spark = SparkResource(profile="standalone", workspace_max_executors=workspace)
    result = dg.materialize([needs_spark], run_config=run_cap_config(run, spark), resources={"spark": spark})
    assert result.success
    assert [profile.max_executors for profile in started] == [cap]


def workspace_with_cap(tmp_path: Path, cap) -> Environment:
    folder = tmp_path / "workspace"
    shutil.copytree(RETAIL, folder, ignore=shutil.ignore_patterns("data"))
    settings = yaml.safe_load((folder / "workspace.yaml").read_text())
    settings["compute"] = {"max_executors": cap}
    (folder / "workspace.yaml").write_text(yaml.safe_dump(settings))
    return Environment.from_env(environ={}, workspace_dir=str(folder), lake_root=str(tmp_path / "lake"),
                                spark_profile="standalone")


def test_the_workspace_key_sets_the_spark_resource(tmp_path, started):
    env = workspace_with_cap(tmp_path, 3)
    resource = build_definitions(env.load_workspace(), env).resources["spark"]
    resource.session()
    assert resource.workspace_max_executors == 3
    assert started[0].max_executors == 3


def test_a_cap_below_one_in_the_workspace_is_refused_with_its_key(tmp_path):
    with pytest.raises(WorkspaceError, match="compute.max_executors"):
        workspace_with_cap(tmp_path, 0).load_workspace()


def test_the_cli_flag_reaches_the_run_and_refuses_zero(tmp_path, monkeypatch):
    asked = {}

    def execute_plan(plan, *args, max_executors=None, **kwargs):
        asked["max_executors"] = max_executors
        return insights.run.RunSummary("r", 0.0)

    monkeypatch.setattr(insights.run, "execute_plan", execute_plan)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    args = ["run", "--workspace", str(RETAIL), "--lake", str(tmp_path / "lake"), "--select", "bronze/crm_contacts"]
    result = CliRunner().invoke(main, [*args, "--max-executors", "2"])
    assert result.exit_code == 0, result.output
    assert asked == {"max_executors": 2}
    assert CliRunner().invoke(main, [*args, "--max-executors", "0"]).exit_code == 2
