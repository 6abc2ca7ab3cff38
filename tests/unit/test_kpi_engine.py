"""The KPI engine on hand-made silver tables, checked against an independent pandas computation."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from jobs.kpis import business_kpis, customer_kpis
from jobs.kpis.customer import aggregate_table, with_dependencies
from jobs.kpis.inputs import interaction_rows
from tests.unit.kpi_world import build, silver_pandas

AS_OF = datetime(2026, 6, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(spark, tmp_path_factory):
    return build(spark, tmp_path_factory.mktemp("kpi_world"))


def expected_customer_kpis(purchases: pd.DataFrame, visits: pd.DataFrame, customers: list[str], as_of: datetime):
    """The KPIs of kpi_world.KPIS, written out in pandas."""
    cutoff = pd.Timestamp(as_of)
    p = purchases[purchases["occurred_at"] < cutoff]
    v = visits[visits["occurred_at"] < cutoff]
    month_end = pd.Timestamp(as_of.replace(day=1))
    month_start = (month_end - timedelta(days=1)).replace(day=1)
    rows = {}
    for cid in customers:
        mine = p[p["customer_record_id"] == cid]
        done = mine[mine["status"] == "completed"]
        last_month = mine[(mine["occurred_at"] >= month_start) & (mine["occurred_at"] < month_end)]
        spend = done["amount"].sum(min_count=1) if len(done) else None
        visits_n = int((v["customer_record_id"] == cid).sum())
        rows[cid] = {
            "spend": None if spend is None or pd.isna(spend) else spend,
            "orders": len(done),
            "orders_30d": int((mine["occurred_at"] >= cutoff - pd.Timedelta(days=30)).sum()),
            "spend_last_month": float(last_month["amount"].sum()),
            "avg_order": None if mine["amount"].notna().sum() == 0 else mine["amount"].mean(),
            "channels": mine["channel"].nunique(),
            "last_channel": mine.sort_values("occurred_at")["channel"].iloc[-1] if len(mine) else None,
            "days_since_last": (cutoff.date() - mine["occurred_at"].max().date()).days if len(mine) else None,
            "visits": visits_n,
            "spend_per_visit": None if spend is None or pd.isna(spend) or visits_n == 0 else spend / visits_n,
        }
    return rows


def same(got, want) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None or (isinstance(got, float) and math.isnan(got))
    if isinstance(want, float):
        return got is not None and abs(got - want) < 1e-9
    return got == want


@pytest.mark.parametrize("as_of", [AS_OF, datetime(2026, 6, 1, tzinfo=UTC)])
def test_customer_kpis_equal_pandas_at_any_point_in_time(spark, world, as_of):
    workspace, lake = world
    got = {r["customer_id"]: r.asDict() for r in customer_kpis(spark, workspace, lake, as_of).collect()}
    customers = [f"c:{i}" for i in range(1, 8)]
    want = expected_customer_kpis(silver_pandas(spark, lake, "purchase"), silver_pandas(spark, lake, "web_visit"),
                                  customers, as_of)
    assert sorted(got) == customers
    for cid in customers:
        for name, value in want[cid].items():
            assert same(got[cid][name], value), (as_of, cid, name, got[cid][name], value)
    assert {r["as_of"] for r in got.values()} == {as_of.replace(tzinfo=None)}


def test_names_pick_kpis_and_their_inputs_stay_hidden(spark, world):
    workspace, lake = world
    frame = customer_kpis(spark, workspace, lake, AS_OF, names=["spend_per_visit"])
    assert frame.columns == ["customer_id", "spend_per_visit", "as_of"]
    assert set(with_dependencies(workspace.kpis, ["spend_per_visit"])) == {"spend", "visits", "spend_per_visit"}


def test_all_kpis_of_a_table_come_from_one_aggregation_over_one_scan(spark, world):
    workspace, lake = world
    kpis = {n: k for n, k in workspace.kpis.of_grain("customer").items() if k.interaction == "purchase"}
    assert len(kpis) == 8
    rows = interaction_rows(spark, workspace, lake, "purchase", "customer")
    frame = aggregate_table(rows, kpis, AS_OF, ["customer", "store"])
    analyzed = frame._jdf.queryExecution().analyzed().toString()
    assert sum(line.lstrip(" +-:").startswith("Aggregate") for line in analyzed.splitlines()) == 1
    physical = frame._jdf.queryExecution().executedPlan().toString()
    assert sum("FileScan" in line or "Scan parquet" in line for line in physical.splitlines()) == 1, physical


def test_business_kpis_equal_pandas(spark, world):
    workspace, lake = world
    got = business_kpis(spark, workspace, lake, AS_OF).toPandas()
    p = silver_pandas(spark, lake, "purchase")
    p = p[p["occurred_at"] < pd.Timestamp(AS_OF)].copy()
    p["month"] = p["occurred_at"].dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.date
    p["week"] = p["occurred_at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time.dt.date

    def values(kpi):
        rows = got[got["kpi"] == kpi]
        return {(r.period, r.dimension_value): r.value for r in rows.itertuples()}

    done = p[p["status"] == "completed"]
    revenue = done.groupby("month")["amount"].sum(min_count=1)
    assert values("revenue").keys() == {(m, None) for m in revenue.index}
    assert all(same(values("revenue")[(m, None)], v) for m, v in revenue.items())
    by_channel = p.groupby(["month", "channel"]).size()
    assert values("orders_by_channel") == {k: float(v) for k, v in by_channel.items()}
    buyers = p.groupby("week")["customer_record_id"].nunique()
    assert values("buyers") == {(w, None): float(v) for w, v in buyers.items()}
    orders = done.groupby("month").size()
    aov = {(m, None): (revenue[m] / orders[m]) for m in orders.index}
    assert all(same(values("business_aov")[k], v) for k, v in aov.items())
    assert set(got["grain"][got["kpi"] == "buyers"]) == {"week"}
    assert set(got["dimension"][got["kpi"] == "orders_by_channel"]) == {"channel"}
