"""A source that fails fails alone all the way down: one Dagster run of the mini workspace whose CRM
export (contacts) lost its key column still builds silver/customer and gold from the other sources
and from contacts' last good bronze, says which source failed, and how stale it is."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from deltalake import DeltaTable

from insights.run import execute_plan, plan_run
from jobs.bronze import land_source
from schemas.environment import Environment
from schemas.loader import load_workspace
from schemas.tables import Lake
from tests.unit.mini import MINI

# The next CRM export: its key column (required) is called contact_id now.
BROKEN = "contact_id,First Name,last,email\n7,Hal,Ito,hal@example.com\n"
DAYS_STALE = 3


@pytest.fixture(scope="module")
def broken_run(spark, tmp_path_factory):
    """contacts landed 3 days ago; then a run with its broken export and the other sources' first files."""
    base = tmp_path_factory.mktemp("failing_source")
    shutil.copytree(MINI, base / "mini")
    ws, lake = load_workspace(base / "mini"), Lake(str(base / "lake"))
    good_landing = (datetime.now(UTC) - timedelta(days=DAYS_STALE)).replace(microsecond=0)
    land_source(spark, "contacts", ws.sources["contacts"], ws.model, ws.source_location("contacts"), lake,
                now=good_landing, region="GB")
    (base / "mini" / "data" / "contacts" / "contacts_2.csv").write_text(BROKEN)
    bronze_version = DeltaTable(lake.bronze("contacts")).version()
    env = Environment(workspace_dir=str(base / "mini"), lake_root=lake.root, spark_profile="test")
    plan = plan_run(env)
    # every asset, and of the checks only the sources' own (the suites are tested elsewhere): ~20 s less
    checks = {k for k in plan.job.asset_layer.asset_graph.asset_check_keys if k.asset_key.path[0] == "bronze"}
    job = plan.job.get_subset(asset_selection=set(plan.job.asset_layer.asset_graph.materializable_asset_keys),
                              asset_check_selection=checks)
    instance = dg.DagsterInstance.ephemeral()
    summary = execute_plan(replace(plan, job=job), instance, log_level="ERROR")
    return summary, instance, lake, good_landing, bronze_version


def _events(instance, run_id, kind):
    records = instance.get_records_for_run(run_id).records
    return [r.event_log_entry.dagster_event for r in records
            if r.event_log_entry.dagster_event and r.event_log_entry.dagster_event.event_type == kind]


def _check(instance, run_id, asset: str, name: str):
    [evaluation] = [e.event_specific_data for e in _events(instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION)
                    if e.event_specific_data.asset_key.to_user_string() == asset
                    and e.event_specific_data.check_name == name]
    return evaluation


def test_silver_and_gold_are_built_in_the_run_and_the_run_names_the_failed_source(broken_run):
    summary, instance, _, _, _ = broken_run
    written = {e.asset_key.to_user_string()
               for e in _events(instance, summary.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)}
    assert {"bronze/members", "bronze/orders", "silver/customer", "silver/purchase",
            "gold/customer_measures"} <= written
    assert summary.failures == {} and not summary.success  # no step failed, yet the run did
    [(source, message)] = summary.sources_failed.items()
    assert source == "contacts"
    assert "required column(s) ['id'] missing" in message and "contacts_2.csv" in message
    assert f"FAILED source contacts (nothing landed; silver kept its last good bronze): {message}" in summary.render()
    landing = _check(instance, summary.run_id, "bronze/contacts", "landing")
    assert not landing.passed and landing.severity == dg.AssetCheckSeverity.ERROR
    assert landing.description == message
    assert _check(instance, summary.run_id, "bronze/members", "landing").passed
    assert "insights/source_failed/contacts" in instance.get_run_by_id(summary.run_id).tags


def test_the_failed_sources_silver_rows_are_its_last_good_bronze(broken_run):
    summary, _, lake, _, bronze_version = broken_run
    assert DeltaTable(lake.bronze("contacts")).version() == bronze_version  # nothing landed
    silver = DeltaTable(lake.silver("customer")).to_pandas()
    # contacts_1.csv read by pandas: the rows with the header's number of fields, an id and a real
    # date of birth (dd/MM/yyyy) if any; the others are in quarantine
    first = pd.read_csv(MINI / "data" / "contacts" / "contacts_1.csv", dtype=str, on_bad_lines="skip")
    born = pd.to_datetime(first["dob"], format="%d/%m/%Y", errors="coerce")
    first = first[first["id"].notna() & (first["dob"].isna() | born.notna())]
    good_ids = {f"contacts:{i}" for i in first["id"]}
    contacts = silver[silver["source"] == "contacts"]
    assert set(contacts["record_id"]) == good_ids and len(contacts) == len(good_ids)
    assert set(contacts["_batch_id"]) == {1}  # the batch landed before the broken export
    members = DeltaTable(lake.bronze("members")).to_pandas()  # the other source, landed in this run
    assert len(members) > 0
    assert set(silver[silver["source"] == "members"]["record_id"]) == {f"members:{m}" for m in members["member_no"]}


def test_gold_counts_the_failed_sources_customers_from_their_last_good_bronze(broken_run):
    _, _, lake, _, _ = broken_run
    orders = pd.read_json(MINI / "data" / "orders" / "orders_1.jsonl", lines=True, dtype={"contact": str})
    orders = orders[pd.to_datetime(orders["at"], errors="coerce", utc=True).notna()]  # a bad date is quarantined
    expected = orders.groupby("contact").size()
    measures = DeltaTable(str(Path(lake.root) / "gold" / "customer_measures")).to_pandas().set_index("record_id")
    for contact in ("1", "2"):
        assert measures.loc[f"contacts:{contact}", "order_count"] == expected[contact], contact

def test_the_freshness_check_says_how_long_since_the_last_good_landing(broken_run):
    summary, instance, _, good_landing, _ = broken_run
    fresh = _check(instance, summary.run_id, "bronze/contacts", "freshness")
    assert not fresh.passed and fresh.severity == dg.AssetCheckSeverity.WARN
    assert fresh.metadata["dagster/last_updated_timestamp"].value == good_landing.timestamp()
    assert abs(fresh.metadata["stale_for_hours"].value - DAYS_STALE * 24) < 0.5
    assert f"last good landing {DAYS_STALE} d 0 h" in fresh.description
    assert f"{good_landing:%Y-%m-%d %H:%M} UTC" in fresh.description
    assert _check(instance, summary.run_id, "bronze/members", "freshness").passed  # landed in this run
    [bronze] = [e for e in _events(instance, summary.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)
                if e.asset_key.to_user_string() == "bronze/contacts"]
    metadata = bronze.step_materialization_data.materialization.metadata
    assert metadata["dagster/last_updated_timestamp"].value == good_landing.timestamp()
    assert "['id']" in metadata["landing_failed"].value
