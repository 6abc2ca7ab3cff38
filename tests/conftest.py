"""Shared fixtures: one Spark session per test process, tiny data, a fresh lake per test.

`make test` runs two pytest-xdist workers (one per core), each with its own session; tests/scheduling.py
says which tests go together.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest

from schemas.environment import telemetry_off
from tests.across_workers import exclusive

telemetry_off()

# An xdist worker's __main__ is execnet's, with neither __spec__ nor __file__; pyspark.sql.connect
# (imported by Great Expectations) takes that for a doctest run and calls sys.exit(0).
if getattr(sys.modules["__main__"], "__spec__", None) is None and not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = "<pytest-xdist worker>"

# Spark's Ivy resolver copies the Delta and hadoop-azure jars into one cache; two workers starting
# at once on a fresh machine would both download and write them, so sessions start one at a time.
SESSION_START_LOCK = Path(tempfile.gettempdir()) / "customer-insights-spark-start.lock"


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook, absent when xdist is not loaded
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Module by module, the example started first (tests/scheduling.py)."""
    from tests.scheduling import ExampleFirstThenUnits

    return ExampleFirstThenUnits(config, log)


@pytest.fixture(autouse=True)
def no_graph(monkeypatch):
    """No test asks Microsoft Graph: the process's group lookup has no Entra identity (tests inject their own)."""
    from insights.access import groups
    from tests.unit.graph_transport import FakeGraph, NoIdentity

    monkeypatch.setattr(groups, "_PROCESS", groups.GroupLookup(NoIdentity(), transport=FakeGraph()))


@pytest.fixture(scope="session")
def spark():
    """One SparkSession with Delta for every test of this process (profile infra/spark/test.yaml)."""
    from jobs.session import get_spark

    with exclusive(SESSION_START_LOCK):
        session = get_spark("test", app_name="customer-insights-tests")
    yield session
    session.stop()


@pytest.fixture()
def lake(tmp_path):
    """A fresh lake root for one test."""
    from schemas.tables import Lake

    return Lake(str(tmp_path / "lake"))
