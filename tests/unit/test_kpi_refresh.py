"""Incremental KPI runs: after new and changed interactions they equal a full recompute.

The lake is copied or moved between the first run and the next: what a table was built from
names its inputs within the lake, so the next run still refreshes incrementally.
"""

from __future__ import annotations

import shutil

import pandas as pd
from deltalake import DeltaTable

from jobs.kpis import refresh_business_kpis, refresh_customer_kpis
from schemas.tables import Lake
from tests.unit.kpi_world import build, ts, write_silver


def delta_history(path: str) -> list[dict]:
    return DeltaTable(path).history(1)


def table(spark, path: str, key: list[str]) -> pd.DataFrame:
    frame = spark.read.format("delta").load(path).drop("computed_at").toPandas()
    return frame.sort_values(key).reset_index(drop=True)


def test_incremental_runs_equal_a_full_recompute(spark, tmp_path):
    workspace, built = build(spark, tmp_path)
    first = refresh_customer_kpis(spark, workspace, built)
    business = refresh_business_kpis(spark, workspace, built)
    assert (first.mode, first.reason, business.mode) == ("full", "first run", "full")
    assert refresh_customer_kpis(spark, workspace, built).mode == "unchanged"
    # The lake is copied (or moved, or read through another URI) before the rest: its records still hold.
    lake = Lake(str(tmp_path / "elsewhere" / "lake"))
    shutil.copytree(built.root, lake.root)
    assert refresh_customer_kpis(spark, workspace, lake).mode == "unchanged"

    # New interactions land: a first purchase of c:5, another of c:1, a corrected amount for c:2,
    # a new customer c:8 with a purchase, a visit of c:6, and an anonymous purchase.
    write_silver(spark, workspace, lake, "customer", [{"record_id": "c:8", "tier": "gold"}], batch=2)
    write_silver(spark, workspace, lake, "purchase", [
        {"record_id": "p:20", "customer_record_id": "c:5", "amount": 80.0, "status": "completed", "channel": "web",
         "occurred_at": ts("2026-06-28 10:00")},
        {"record_id": "p:21", "customer_record_id": "c:1", "amount": 5.0, "status": "completed", "channel": "store",
         "occurred_at": ts("2026-06-28 11:00")},
        {"record_id": "p:4", "customer_record_id": "c:2", "amount": 75.0, "status": "completed", "channel": "store",
         "store_record_id": "s:2", "occurred_at": ts("2026-05-31 23:59")},
        {"record_id": "p:22", "customer_record_id": "c:8", "amount": 10.0, "status": "completed", "channel": "web",
         "occurred_at": ts("2026-03-03 10:00")},
        {"record_id": "p:23", "customer_record_id": None, "amount": 7.0, "status": "completed", "channel": "web",
         "occurred_at": ts("2026-04-04 10:00")},
    ], batch=2)
    write_silver(spark, workspace, lake, "web_visit", [
        {"record_id": "v:30", "customer_record_id": "c:6", "page": "/", "occurred_at": ts("2026-06-20 10:00")},
    ], batch=2)

    incremental = refresh_customer_kpis(spark, workspace, lake)
    assert incremental.mode == "incremental", incremental
    assert incremental.recomputed == 5  # c:1, c:2, c:5, c:6, c:8: nobody else
    business_inc = refresh_business_kpis(spark, workspace, lake)
    assert business_inc.mode == "incremental", business_inc
    assert delta_history(lake.gold("kpis_customer"))[0]["operation"] == "MERGE"

    full_customer, full_business = str(tmp_path / "full_c"), str(tmp_path / "full_b")
    assert refresh_customer_kpis(spark, workspace, lake, path=full_customer).mode == "full"
    assert refresh_business_kpis(spark, workspace, lake, path=full_business).mode == "full"
    got, want = table(spark, lake.gold("kpis_customer"), ["customer_id"]), table(spark, full_customer, ["customer_id"])
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    assert len(got) == 8 and got.set_index("customer_id").loc["c:2", "spend"] == 75.0
    key = ["kpi", "grain", "period", "dimension", "dimension_value"]
    pd.testing.assert_frame_equal(table(spark, lake.gold("kpis_business"), key), table(spark, full_business, key),
                                  check_exact=False, rtol=1e-12)


def test_changed_definitions_or_as_of_mean_a_full_run(spark, tmp_path):
    workspace, lake = build(spark, tmp_path)
    refresh_customer_kpis(spark, workspace, lake)
    definitions = workspace.kpis
    moved = definitions.model_copy(update={"as_of": "2026-06-29"})
    assert refresh_customer_kpis(spark, workspace, lake, definitions=moved).reason.startswith("as_of moved")
    kpis = dict(moved.kpis)
    kpis["spend"] = kpis["spend"].model_copy(update={"filter": None})
    changed = moved.model_copy(update={"kpis": kpis})
    assert refresh_customer_kpis(spark, workspace, lake, definitions=changed).reason == "KPI definitions changed"


def test_identity_resolution_reassigning_interactions_recomputes_only_those_customers(spark, tmp_path):
    workspace, lake = build(spark, tmp_path)
    ids = [(f"c:{i}", f"c:{i}") for i in range(1, 8)]
    links = [("purchase", f"p:{i}", "customer", c) for i, c in
             [(1, "c:1"), (2, "c:1"), (3, "c:1"), (4, "c:2"), (5, "c:2"), (6, "c:3"), (8, "c:4")]]

    def resolve(id_rows, link_rows):
        spark.createDataFrame(id_rows, "customer_id string, record_id string").write.format("delta").mode(
            "overwrite").save(lake.gold("customer_ids"))
        spark.createDataFrame(link_rows, "interaction_type string, record_id string, role string, customer_id string") \
            .write.format("delta").mode("overwrite").save(lake.gold("interaction_customers"))

    resolve(ids, links)
    assert refresh_customer_kpis(spark, workspace, lake).mode == "full"
    lake = Lake(str(tmp_path / "moved" / "lake"))  # moved: the record of its identity inputs still holds
    shutil.move(tmp_path / "lake", lake.root)
    # c:4 turns out to be c:2 (merged): its record and purchase p:8 move to c:2; c:4 disappears.
    resolve([(c, r) if r != "c:4" else ("c:2", r) for c, r in ids],
            [(t, r, role, "c:2" if c == "c:4" else c) for t, r, role, c in links])
    run = refresh_customer_kpis(spark, workspace, lake)
    assert run.mode == "incremental" and run.recomputed == 1, run  # c:2 recomputed, c:4 deleted
    full_path = str(tmp_path / "full")
    refresh_customer_kpis(spark, workspace, lake, path=full_path)
    got, want = table(spark, lake.gold("kpis_customer"), ["customer_id"]), table(spark, full_path, ["customer_id"])
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    assert "c:4" not in set(got["customer_id"]) and got.set_index("customer_id").loc["c:2", "orders"] == 1

