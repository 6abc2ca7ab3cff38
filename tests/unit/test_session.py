"""Spark profiles are strict, typed data; a missing Delta jar fails with a clear message."""

from __future__ import annotations

import pytest

from jobs import session
from jobs.session import SparkSetupError, delta_package, session_conf
from schemas.spark_profile import SparkProfileError, available_profiles, load_profile


def test_shipped_profiles():
    assert {"local", "test", "standalone", "kubernetes", "databricks"} <= set(available_profiles())


@pytest.mark.parametrize("name", ["standalone", "kubernetes"])
def test_cluster_profiles_scale_between_a_floor_and_a_cap(name):
    profile = load_profile(name)
    assert profile.conf["spark.dynamicAllocation.enabled"] == "true"
    assert profile.conf["spark.dynamicAllocation.shuffleTracking.enabled"] == "true"
    floor = int(profile.conf["spark.dynamicAllocation.minExecutors"])
    assert profile.max_executors is not None and 0 <= floor < profile.max_executors


def test_environment_references_expand(monkeypatch):
    monkeypatch.setenv("INSIGHTS_SPARK_MASTER", "spark://10.0.0.5:7077")
    assert load_profile("standalone").master == "spark://10.0.0.5:7077"
    monkeypatch.delenv("INSIGHTS_SPARK_MASTER")
    assert load_profile("standalone").master == "spark://127.0.0.1:7077"


def test_a_setting_whose_variable_is_unset_is_left_to_spark(monkeypatch):
    monkeypatch.delenv("INSIGHTS_EXECUTOR_JAVA_OPTIONS", raising=False)
    monkeypatch.delenv("INSIGHTS_DRIVER_JAVA_OPTIONS", raising=False)
    conf = load_profile("standalone").conf
    assert "spark.executor.extraJavaOptions" not in conf and "spark.driver.extraJavaOptions" not in conf
    monkeypatch.setenv("INSIGHTS_EXECUTOR_JAVA_OPTIONS", "-XX:+UseParallelGC")
    assert load_profile("standalone").conf["spark.executor.extraJavaOptions"] == "-XX:+UseParallelGC"


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(SparkProfileError, match=r"unknown Spark profile 'laptop' \(known: \["):
        load_profile("laptop")


@pytest.mark.parametrize("name", ["bench", "databricks", "kubernetes", "local", "standalone", "test"])
def test_every_shipped_profile_is_valid(name):
    assert load_profile(name).name == name


def test_unknown_key_in_a_profile_names_the_file_and_key(tmp_path):
    (tmp_path / "laptop.yaml").write_text("master: local[2]\nconf:\n  spark.ui.enabled: 'false'\nexecutors: 4\n")
    with pytest.raises(SparkProfileError) as raised:
        load_profile("laptop", folder=tmp_path)
    assert f"{tmp_path / 'laptop.yaml'}: executors: unknown key (known: [" in str(raised.value)


def test_a_wrong_value_in_a_profile_names_the_file_and_key(tmp_path):
    (tmp_path / "laptop.yaml").write_text("master: local[2]\ndelta_jar: download\n")
    with pytest.raises(SparkProfileError, match=r"laptop.yaml: delta_jar: Input should be 'maven' or 'builtin'"):
        load_profile("laptop", folder=tmp_path)


def test_conf_values_are_spark_text(tmp_path):
    (tmp_path / "laptop.yaml").write_text("master: local[2]\nconf:\n  spark.ui.enabled: false\n  spark.x: 8\n")
    assert load_profile("laptop", folder=tmp_path).conf == {"spark.ui.enabled": "false", "spark.x": "8"}


def test_delta_is_wired_into_every_session():
    conf = session_conf(load_profile("test"))
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert conf["spark.jars.packages"] == delta_package()
    assert delta_package().startswith("io.delta:delta-spark_4.2_2.13:4.4.")


def test_unreachable_maven_central_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(session, "ivy_jar_dir", lambda: tmp_path)  # nothing cached
    monkeypatch.setattr(session, "MAVEN_CENTRAL", "http://127.0.0.1:9")  # nothing listens
    with pytest.raises(SparkSetupError, match="fetching it from Maven Central failed"):
        session.ensure_delta_jar_reachable(timeout=2)


def _databricks_like(tmp_path, autoscale: str, cluster: str = "cluster: {spark_version: 17.3.x-scala2.13, node_type_id: n}",
                     master: str = "null"):
    (tmp_path / "dbx.yaml").write_text(f"master: {master}\ndelta_jar: builtin\nautoscale: {autoscale}\n{cluster}\n")
    return load_profile("dbx", folder=tmp_path)


def test_the_databricks_profile_has_a_typed_job_cluster():
    profile = load_profile("databricks")
    assert profile.master is None and profile.autoscale is not None and profile.cluster is not None
    assert 0 <= profile.autoscale.min_workers <= profile.autoscale.max_workers
    assert profile.cluster.spark_version and profile.cluster.node_type_id


@pytest.mark.parametrize(("autoscale", "message"), [
    ("{min_workers: 5, max_workers: 2}", r"dbx.yaml: autoscale: min_workers \(5\) is above max_workers \(2\)"),
    ("{min_workers: '2', max_workers: 4}", r"dbx.yaml: autoscale.min_workers: Input should be a valid integer"),
    ("{min_workers: 0, max_workers: 0}", r"dbx.yaml: autoscale.max_workers: Input should be greater than or equal to 1"),
    ("{min_workers: 1, max_workers: 4, max: 9}",
     r"dbx.yaml: autoscale.max: unknown key \(known: \['max_workers', 'min_workers'\]\)"),
])
def test_a_wrong_worker_range_names_the_file_and_key(tmp_path, autoscale, message):
    with pytest.raises(SparkProfileError, match=message):
        _databricks_like(tmp_path, autoscale)


def test_a_job_cluster_needs_no_master_and_both_its_blocks(tmp_path):
    with pytest.raises(SparkProfileError, match=r"autoscale: a platform's job cluster, so master must be null"):
        _databricks_like(tmp_path, "{min_workers: 1, max_workers: 4}", master="local[2]")
    with pytest.raises(SparkProfileError, match=r"autoscale needs cluster too"):
        _databricks_like(tmp_path, "{min_workers: 1, max_workers: 4}", cluster="")
