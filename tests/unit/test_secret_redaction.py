"""A recognisable fake secret set in the environment appears in nothing we print, log, show in Dagster or give Spark's UI.

What needs a live Spark run (the environment page of a running session, the event log) is left to the
full pipeline check; here every rendering we own is searched, and Spark's own redaction is checked by
applying spark.redaction.regex the way Spark does (a property is masked if its key or its value matches).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner

from insights.cli import main
from insights.environment import describe_environment
from jobs import session
from jobs.abfs import REDACTION_REGEX, SQL_OPTIONS_REDACTION_REGEX
from jobs.session import lake_access, session_conf
from orchestration.build import build_definitions
from schemas.azure_credentials import AZURE_VARIABLES
from schemas.environment import VARIABLES, Environment, InvalidEnvironment
from schemas.redaction import MASK, redact_settings, redact_uri
from schemas.spark_profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "examples" / "retail"
LAKE = "abfss://lake@contoso.dfs.core.windows.net/insights"
CLIENT_SECRET = "FAKE-SECRET-c0ffee-91b2"
SAS_SIGNATURE = "FAKESIG-c0ffee-91b2"
DB_PASSWORD = "FAKE-DBPASS-c0ffee-91b2"
SECRETS = (CLIENT_SECRET, SAS_SIGNATURE, DB_PASSWORD)
METHODS = {
    "service_principal": {"AZURE_CLIENT_ID": "cid", "AZURE_TENANT_ID": "tid", "AZURE_CLIENT_SECRET": CLIENT_SECRET},
    "sas": {"AZURE_STORAGE_SAS_TOKEN": f"sv=2024-11-04&sr=d&sp=r&se=2030-01-01&sig={SAS_SIGNATURE}"},
}


@pytest.fixture(params=list(METHODS))
def secret_env(request, monkeypatch, tmp_path) -> Environment:
    """The process environment of an abfss deployment whose credential is a fake secret, MLflow URI with a password."""
    for variable in [*VARIABLES.values(), *AZURE_VARIABLES.values()]:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in METHODS[request.param].items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("INSIGHTS_LAKE", LAKE)
    monkeypatch.setenv("INSIGHTS_MLFLOW_URI", f"postgresql://mlflow:{DB_PASSWORD}@db.internal:5432/mlflow")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setattr(session, "ensure_delta_jar_reachable", lambda timeout=15.0, package=None: None)
    return Environment.from_env(workspace_dir=str(RETAIL))


def _nowhere(text: str) -> None:
    """None of the fake secrets is in text."""
    assert not [s for s in SECRETS if s in text], text


def test_the_environment_renders_without_the_secret(secret_env):
    _nowhere(repr(secret_env) + str(secret_env) + secret_env.model_dump_json())
    shown = describe_environment(secret_env)
    _nowhere(shown)
    assert f"mlflow    postgresql://mlflow:{MASK}@db.internal:5432/mlflow" in shown
    assert f"azure     {secret_env.azure.method.value}" in shown


def test_insights_run_prints_the_environment_without_the_secret(secret_env):
    result = CliRunner().invoke(main, ["run", "--workspace", str(RETAIL), "--select", "tag:nosuch=tag"])
    assert result.exit_code == 2, result.output  # stops at the selection, before Spark
    assert f"lake      {LAKE}" in result.output
    _nowhere(result.output)


def test_the_session_carries_the_secret_and_spark_redacts_every_property_holding_it(secret_env, caplog):
    with caplog.at_level(logging.DEBUG, logger="jobs.session"):
        conf = session_conf(load_profile("test"), lake_access(secret_env.lake_root))
    holding = {k: v for k, v in conf.items() if any(s in v for s in SECRETS)}
    assert holding  # the connector needs it: it must be there, and only behind a redacted key or value
    spark_pattern = re.compile(conf["spark.redaction.regex"])
    assert conf["spark.redaction.regex"] == REDACTION_REGEX
    assert all(spark_pattern.search(k) or spark_pattern.search(v) for k, v in holding.items()), holding
    assert not any(spark_pattern.search(k) for k in conf if "oauth.provider.type" in k or "client.id" in k)
    assert re.compile(conf["spark.sql.redaction.options.regex"]).search("sas_token")
    assert "Spark settings of profile test" in caplog.text
    _nowhere(caplog.text)
    _nowhere(str(redact_settings(conf)))
    assert SQL_OPTIONS_REDACTION_REGEX.startswith("(?i)url")  # Spark's default for options stays covered


def test_dagster_resource_config_and_asset_metadata_hold_no_secret(secret_env):
    """The Dagster UI shows every resource's config: the credentials stay in the environment, read at session start."""
    defs = build_definitions(secret_env.load_workspace(), secret_env)
    graph = defs.resolve_asset_graph()
    assert len(graph.get_all_asset_keys()) > 20  # the whole retail graph, every section
    shown = [f"{graph.get(key).metadata} {graph.get(key).description} {graph.get(key).tags}"
             for key in graph.get_all_asset_keys()]
    assert any("source_format" in text for text in shown)  # the definitions' own metadata is what was searched
    _nowhere(" ".join(shown))
    resources = defs.resources or {}
    assert {"spark", "lake", "mlflow"} <= set(resources)
    for resource in resources.values():
        assert isinstance(resource, dg.ConfigurableResource)
        _nowhere(resource.model_dump_json())
    assert resources["spark"].lake_root == LAKE  # the session knows where, not with what
    assert resources["mlflow"].tracking_uri == dg.EnvVar("INSIGHTS_MLFLOW_URI")  # named, read at run time


def test_the_mlflow_resource_still_reaches_the_store_it_names(secret_env):
    defs = build_definitions(secret_env.load_workspace(sections=False), secret_env)
    mlflow = defs.resources["mlflow"]
    assert mlflow.process_config_and_initialize().tracking_uri == secret_env.mlflow_uri


def test_a_sas_put_into_the_lake_root_is_refused_without_repeating_it(monkeypatch):
    monkeypatch.setenv("INSIGHTS_MLFLOW_URI", "http://mlflow:5000")
    lake = f"{LAKE}?sv=2024-11-04&sig={SAS_SIGNATURE}"
    with pytest.raises(InvalidEnvironment, match="is not an ADLS Gen2 location") as raised:
        Environment.from_env(workspace_dir=str(RETAIL), lake_root=lake)
    _nowhere(str(raised.value))
    _nowhere(str(raised.value.__cause__))  # the validation error a traceback shows below it


def test_uris_lose_passwords_and_sas_signatures_only():
    sas_url = f"https://contoso.blob.core.windows.net/exports/gold?sv=2024-11-04&sr=d&sig={SAS_SIGNATURE}&se=2030"
    assert redact_uri(sas_url) == f"https://contoso.blob.core.windows.net/exports/gold?sv=2024-11-04&sr=d&sig={MASK}&se=2030"
    assert redact_uri(f"postgresql://mlflow:{DB_PASSWORD}@db:5432/m") == f"postgresql://mlflow:{MASK}@db:5432/m"
    for plain in (LAKE, "http://mlflow:5000", "/data/lake", "sqlite:////data/lake/mlflow/mlflow.db"):
        assert redact_uri(plain) == plain
