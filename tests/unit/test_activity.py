"""gold/daily_activity: counts per day, type and channel; a backfilled day replaces only itself."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from jobs.daily_activity import activity_rows, write_activity


def _interactions(spark, rows):
    return spark.createDataFrame(rows, "record_id string, occurred_at timestamp, channel string, customer_id string")


def _expected(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The same counts, recomputed in pandas."""
    parts = []
    for type_name, df in frames.items():
        part = pd.DataFrame({
            "day": df["occurred_at"].dt.date,
            "interaction_type": type_name,
            "channel": df["channel"].str.lower().fillna("unknown") if "channel" in df else "unknown",
            "customer_id": df["customer_id"],
        })
        parts.append(part)
    union = pd.concat(parts)
    return (union.groupby(["day", "interaction_type", "channel"])
            .agg(interactions=("customer_id", "size"), customers=("customer_id", "nunique"))
            .reset_index())


PURCHASES = [
    ("p1", datetime(2026, 3, 1, 9), "Web", "c1"),
    ("p2", datetime(2026, 3, 1, 18), "web", "c1"),
    ("p3", datetime(2026, 3, 1, 23, 59), "store", "c2"),
    ("p4", datetime(2026, 3, 2, 0, 1), "web", None),
    ("p5", datetime(2026, 3, 3, 12), None, "c3"),
]
VISITS = [("v1", datetime(2026, 3, 1, 10), None, "c1"), ("v2", datetime(2026, 3, 2, 10), None, "c4")]


def test_counts_per_day_type_and_channel_match_pandas(spark):
    purchases, visits = _interactions(spark, PURCHASES), _interactions(spark, VISITS).drop("channel")
    result = activity_rows({"purchase": purchases, "web_visit": visits}, "channel").toPandas()
    expected = _expected({"purchase": purchases.toPandas(), "web_visit": visits.toPandas()})
    key = ["day", "interaction_type", "channel"]
    got = result.sort_values(key).reset_index(drop=True)
    want = expected.sort_values(key).reset_index(drop=True)
    assert got[key + ["interactions", "customers"]].astype(str).equals(want[key + ["interactions", "customers"]].astype(str))
    assert set(result["channel"]) == {"web", "store", "unknown"}


def test_backfilling_a_day_replaces_that_day_only(spark, lake):
    path = lake.gold("daily_activity")
    purchases = _interactions(spark, PURCHASES)
    write_activity(activity_rows({"purchase": purchases}, "channel"), path)
    before = spark.read.format("delta").load(path).toPandas()
    # The source changes on two days (1 and 3 March); only 1 March is backfilled.
    changed = _interactions(spark, [r for r in PURCHASES if r[0] not in ("p2", "p5")]
                            + [("p6", datetime(2026, 3, 1, 7), "store", "c9")])
    written = write_activity(activity_rows({"purchase": changed}, "channel"), path, day=date(2026, 3, 1))
    after = spark.read.format("delta").load(path).toPandas()
    march_1 = after[after["day"] == date(2026, 3, 1)].set_index("channel")
    assert written == len(march_1) == 2
    assert march_1.loc["web", "interactions"] == 1 and march_1.loc["store", "interactions"] == 2
    others = lambda df: df[df["day"] != date(2026, 3, 1)].sort_values(["day", "channel"]).reset_index(drop=True)  # noqa: E731
    assert others(after).equals(others(before))  # 3 March still counts p5: not backfilled
    last = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").orderBy("version", ascending=False).first()
    assert last["operation"] == "WRITE" and "day = DATE'2026-03-01'" in last["operationParameters"]["predicate"]
