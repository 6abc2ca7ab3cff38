"""gold/customer_360 and gold/customer_timeline on the example: a re-run changes nothing, new
purchases for three customers change only their rows. Read with delta-rs and pandas, not Spark."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import deltalake
import pandas as pd
import pytest

from insights.run import run_pipeline
from schemas.catalog import CUSTOMER_360, CUSTOMER_TIMELINE
from schemas.environment import Environment
from tests.integration.fingerprints import _plain, table_fingerprint

pytestmark = pytest.mark.integration

C360, TIMELINE = CUSTOMER_360.key, CUSTOMER_TIMELINE.key
# What a new web order reaches: its bronze multi-asset (with quarantine), silver, the link to its
# customer, KPIs and segments (one multi-asset), then the two tables under test. Their checks are
# left out (they cost a fifth of the run): what is under test is which rows change.
AFFECTED = ["bronze/web_orders", "quarantine/web_orders", "silver/purchase", "gold/interaction_customers",
            "gold/kpis_customer", "gold/segment_membership", "gold/segment_events", "gold/segment_sizes",
            "gold/segment_overlap", TIMELINE, C360]


def _rows(frame: pd.DataFrame, keys: list[str], ignore: tuple[str, ...] = ()) -> dict[tuple, str]:
    """Each row as canonical JSON of its values, by key."""
    columns = sorted(c for c in frame.columns if c not in ignore)
    return {tuple(r[k] for k in keys): json.dumps({c: _plain(r[c]) for c in columns}, default=str, sort_keys=True)
            for r in frame.to_dict("records")}


def test_a_rerun_leaves_both_tables_unchanged(example):
    for key in (C360, TIMELINE):
        table = deltalake.DeltaTable(str(example.lake / key))
        assert table.version() == 0, f"{key}: the second run wrote version {table.version()}"
        assert table_fingerprint(example.lake / key) == example.fingerprints[key]
        assert table.protocol().min_reader_version == 1
        assert "timestamp_ntz" not in table.schema().to_json(), f"{key}: a timestamp without time zone"
    c360, timeline = example.table(C360), example.table(TIMELINE)
    assert c360["customer_id"].is_unique and len(c360) == len(example.table("gold/golden_customer"))
    grades = {s["grade"] for scores in c360["scores"] for s in scores}
    assert grades and grades <= {"A", "B", "C"}, f"scores without their model's grade: {grades}"
    counts = timeline.groupby("customer_id").size()
    assert (c360.set_index("customer_id")["timeline"].map(len) == counts.clip(upper=20)
            .reindex(c360["customer_id"]).fillna(0).astype(int)).all()


def _new_orders(example, folder: Path) -> dict[str, str]:
    """A new web-order file for three known web-shop accounts, inside the data's time range; account -> order."""
    ids = example.table("gold/customer_ids")
    accounts = ids[ids["source"] == "webshop_accounts"].drop_duplicates("customer_id").sort_values("record_id")
    accounts = accounts["record_id"].str.split(":").str[1].head(3).tolist()
    newest = example.table("silver/purchase")["occurred_at"].max()
    at = (newest - pd.Timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    orders = {account: f"ONEW{i:06d}" for i, account in enumerate(accounts)}
    lines = [json.dumps({"order_id": order, "account_id": account, "ordered_at": at, "total": 42.5,
                         "currency": "GBP", "items": 1, "status": "completed"}) for account, order in orders.items()]
    (folder / "orders_9999.jsonl").write_text("\n".join(lines) + "\n")
    return orders


def test_new_purchases_change_only_their_customers_rows(example, tmp_path):
    shutil.copytree(example.lake, tmp_path / "lake")
    shutil.copytree(example.env.workspace_dir, tmp_path / "workspace")
    env = Environment(workspace_dir=str(tmp_path / "workspace"), lake_root=str(tmp_path / "lake"), spark_profile="test")
    orders = _new_orders(example, tmp_path / "workspace" / "data" / "webshop" / "orders")
    before_360, before_timeline = example.table(C360), example.table(TIMELINE)
    ids = example.table("gold/customer_ids").set_index("record_id")["customer_id"]
    customers = {ids[f"webshop_accounts:{account}"] for account in orders}

    summary = run_pipeline(env, select=" or ".join(f'key:"{k}"' for k in AFFECTED),
                           instance=dg.DagsterInstance.ephemeral(), log_level="WARNING", checks=False)
    assert summary.success, summary.failures

    table = deltalake.DeltaTable(str(tmp_path / "lake" / C360))
    metrics = table.history(1)[0]["operationMetrics"]
    assert (table.version(), int(metrics["numTargetRowsUpdated"]), int(metrics["numTargetRowsInserted"]),
            int(metrics["numTargetRowsDeleted"])) == (1, 3, 0, 0)
    after_360 = table.to_pandas()
    old, new = _rows(before_360, ["customer_id"]), _rows(after_360, ["customer_id"])
    assert old.keys() == new.keys()
    assert {k[0] for k in old if old[k] != new[k]} == customers
    counts = after_360.set_index("customer_id")["purchase_count"] - before_360.set_index("customer_id")["purchase_count"]
    assert counts[counts != 0].to_dict() == {c: 1 for c in customers}

    keys = ["customer_id", "interaction_type", "record_id"]
    old, new = _rows(before_timeline, keys), _rows(example_table(tmp_path, TIMELINE), keys)
    added = set(new) - set(old)
    assert added == {(ids[f"webshop_accounts:{a}"], "purchase", f"web_orders:{o}") for a, o in orders.items()}
    assert all(new[k] == old[k] for k in old)


def example_table(tmp_path: Path, key: str) -> pd.DataFrame:
    return deltalake.DeltaTable(str(tmp_path / "lake" / key)).to_pandas()
