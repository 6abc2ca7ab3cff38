"""Quality across the whole example lake: every table has a suite and passes its gate, is readable
by delta-rs at reader protocol 1, is unchanged by a re-run, and daily activity backfills by day."""

from __future__ import annotations

import json
import shutil
from datetime import date

import dagster as dg
import deltalake
import pandas as pd
import pyarrow as pa
import pytest

from expectations.suite import has_table_file, suites_for_workspace
from orchestration.build import build_definitions
from schemas.environment import Environment
from schemas.loader import load_workspace
from tests.integration.conftest import delta_tables
from tests.integration.fingerprints import table_fingerprint

pytestmark = pytest.mark.integration


def _layer_tables(example, layer: str) -> list[str]:
    return [name.split("/", 1)[1] for name in example.snapshot if name.startswith(f"{layer}/")]


def test_every_silver_and_gold_table_has_a_suite(example):
    ws = load_workspace(example.env.workspace_dir)
    silver = suites_for_workspace(ws)
    for name in _layer_tables(example, "silver"):
        assert name in silver, f"silver/{name} has no suite"
    missing = [n for n in _layer_tables(example, "gold")
               if not has_table_file("gold", n, [ws.root / "expectations"])]
    assert not missing, f"add expectations/suites/gold_<name>.yaml for: {missing}"


def test_every_silver_and_gold_table_was_checked_and_passed_its_gate(example):
    evaluations = {
        ("/".join(c.asset_key.path), c.check_name): c.passed
        for c in _check_evaluations(example)
    }
    for layer in ("silver", "gold"):
        for name in _layer_tables(example, layer):
            assert evaluations.get((f"{layer}/{name}", "quality_gate")) is True, f"{layer}/{name}"
            assert (f"{layer}/{name}", "quality_warnings") in evaluations
    assert evaluations.get(("silver/purchase", "quality_references")) is True  # links resolve


def _check_evaluations(example):
    records = example.instance.get_records_for_run(example.first.run_id).records
    return [
        r.event_log_entry.dagster_event.event_specific_data
        for r in records
        if r.event_log_entry.dagster_event
        and r.event_log_entry.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]


def test_every_table_is_readable_by_delta_rs_as_power_bi_needs(example):
    for name, path in delta_tables(example.env.lake_root).items():
        table = deltalake.DeltaTable(str(path))
        protocol = table.protocol()
        assert protocol.min_reader_version == 1 and not protocol.reader_features, name
        config = table.metadata().configuration
        assert config.get("delta.enableDeletionVectors", "false") == "false", name
        assert config.get("delta.columnMapping.mode", "none") == "none", name
        schema = json.loads(table.schema().to_json())
        assert "timestamp_ntz" not in json.dumps(schema), name
        actions = pa.table(table.get_add_actions(flatten=True)).to_pandas()
        assert not any(c.startswith("deletionVector") for c in actions.columns) or (
            actions.filter(like="deletionVector").isna().all().all()
        ), name
        table.to_pyarrow_table()  # and every row reads


def test_rerunning_every_asset_leaves_every_table_unchanged(example):
    rerun = {"/".join(t.key.split("/")) for t in example.second.tables}
    assert {f"silver/{n}" for n in _layer_tables(example, "silver")} <= rerun
    assert {f"gold/{n}" for n in _layer_tables(example, "gold")} <= rerun
    now = {name: table_fingerprint(path) for name, path in delta_tables(example.env.lake_root).items()}
    changed = sorted(n for n in example.fingerprints if now.get(n) != example.fingerprints[n])
    assert not changed, f"content changed on a re-run with the same inputs: {changed}"


def test_daily_activity_counts_equal_a_pandas_recount_of_silver(example):
    ws = load_workspace(example.env.workspace_dir)
    activity = example.table("gold/daily_activity")
    expected = []
    for type_name in ws.model.interactions:
        silver = example.table(f"silver/{type_name}")
        channel = silver["channel"].str.lower().fillna("unknown") if "channel" in silver else "unknown"
        expected.append(pd.DataFrame({
            "day": pd.to_datetime(silver["occurred_at"], utc=True).dt.date,
            "interaction_type": type_name, "channel": channel,
        }))
    counts = pd.concat(expected).value_counts().rename("interactions").reset_index()
    merged = activity.merge(counts, on=["day", "interaction_type", "channel"], how="outer",
                            suffixes=("", "_pandas"))
    assert len(merged) == len(activity) == len(counts)
    assert (merged["interactions"] == merged["interactions_pandas"]).all()


def test_backfilling_one_day_of_daily_activity_replaces_that_day_only(example, tmp_path, spark):
    lake = tmp_path / "lake"
    shutil.copytree(example.lake, lake, ignore=shutil.ignore_patterns("mlflow"))
    before = deltalake.DeltaTable(str(lake / "gold" / "daily_activity")).to_pandas()
    web = before[before["interaction_type"] == "web_visit"].sort_values("interactions")
    day, other_day = web["day"].iloc[-1], web["day"].iloc[-2]  # the two busiest web days
    visits = str(lake / "silver" / "web_visit")
    spark.sql(f"DELETE FROM delta.`{visits}` WHERE to_date(occurred_at) IN "
              f"(DATE'{day.isoformat()}', DATE'{other_day.isoformat()}')")

    env = Environment(workspace_dir=example.env.workspace_dir, lake_root=str(lake), spark_profile="test")
    defs = build_definitions(load_workspace(env.workspace_dir), env)
    key = dg.AssetKey(["gold", "daily_activity"])
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), asset_selection=[key],
                                    partition_key=day.isoformat(), raise_on_error=False)
    assert result.success
    [materialization] = result.asset_materializations_for_node("gold__daily_activity")
    assert materialization.partition == day.isoformat()

    after = deltalake.DeltaTable(str(lake / "gold" / "daily_activity")).to_pandas()
    key_cols = ["day", "interaction_type", "channel"]
    gone = lambda df, d: (df[(df["day"] == d) & (df["interaction_type"] == "web_visit")]  # noqa: E731
                          .sort_values(key_cols).reset_index(drop=True))  # files' order is no promise
    assert gone(after, day).empty  # the backfilled day follows silver: no web visits left
    assert gone(after, other_day).equals(gone(before, other_day))  # not backfilled: as it was
    rest = lambda df: df[df["day"] != day].sort_values(key_cols).reset_index(drop=True)  # noqa: E731
    assert rest(after).equals(rest(before))
    same_day_others = after[(after["day"] == day) & (after["interaction_type"] != "web_visit")]
    assert same_day_others.sort_values(key_cols).reset_index(drop=True).equals(
        before[(before["day"] == day) & (before["interaction_type"] != "web_visit")]
        .sort_values(key_cols).reset_index(drop=True)
    )
    assert isinstance(day, date)
