"""The KPI benchmark's hand-written DuckDB reference, on purchases whose KPIs are worked out here by hand (no Spark)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from insights.bench.kpi_reference import duckdb_reference, reference_kpis
from insights.bench.kpi_sets import kpi_set


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


PURCHASES = pa.table({
    "customer_record_id": ["c1", "c1", "c1", "c2", None],
    "store_record_id": ["s1", None, "s1", "s2", "s1"],
    "occurred_at": pa.array([at("2026-06-29T10:00"), at("2026-05-15T09:00"), at("2026-06-30T00:00"),
                             at("2025-01-01T12:00"), at("2026-06-01T00:00")], pa.timestamp("us", "UTC")),
    "channel": ["web", "store", "web", "web", "web"],
    "amount": [10.0, 5.0, 100.0, 7.0, 1.0],
    "status": ["completed", "returned", "completed", "completed", "completed"],
})
CUSTOMERS = pa.table({"record_id": ["c1", "c2", "c3"]})


@pytest.fixture(scope="module")
def kpis() -> dict[str, dict]:
    table = duckdb_reference(PURCHASES, CUSTOMERS, list(kpi_set(50).kpis))
    return {row.pop("customer_id"): row for row in table.to_pylist()}


def test_every_kpi_of_the_set_is_written_and_every_customer_is_there(kpis):
    assert set(kpis) == {"c1", "c2", "c3"}
    assert set(kpis["c1"]) == set(kpi_set(50).kpis)


def test_windows_end_before_as_of_and_follow_the_documented_spans(kpis):
    c1, c2 = kpis["c1"], kpis["c2"]
    assert c1["orders_all"] == 2  # the purchase at as_of itself is not counted
    assert (c1["orders_this_month"], c1["orders_last_month"]) == (1, 1)  # June to date; all of May
    assert (c1["orders_30d"], c1["orders_90d"]) == (1, 2)  # 15 May is 46 days before 30 June
    assert c1["orders_30d_web"] == 1 and c1["orders_last_month_web"] == 0
    assert c2["orders_all"] == 1 and c2["orders_365d"] == 0 and c2["spend_365d"] == 0
    assert c1["orders_last_90_days"] == 2


def test_values_filters_and_ratios(kpis):
    c1 = kpis["c1"]
    assert c1["lifetime_spend"] == 10.0 and c1["average_order_value"] == 10.0  # the return is not completed
    assert c1["returns_all"] == 1 and c1["spend_all"] == 15.0 and c1["avg_amount_all"] == 7.5
    assert c1["return_rate"] == 0.5 and c1["web_share"] == 0.5
    assert c1["days_since_last_purchase"] == 1
    assert (c1["last_channel"], c1["first_channel"]) == ("web", "store")
    assert c1["stores_visited"] == 1


def test_a_customer_without_purchases_has_zero_counts_and_no_averages(kpis):
    c3 = kpis["c3"]
    assert c3["orders_all"] == 0 and c3["spend_30d_web"] == 0 and c3["stores_visited"] == 0
    assert c3["avg_amount_all"] is None and c3["lifetime_spend"] is None and c3["return_rate"] is None
    assert c3["last_channel"] is None and c3["days_since_last_purchase"] is None


def test_a_kpi_without_a_hand_written_reference_is_named():
    with pytest.raises(ValueError, match="items_all"):
        reference_kpis(["orders_all", "items_all"])
