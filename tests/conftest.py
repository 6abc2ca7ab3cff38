"""Shared fixtures: one Spark session for the whole run, tiny data, a fresh lake per test."""

from __future__ import annotations

import pytest

from schemas.environment import telemetry_off

telemetry_off()


@pytest.fixture(scope="session")
def spark():
    """One SparkSession with Delta for every test (profile infra/spark/test.yaml)."""
    from jobs.session import get_spark

    session = get_spark("test", app_name="customer-insights-tests")
    yield session
    session.stop()


@pytest.fixture()
def lake(tmp_path):
    """A fresh lake root for one test."""
    from schemas.tables import Lake

    return Lake(str(tmp_path / "lake"))
