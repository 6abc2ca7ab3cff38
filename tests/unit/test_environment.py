"""The environment is read in one place and checked at load: a typo fails before any asset runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from schemas.azure_credentials import AZURE_VARIABLES
from schemas.environment import NO_TELEMETRY, VARIABLES, Environment, InvalidEnvironment, telemetry_off
from schemas.loader import load_workspace
from schemas.spark_profile import available_profiles

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "examples" / "retail"


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    """No INSIGHTS_* or DAGSTER_HOME from the caller's shell (make exports some); a scratch lake."""
    for variable in [*VARIABLES.values(), *AZURE_VARIABLES.values()]:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("INSIGHTS_LAKE", str(tmp_path / "lake"))
    return monkeypatch


def test_defaults(clean_env, tmp_path):
    env = Environment.from_env()
    assert env.workspace_dir == str(RETAIL)
    assert env.lake_root == str(tmp_path / "lake")
    assert (env.spark_profile, env.mlflow_uri, env.data_root) == ("local", None, None)
    assert env.dagster_home == str(Path.cwd() / ".dagster")


def test_every_variable_is_read(clean_env, tmp_path):
    values = {
        "INSIGHTS_WORKSPACE": str(tmp_path / "ws"),
        "INSIGHTS_LAKE": "abfss://lake@account.dfs.core.windows.net/insights",
        "INSIGHTS_DATA": str(tmp_path / "data"),
        "INSIGHTS_SPARK_PROFILE": "test",
        "INSIGHTS_MLFLOW_URI": "http://mlflow:5000",
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    for variable, value in values.items():
        clean_env.setenv(variable, value)
    env = Environment.from_env()
    assert {VARIABLES[field]: value for field, value in env.model_dump(exclude={"azure"}).items()} == values
    assert env.azure is not None and env.azure.method == "managed_identity"  # an abfss lake, no AZURE_* set


def test_overrides_win_over_variables(clean_env, tmp_path):
    clean_env.setenv("INSIGHTS_SPARK_PROFILE", "nosuch")
    env = Environment.from_env(spark_profile="test", lake_root="relative-lake")
    assert env.spark_profile == "test"
    assert env.lake_root == str(Path("relative-lake").resolve())


def test_unknown_profile_fails_at_definitions_load_listing_the_profiles(clean_env):
    from orchestration.build import load_definitions

    clean_env.setenv("INSIGHTS_SPARK_PROFILE", "nosuch")
    with pytest.raises(InvalidEnvironment) as raised:
        load_definitions()
    message = str(raised.value)
    assert "INSIGHTS_SPARK_PROFILE: unknown Spark profile 'nosuch'" in message
    assert f"known: {available_profiles()}" in message


def test_the_dagster_entry_point_fails_on_an_unknown_profile(tmp_path):
    env = os.environ | {"INSIGHTS_SPARK_PROFILE": "nosuch", "INSIGHTS_LAKE": str(tmp_path / "lake"),
                        "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", "import orchestration.definitions"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "InvalidEnvironment" in done.stderr
    assert f"unknown Spark profile 'nosuch' (known: {available_profiles()}" in done.stderr


@pytest.mark.parametrize("lake", ["abfss://lake@account.dfs.core.windows.net/x", "s3://bucket/lake"])
def test_remote_lake_without_mlflow_fails_at_load(clean_env, lake):
    from orchestration.build import load_definitions

    clean_env.setenv("INSIGHTS_LAKE", lake)
    with pytest.raises(InvalidEnvironment, match=rf"the lake root '{lake}' is remote.*set INSIGHTS_MLFLOW_URI"):
        load_definitions()


def test_remote_lake_with_mlflow_and_file_uri_lake_are_accepted(tmp_path):
    remote = Environment(workspace_dir=str(RETAIL), lake_root="s3://bucket/lake", mlflow_uri="http://mlflow:5000")
    assert remote.lake_root == "s3://bucket/lake"
    local = Environment(workspace_dir=str(RETAIL), lake_root=f"file://{tmp_path}")
    assert local.mlflow_uri is None


def test_environment_is_strict():
    with pytest.raises(ValidationError, match="lake_rot"):
        Environment(workspace_dir=str(RETAIL), lake_rot="/tmp/lake")
    with pytest.raises(ValidationError, match="spark_profile"):
        Environment(workspace_dir=str(RETAIL), lake_root="/tmp/lake", spark_profile=3)
    with pytest.raises(ValidationError, match="unknown Spark profile 'laptop'"):
        Environment(workspace_dir=str(RETAIL), lake_root="/tmp/lake", spark_profile="laptop")


def test_data_root_env_overrides(clean_env, tmp_path):
    clean_env.setenv("INSIGHTS_DATA", str(tmp_path))
    workspace = Environment.from_env(workspace_dir=str(RETAIL)).load_workspace()
    assert workspace.source_location("stores") == str(tmp_path / "catalog" / "stores")


def test_the_workspace_loader_reads_no_environment(clean_env, tmp_path):
    clean_env.setenv("INSIGHTS_DATA", str(tmp_path))
    assert load_workspace(RETAIL).source_location("stores") == str(RETAIL / "data" / "catalog" / "stores")


def test_telemetry_off_sets_every_switch(monkeypatch):
    for key in NO_TELEMETRY:
        monkeypatch.delenv(key, raising=False)
    telemetry_off()
    assert {key: os.environ[key] for key in NO_TELEMETRY} == NO_TELEMETRY
