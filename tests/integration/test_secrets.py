"""A full run with a service principal's secret in the environment leaves it nowhere: not in Dagster's
events, the lake (tables, logs, the MLflow store and artifacts), the logs, or what Spark's environment
page shows; an abfss session that carries it has Spark mask it.

The example fixture ran both of its runs with tests/integration/conftest.py's FAKE_AZURE set (a
local lake, so Spark itself was never given the secret); the abfss session's settings are checked
through Spark's own redaction in the running JVM, as its environment page applies it.
"""

from __future__ import annotations

import pytest

from jobs import session
from jobs.session import lake_access, session_conf
from schemas.spark_profile import load_profile
from tests.integration.conftest import FAKE_AZURE, fake_service_principal

pytestmark = pytest.mark.integration
SECRET = FAKE_AZURE["AZURE_CLIENT_SECRET"]


def test_no_dagster_event_or_run_record_holds_the_secret(example):
    runs = example.instance.get_runs()  # the example's two, and re-runs other tests made on its instance
    assert {example.first.run_id, example.second.run_id} <= {r.run_id for r in runs}
    assert len(example.instance.all_logs(example.first.run_id)) > 100  # the whole graph: steps, tables, checks
    for run in runs:
        events = example.instance.all_logs(run.run_id)
        assert SECRET not in repr(events), f"run {run.run_id}"
        assert SECRET not in repr(run.run_config) + repr(run.tags)


def test_no_file_under_the_lake_holds_the_secret(example):
    files = [p for p in example.lake.rglob("*") if p.is_file()]
    assert any(p.name == "mlflow.db" for p in files) and any("_delta_log" in p.parts for p in files)
    assert any("artifacts" in p.parts for p in files)  # MLflow's artifacts: models, plots, profiles
    holding = [str(p.relative_to(example.lake)) for p in files if SECRET.encode() in p.read_bytes()]
    assert not holding


def test_no_log_holds_the_secret(example):
    python_log = example.lake.parent / "python.log"
    jvm_log = example.jvm_log  # the driver that ran both runs, whichever worker this test is on
    assert python_log.stat().st_size > 0 and jvm_log.exists()
    for log in (python_log, jvm_log):
        assert SECRET not in log.read_text(errors="replace"), log


def test_the_running_sessions_environment_page_holds_no_secret(example, spark):
    info = spark.sparkContext._jsc.sc().statusStore().environmentInfo()
    shown = " ".join(str(part) for part in (info.sparkProperties(), info.hadoopProperties(),
                                              info.systemProperties(), info.classpathEntries()))
    assert "spark.redaction.regex" in shown and SECRET not in shown


def test_an_abfss_session_carries_the_secret_and_spark_masks_it(spark, monkeypatch, tmp_path):
    monkeypatch.setattr(session, "ensure_delta_jar_reachable", lambda timeout=15.0, package=None: None)
    with fake_service_principal(tmp_path / "python.log"):
        conf = session_conf(load_profile("test"), lake_access("abfss://lake@contoso.dfs.core.windows.net/insights"))
    holding = [k for k, v in conf.items() if SECRET in v]
    assert holding  # the connector needs it in the session's settings
    jvm = spark.sparkContext._jvm
    spark_conf = jvm.org.apache.spark.SparkConf(False)
    for key, value in conf.items():
        spark_conf.set(key, value)
    entries = jvm.java.util.ArrayList()
    for key, value in conf.items():
        entries.add(jvm.scala.Tuple2(key, value))
    as_seq = jvm.scala.jdk.javaapi.CollectionConverters.asScala(entries).toSeq()
    shown = jvm.org.apache.spark.util.Utils.redact(spark_conf, as_seq)
    pairs = {shown.apply(i)._1(): shown.apply(i)._2() for i in range(shown.length())}
    assert set(pairs) == set(conf)
    assert not [k for k, v in pairs.items() if SECRET in v]
    assert all("redacted" in pairs[k] for k in holding)
    assert pairs["spark.sql.extensions"] == conf["spark.sql.extensions"]  # only what matches is masked
