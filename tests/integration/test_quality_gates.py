"""In one Dagster run of the mini workspace: a broken silver table stops its gold asset, and a
source missing a required column fails alone (its landing check) while silver, the other sources
and everything downstream still materialise."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from insights.run import run_pipeline
from schemas.environment import Environment

pytestmark = pytest.mark.integration

MINI = Path(__file__).resolve().parents[1] / "data" / "mini"

# A fourth source for a type no gold table reads; its file lacks the required column 'at'.
VISIT_MODEL = """
  visit:
    attributes:
      page: {type: string}
    links:
      customer: {profile: customer}
"""
VISIT_SOURCE = """
  visits:
    location: visits
    format: json
    target: {interaction: visit}
    key: visit_id
    required: [visit_id, at]
    mapping: {occurred_at: at, page: page}
"""
# Deliberately broken: contacts:3 has no usable email, and the workspace says that is an error.
BROKEN_SUITE = """
expectations:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: email}
    severity: error
    description: every customer has an email (a rule of this test)
"""
# A warning that fails: orders O2 (20.0) is above it.
WARNING_SUITE = """
expectations:
  - type: expect_column_values_to_be_between
    kwargs: {column: amount, max_value: 10.5}
    severity: warn
    description: small orders only (a rule of this test)
"""


@pytest.fixture(scope="module")
def gated_run(tmp_path_factory, spark):
    base = tmp_path_factory.mktemp("gates")
    workspace = base / "mini"
    shutil.copytree(MINI, workspace)
    model = (workspace / "model.yaml").read_text().replace("interactions:\n", "interactions:" + VISIT_MODEL, 1)
    (workspace / "model.yaml").write_text(model)
    (workspace / "sources.yaml").write_text((workspace / "sources.yaml").read_text() + VISIT_SOURCE)
    (workspace / "data" / "visits").mkdir()
    (workspace / "data" / "visits" / "visits_1.jsonl").write_text('{"visit_id": "V1", "page": "/"}\n')
    (workspace / "expectations").mkdir()
    (workspace / "expectations" / "silver_customer.yaml").write_text(BROKEN_SUITE)
    (workspace / "expectations" / "silver_purchase.yaml").write_text(WARNING_SUITE)
    env = Environment(workspace_dir=str(workspace), lake_root=str(base / "lake"), spark_profile="test")
    instance = dg.DagsterInstance.ephemeral()
    summary = run_pipeline(env, instance=instance, log_level="ERROR")
    return summary, instance


def _materialized(instance, run_id) -> set[str]:
    records = instance.get_records_for_run(run_id).records
    return {
        "/".join(r.event_log_entry.dagster_event.asset_key.path)
        for r in records
        if r.event_log_entry.dagster_event and r.event_log_entry.dagster_event.is_step_materialization
    }


def _check(instance, run_id, asset: str, name: str):
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event and event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if "/".join(evaluation.asset_key.path) == asset and evaluation.check_name == name:
                return evaluation
    raise AssertionError(f"no evaluation of {name} on {asset}")


def test_broken_silver_table_stops_its_gold_asset_in_the_same_run(gated_run):
    summary, instance = gated_run
    done = _materialized(instance, summary.run_id)
    assert {"silver/customer", "silver/purchase"} <= done
    assert "gold/customer_measures" not in done
    assert "silver/customer: quality_gate" in summary.checks_failed
    assert "silver/purchase: quality_gate" not in summary.checks_failed
    gate = _check(instance, summary.run_id, "silver/customer", "quality_gate")
    assert not gate.passed and gate.severity == dg.AssetCheckSeverity.ERROR
    failing = gate.metadata["failing_rows"].value
    assert failing == {
        "every customer has an email (a rule of this test)": {
            "unexpected": 1, "sample": [{"record_id": "contacts:3", "email": None}], "observed": None,
        }
    }


def test_warnings_show_samples_and_the_gate_of_the_same_table_passes(gated_run):
    summary, instance = gated_run
    warnings = _check(instance, summary.run_id, "silver/purchase", "quality_warnings")
    assert not warnings.passed and warnings.severity == dg.AssetCheckSeverity.WARN
    detail = warnings.metadata["failing_rows"].value["small orders only (a rule of this test)"]
    assert detail["unexpected"] == 1
    assert detail["sample"] == [{"record_id": "orders:O2", "amount": 20.0}]
    assert _check(instance, summary.run_id, "silver/purchase", "quality_gate").passed


def test_referential_check_waits_for_its_profile_table(gated_run):
    summary, instance = gated_run
    # silver/customer failed its gate, so the check reading it does not run on a broken table
    with pytest.raises(AssertionError, match="no evaluation"):
        _check(instance, summary.run_id, "silver/purchase", "quality_references")


def test_source_missing_a_required_column_fails_alone(gated_run):
    summary, instance = gated_run
    done = _materialized(instance, summary.run_id)
    assert not [s for s in summary.failures if "visits" in s]  # its step did not fail: silver/visit ran
    message = summary.sources_failed["visits"]
    assert message.startswith("source 'visits': required column(s) ['at'] missing in") and "visits_1.jsonl" in message
    assert not summary.success and "FAILED source visits" in summary.render()
    landing = _check(instance, summary.run_id, "bronze/visits", "landing")
    assert not landing.passed and landing.severity == dg.AssetCheckSeverity.ERROR
    assert landing.description == message
    assert {"bronze/contacts", "bronze/members", "bronze/orders"} <= done
    # visits never landed: its bronze is reported as it is (no table), and silver/visit is built
    # from its last good bronze, which is nothing: an empty table
    assert {"bronze/visits", "silver/visit"} <= done
    assert list(summary.sources_failed) == ["visits"]
    fresh = _check(instance, summary.run_id, "bronze/visits", "freshness")
    assert not fresh.passed and fresh.description.startswith("never landed")
