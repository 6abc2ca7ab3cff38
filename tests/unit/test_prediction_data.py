"""Point-in-time training sets: features only from before the cutoff, labels only from the horizon.

Checked on small hand-made purchases, against pandas recomputations, and by moving single
purchases across the cutoff and the horizon's end (issue 5: the point-in-time test).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import yaml

from ml.dataset import window_examples
from ml.features import FeatureSources, build_features, interaction_counts, rfm_features
from ml.labels import LABEL, horizon_scale, labels, outcome_values, population_at
from ml.windows import Window, plan_windows
from schemas.predictions import Outcome, Prediction
from schemas.tables import CUSTOMER_ID
from tests.unit.mini import mini_workspace

CUTOFF = datetime(2026, 3, 1, tzinfo=UTC)
HORIZON = 30
END = CUTOFF + timedelta(days=HORIZON)
CHURN = {
    "outcome": {"kind": "binary", "interaction": "purchase", "value": "count(*)", "positive_when": "value = 0"},
    "horizon_days": HORIZON,
    "features": {"rfm": {"amount": "amount"}, "recency_days": [30, 90], "kpis": [], "profile_attributes": []},
}
SCHEMA = "record_id string, customer_id string, occurred_at timestamp, amount double, channel string"


def at(days: float) -> datetime:
    """A time relative to the cutoff (negative: before it)."""
    return CUTOFF + timedelta(days=days)


# c1 buys before and inside the horizon; c2 only long before, c3 before and after the horizon (both churn).
PURCHASES = [
    ("p1", "c1", at(-40), 10.0, "web"),
    ("p2", "c1", at(-5), 20.0, "store"),
    ("p3", "c1", at(10), 30.0, "web"),
    ("p4", "c2", at(-100), 5.0, "web"),
    ("p5", "c3", at(-20), 7.0, "store"),
    ("p6", "c3", at(HORIZON + 10), 9.0, "web"),
]


@pytest.fixture()
def workspace(tmp_path):
    ws = mini_workspace(tmp_path)
    (ws.root / "predictions.yaml").write_text(yaml.safe_dump({"predictions": {"churn": CHURN}}))
    from schemas.loader import load_workspace

    return load_workspace(ws.root)


def examples_for(spark, workspace, lake, rows, window=None) -> pd.DataFrame:
    """Training examples of one window built from the given purchases, as pandas by customer."""
    sources = FeatureSources(spark, workspace, lake)
    sources._rows[("purchase", "customer")] = spark.createDataFrame(rows, SCHEMA)
    prediction = workspace.predictions.predictions["churn"]
    frame = window_examples(sources, prediction, window or Window(0, CUTOFF, END), 1.0)
    return frame.toPandas().set_index(CUSTOMER_ID).sort_index()


def moved(purchase: str, days: float) -> list[tuple]:
    return [(p, c, at(days) if p == purchase else t, a, ch) for p, c, t, a, ch in PURCHASES]


def features_of(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[LABEL, "window"])


def test_examples_equal_a_pandas_recomputation(spark, workspace, lake):
    got = examples_for(spark, workspace, lake, PURCHASES)
    rows = pd.DataFrame(PURCHASES, columns=["record_id", "customer_id", "occurred_at", "amount", "channel"])
    past = rows[rows.occurred_at < CUTOFF]
    future = rows[(rows.occurred_at >= CUTOFF) & (rows.occurred_at < END)]
    assert list(got.index) == sorted(past.customer_id.unique())
    expected_label = {c: float(c not in set(future.customer_id)) for c in got.index}
    assert got[LABEL].to_dict() == expected_label == {"c1": 0.0, "c2": 1.0, "c3": 1.0}
    by = past.groupby("customer_id")
    assert got["rfm_frequency"].to_dict() == by.size().astype(float).to_dict()
    assert got["rfm_monetary"].to_dict() == by.amount.sum().to_dict()
    assert got["rfm_recency_days"].to_dict() == {c: float((CUTOFF - t).days) for c, t in by.occurred_at.max().items()}
    recent = past[past.occurred_at >= CUTOFF - timedelta(days=30)].groupby("customer_id").size()
    assert got["purchase_count_30d"].to_dict() == recent.reindex(got.index).fillna(0).to_dict()


def test_moving_a_purchase_from_after_the_cutoff_to_before_it_changes_a_feature_not_a_label(spark, workspace, lake):
    before = examples_for(spark, workspace, lake, PURCHASES)
    after = examples_for(spark, workspace, lake, moved("p6", -3))  # c3's purchase after the horizon
    assert after.loc["c3", "rfm_frequency"] == before.loc["c3", "rfm_frequency"] + 1
    assert after.loc["c3", "rfm_recency_days"] == 3.0 != before.loc["c3", "rfm_recency_days"]
    pd.testing.assert_series_equal(after[LABEL], before[LABEL])


def test_moving_a_purchase_from_before_the_cutoff_to_after_it_changes_a_feature_not_a_label(spark, workspace, lake):
    before = examples_for(spark, workspace, lake, PURCHASES)
    after = examples_for(spark, workspace, lake, moved("p1", HORIZON + 5))  # c1's oldest, to after the horizon
    assert after.loc["c1", "rfm_frequency"] == before.loc["c1", "rfm_frequency"] - 1
    assert after.loc["c1", "rfm_monetary"] == before.loc["c1", "rfm_monetary"] - 10.0
    pd.testing.assert_series_equal(after[LABEL], before[LABEL])


def test_moving_a_purchase_into_the_horizon_changes_a_label_not_a_feature(spark, workspace, lake):
    before = examples_for(spark, workspace, lake, PURCHASES)
    after = examples_for(spark, workspace, lake, moved("p6", 5))  # c3's late purchase, into the horizon
    pd.testing.assert_frame_equal(features_of(after), features_of(before))
    assert before.loc["c3", LABEL] == 1.0 and after.loc["c3", LABEL] == 0.0  # no longer churned
    churner = examples_for(spark, workspace, lake, moved("p3", HORIZON + 1))  # c1's horizon purchase, out of it
    pd.testing.assert_frame_equal(features_of(churner), features_of(before))
    assert before.loc["c1", LABEL] == 0.0 and churner.loc["c1", LABEL] == 1.0


def test_a_purchase_at_the_cutoff_is_a_label_and_not_a_feature(spark, workspace, lake):
    frame = examples_for(spark, workspace, lake, moved("p6", 0))  # exactly at the cutoff
    base = examples_for(spark, workspace, lake, PURCHASES)
    assert frame.loc["c3", "rfm_frequency"] == base.loc["c3", "rfm_frequency"]
    assert base.loc["c3", LABEL] == 1.0 and frame.loc["c3", LABEL] == 0.0


def test_population_keeps_customers_active_within_the_window(spark):
    rows = spark.createDataFrame(PURCHASES, SCHEMA)
    everyone = {r[CUSTOMER_ID] for r in population_at(rows, CUTOFF).collect()}
    recent = {r[CUSTOMER_ID] for r in population_at(rows, CUTOFF, within_days=30).collect()}
    assert everyone == {"c1", "c2", "c3"} and recent == {"c1", "c3"}


def test_numeric_labels_sum_the_horizon_and_give_zero_without_rows(spark):
    rows = spark.createDataFrame(PURCHASES, SCHEMA)
    outcome = Outcome(kind="numeric", interaction="purchase", value="sum(amount)")
    population = spark.createDataFrame([("c1",), ("c2",), ("c3",)], "customer_id string")
    got = labels(population, outcome_values(rows, outcome, CUTOFF, END), outcome, scale=2.0).toPandas()
    assert got.set_index(CUSTOMER_ID)[LABEL].to_dict() == {"c1": 60.0, "c2": 0.0, "c3": 0.0}


def test_filtered_outcome_counts_only_matching_rows(spark):
    rows = spark.createDataFrame(PURCHASES, SCHEMA)
    outcome = Outcome(kind="binary", interaction="purchase", filter="channel = 'store'", positive_when="value > 0")
    population = spark.createDataFrame([("c1",), ("c3",)], "customer_id string")
    got = labels(population, outcome_values(rows, outcome, at(-30), END), outcome).toPandas()
    assert got.set_index(CUSTOMER_ID)[LABEL].to_dict() == {"c1": 1.0, "c3": 1.0}
    got = labels(population, outcome_values(rows, outcome, at(-1), END), outcome).toPandas()
    assert got.set_index(CUSTOMER_ID)[LABEL].to_dict() == {"c1": 0.0, "c3": 0.0}


def test_counts_and_rfm_ignore_everything_from_the_cutoff_on(spark):
    rows = spark.createDataFrame(PURCHASES, SCHEMA)
    counts = interaction_counts(rows, "purchase", CUTOFF, [30]).toPandas().set_index(CUSTOMER_ID)
    assert counts["purchase_count"].to_dict() == {"c1": 2.0, "c2": 1.0, "c3": 1.0}
    assert counts["purchase_days_since_last"].to_dict() == {"c1": 5.0, "c2": 100.0, "c3": 20.0}
    rfm = rfm_features(rows, CUTOFF, "amount", "channel = 'web'").toPandas().set_index(CUSTOMER_ID)
    assert rfm["rfm_monetary"].to_dict() == {"c1": 10.0, "c2": 5.0}


def test_build_features_gives_zero_counts_to_customers_without_rows(spark, workspace, lake):
    sources = FeatureSources(spark, workspace, lake)
    sources._rows[("purchase", "customer")] = spark.createDataFrame(PURCHASES, SCHEMA)
    population = spark.createDataFrame([("c1",), ("c9",)], "customer_id string")
    prediction = workspace.predictions.predictions["churn"]
    got = build_features(sources, prediction, CUTOFF, population).toPandas().set_index(CUSTOMER_ID)
    assert got.loc["c9", "purchase_count"] == 0.0 and got.loc["c9", "rfm_frequency"] == 0.0
    assert pd.isna(got.loc["c9", "rfm_recency_days"])


def test_training_windows_end_before_the_holdout_starts():
    prediction = Prediction.model_validate({**CHURN, "training": {"windows": 3, "step_days": 10}})
    plan = plan_windows(prediction, datetime(2026, 7, 1, tzinfo=UTC))
    assert plan.holdout.cutoff == datetime(2026, 6, 1, tzinfo=UTC)
    assert plan.holdout.label_end == datetime(2026, 7, 1, tzinfo=UTC)
    assert [w.cutoff for w in plan.training] == [datetime(2026, 4, 12, tzinfo=UTC), datetime(2026, 4, 22, tzinfo=UTC),
                                                 datetime(2026, 5, 2, tzinfo=UTC)]
    assert all(w.label_end <= plan.holdout.cutoff for w in plan.training)
    short = Prediction.model_validate({**CHURN, "cutoff": "2026-05-01", "training": {"label_horizon_days": 10}})
    plan = plan_windows(short, datetime(2026, 7, 1, tzinfo=UTC))
    assert plan.holdout.cutoff == datetime(2026, 5, 1, tzinfo=UTC) and plan.holdout.label_days == HORIZON
    assert plan.training[-1].label_end == plan.holdout.cutoff and plan.training[-1].label_days == 10


def test_horizon_scale_linear_and_observed_decay():
    assert horizon_scale(100, 50, 10, 30, "linear") == 3.0
    assert horizon_scale(100, 50, 10, 30, "observed") == pytest.approx(1 + 0.5 + 0.25)
    assert horizon_scale(100, 120, 10, 30, "observed") == 3.0  # growth is capped at linear
    assert horizon_scale(0, 0, 10, 30, "observed") == 3.0
