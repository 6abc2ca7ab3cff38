"""Spark profiles are data; a missing Delta jar fails with a clear message."""

from __future__ import annotations

import pytest

from jobs import session
from jobs.session import SparkSetupError, available_profiles, delta_package, load_profile, session_conf


def test_shipped_profiles():
    assert {"local", "test", "standalone", "kubernetes", "databricks"} <= set(available_profiles())


@pytest.mark.parametrize("name", ["standalone", "kubernetes"])
def test_cluster_profiles_scale_between_a_floor_and_a_cap(name):
    profile = load_profile(name)
    assert profile.conf["spark.dynamicAllocation.enabled"] == "true"
    assert profile.conf["spark.dynamicAllocation.shuffleTracking.enabled"] == "true"
    floor = int(profile.conf["spark.dynamicAllocation.minExecutors"])
    assert profile.max_executors is not None and 1 <= floor <= profile.max_executors


def test_environment_references_expand(monkeypatch):
    monkeypatch.setenv("INSIGHTS_SPARK_MASTER", "spark://10.0.0.5:7077")
    assert load_profile("standalone").master == "spark://10.0.0.5:7077"
    monkeypatch.delenv("INSIGHTS_SPARK_MASTER")
    assert load_profile("standalone").master == "spark://127.0.0.1:7077"


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(SparkSetupError, match=r"unknown Spark profile 'laptop' \(known: \["):
        load_profile("laptop")


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
