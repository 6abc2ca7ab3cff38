"""Segments on hand-made silver tables: members, and exactly who entered and left after new data."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from jobs.kpis import refresh_customer_kpis
from jobs.segments import refresh_segments
from tests.unit.kpi_world import CUSTOMERS, build, silver_pandas, ts, write_silver

AS_OF = pd.Timestamp("2026-06-30", tz="UTC")


def expected_members(spark, lake) -> set[tuple[str, str]]:
    """kpi_world.SEGMENTS evaluated in pandas from the silver tables."""
    purchases = silver_pandas(spark, lake, "purchase")
    purchases = purchases[purchases["occurred_at"] < AS_OF]
    visits = silver_pandas(spark, lake, "web_visit")
    tiers = {c["record_id"]: c["tier"] for c in CUSTOMERS} | {"c:8": "gold"}
    customers = set(silver_pandas(spark, lake, "customer")["record_id"])
    done = purchases[purchases["status"] == "completed"]
    spend = done.groupby("customer_record_id")["amount"].sum(min_count=1)
    recent = set(purchases[purchases["occurred_at"] >= AS_OF - pd.Timedelta(days=30)]["customer_record_id"].dropna())
    sale = visits[(visits["page"] == "/sale") & (visits["occurred_at"] < AS_OF)].groupby("customer_record_id").size()
    members = set()
    for cid in customers:
        big = bool(spend.get(cid, 0) >= 100)
        rules = {"big": big, "gold": tiers.get(cid) == "gold", "recent": cid in recent,
                 "browsers": sale.get(cid, 0) >= 2 and not big}
        members |= {(name, cid) for name, holds in rules.items() if holds}
    return members


def membership(spark, lake) -> set[tuple[str, str]]:
    rows = spark.read.format("delta").load(lake.gold("segment_membership")).collect()
    return {(r["segment"], r["customer_id"]) for r in rows}


def events_at(spark, lake, at: datetime) -> set[tuple[str, str, str]]:
    rows = spark.read.format("delta").load(lake.gold("segment_events")).collect()
    return {(r["segment"], r["customer_id"], r["event"]) for r in rows if r["at"] == at.replace(tzinfo=None)}


def test_segment_events_hold_exactly_who_crossed_a_boundary(spark, tmp_path):
    workspace, lake = build(spark, tmp_path)
    refresh_customer_kpis(spark, workspace, lake)
    first_at = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    first = refresh_segments(spark, workspace, lake, at=first_at)
    before = expected_members(spark, lake)
    assert membership(spark, lake) == before
    assert ("big", "c:2") in before and ("browsers", "c:5") in before
    assert events_at(spark, lake, first_at) == {(s, c, "entered") for s, c in before}
    assert first.sizes == {s: sum(1 for m in before if m[0] == s) for s in ("big", "gold", "recent", "browsers")}

    # c:5 buys big (enters big and recent, leaves browsers), c:2's order is corrected down
    # (leaves big), c:6 visits the sale page again (enters browsers), c:8 is new and gold.
    write_silver(spark, workspace, lake, "customer", [{"record_id": "c:8", "tier": "gold"}], batch=2)
    write_silver(spark, workspace, lake, "purchase", [
        {"record_id": "p:30", "customer_record_id": "c:5", "amount": 120.0, "status": "completed",
         "channel": "web", "occurred_at": ts("2026-06-29 10:00")},
        {"record_id": "p:4", "customer_record_id": "c:2", "amount": 75.0, "status": "completed",
         "channel": "store", "store_record_id": "s:2", "occurred_at": ts("2026-05-31 23:59")},
    ], batch=2)
    write_silver(spark, workspace, lake, "web_visit", [
        {"record_id": "v:31", "customer_record_id": "c:6", "page": "/sale", "occurred_at": ts("2026-06-21 10:00")},
    ], batch=2)
    assert refresh_customer_kpis(spark, workspace, lake).mode == "incremental"
    second_at = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    second = refresh_segments(spark, workspace, lake, at=second_at)

    after = expected_members(spark, lake)
    assert membership(spark, lake) == after
    crossed = {(s, c, "entered") for s, c in after - before} | {(s, c, "left") for s, c in before - after}
    assert crossed == {("big", "c:5", "entered"), ("recent", "c:5", "entered"), ("browsers", "c:5", "left"),
                       ("big", "c:2", "left"), ("browsers", "c:6", "entered"), ("gold", "c:8", "entered")}
    assert events_at(spark, lake, second_at) == crossed
    assert second.entered["big"] == 1 and second.left["big"] == 1
    since = spark.read.format("delta").load(lake.gold("segment_membership")).toPandas()
    stayed = since[(since["segment"] == "big") & (since["customer_id"] == "c:1")]["since"].iloc[0]
    assert stayed == pd.Timestamp(first_at.replace(tzinfo=None))  # members who stay keep their entry time
    sizes = spark.read.format("delta").load(lake.gold("segment_sizes")).toPandas()
    assert len(sizes) == 8 and set(sizes["at"]) == {pd.Timestamp(t.replace(tzinfo=None)) for t in (first_at, second_at)}
    overlap = spark.read.format("delta").load(lake.gold("segment_overlap")).toPandas()
    pairs = {(r.segment_a, r.segment_b): r.customers for r in overlap.itertuples()}
    expected_pairs = pd.DataFrame(sorted(after), columns=["segment", "customer_id"])
    joined = expected_pairs.merge(expected_pairs, on="customer_id").groupby(["segment_x", "segment_y"]).size()
    assert pairs == dict(joined.items())
    # The command line shows the same, read with delta-rs.
    from click.testing import CliRunner

    from insights.cli import main

    shown = CliRunner().invoke(main, ["segment", "show", "big", "--workspace", str(workspace.root),
                                      "--lake", lake.root, "--recent", "5", "--sample", "3"])
    assert shown.exit_code == 0, shown.output
    size = sum(1 for s, _ in after if s == "big")
    assert f"size      {size:,} customers" in shown.output
    assert "left     c:2" in shown.output and "entered  c:5" in shown.output
    unknown = CliRunner().invoke(main, ["segment", "show", "huge", "--workspace", str(workspace.root), "--lake", lake.root])
    assert unknown.exit_code != 0 and "unknown segment 'huge'" in unknown.output
