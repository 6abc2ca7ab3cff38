"""The first gold table, recomputed with pandas."""

from __future__ import annotations

import pandas as pd

from jobs.customer_measures import customer_measures


def test_measures_match_pandas(spark):
    profiles = pd.DataFrame({"record_id": ["c:1", "c:2", "c:3"], "source": ["c"] * 3})
    purchases = pd.DataFrame(
        {
            "customer_record_id": ["c:1", "c:1", "c:2", None, "c:9"],
            "amount": [10.0, 2.5, 7.0, 99.0, 1.0],
            "occurred_at": pd.to_datetime(
                ["2026-01-01", "2026-03-01", "2026-02-01", "2026-02-02", "2026-02-03"]
            ),
        }
    )
    got = customer_measures(
        spark.createDataFrame(profiles), spark.createDataFrame(purchases), "customer", "amount"
    ).toPandas().set_index("record_id").sort_index()

    linked = purchases.dropna(subset=["customer_record_id"])
    expected = linked.groupby("customer_record_id").agg(
        order_count=("amount", "size"), total_spend=("amount", "sum"), last_purchase_at=("occurred_at", "max")
    )
    expected = profiles.set_index("record_id").join(expected).fillna({"order_count": 0, "total_spend": 0.0})
    assert list(got["order_count"]) == list(expected["order_count"].astype(int))
    assert list(got["total_spend"]) == list(expected["total_spend"])
    assert got.loc["c:1", "last_purchase_at"] == expected.loc["c:1", "last_purchase_at"]
    assert pd.isna(got.loc["c:3", "last_purchase_at"])
