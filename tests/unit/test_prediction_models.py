"""Metrics, baselines, grading, the champion rule, training and predictions.yaml validation.

Metrics are checked against independent numpy formulas; training runs on a small frame whose
label follows one feature, so a working pipeline must find it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import yaml

from ml.baselines import RECENCY, last_period, recency_rule
from ml.champion import Champion, decide
from ml.dataset import Examples
from ml.evaluation import Grade, binary_metrics, grade, numeric_metrics
from ml.labels import LABEL
from ml.training import feature_importance, scores, select_and_fit
from schemas.loader import load_workspace
from schemas.errors import WorkspaceError
from schemas.predictions import Grading, Outcome, Training
from tests.unit.mini import mini_workspace

RNG = np.random.default_rng(5)


def rank_auc(y: np.ndarray, s: np.ndarray) -> float:
    ranks = pd.Series(s).rank(method="average").to_numpy()
    pos = y.sum()
    return (ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * (len(y) - pos))


def test_binary_metrics_equal_numpy(spark):
    y = (RNG.random(400) < 0.3).astype(float)
    s = np.clip(0.3 * y + RNG.random(400) * 0.7, 0.001, 0.999)
    frame = spark.createDataFrame(pd.DataFrame({"customer_id": [f"c{i}" for i in range(400)], LABEL: y, "score": s}))
    got = binary_metrics(frame)
    assert got["auc"] == pytest.approx(rank_auc(y, s), abs=1e-9)
    assert got["log_loss"] == pytest.approx(-np.mean(y * np.log(s) + (1 - y) * np.log(1 - s)), rel=1e-9)
    assert got["brier"] == pytest.approx(np.mean((s - y) ** 2), rel=1e-9)
    top = np.argsort(-s)[:40]
    assert got["lift_top_decile"] == pytest.approx(y[top].mean() / y.mean(), rel=1e-9)
    bins = np.minimum((s * 10).astype(int), 9)
    ece = sum((bins == b).sum() * abs(s[bins == b].mean() - y[bins == b].mean()) for b in np.unique(bins)) / len(y)
    assert got["calibration_error"] == pytest.approx(ece, rel=1e-9)
    assert 0 < got["pr_auc"] <= 1


def test_numeric_metrics_equal_numpy(spark):
    y = RNG.poisson(2.0, 300).astype(float)
    s = y + RNG.normal(0, 1, 300)
    frame = spark.createDataFrame(pd.DataFrame({LABEL: y, "score": s}))
    got = numeric_metrics(frame)
    assert got["mae"] == pytest.approx(np.mean(np.abs(s - y)), rel=1e-9)
    assert got["rmse"] == pytest.approx(np.sqrt(np.mean((s - y) ** 2)), rel=1e-9)
    assert got["r2"] == pytest.approx(1 - np.sum((y - s) ** 2) / np.sum((y - y.mean()) ** 2), rel=1e-9)
    assert got["pearson_r"] == pytest.approx(np.corrcoef(s, y)[0, 1], rel=1e-9)


def test_recency_rule_scores_each_customer_with_its_bucket_rate(spark):
    training = spark.createDataFrame(
        [(f"t{i}", float(r), float(lab)) for i, (r, lab) in enumerate(
            [(1, 0), (2, 0), (3, 0), (4, 1), (40, 1), (50, 1), (60, 1), (70, 0)])],
        f"customer_id string, {RECENCY} double, {LABEL} double")
    holdout = spark.createDataFrame([("h1", 2.0, 0.0), ("h2", 65.0, 1.0)],
                                    f"customer_id string, {RECENCY} double, {LABEL} double")
    got = recency_rule(training, holdout, buckets=2).toPandas().set_index("customer_id")["score"].to_dict()
    [split] = training.approxQuantile(RECENCY, [0.5], 0.001)  # the decile (here: half) boundary
    rows = training.toPandas()
    low, high = rows[rows[RECENCY] < split], rows[rows[RECENCY] >= split]
    assert got == {"h1": low[LABEL].mean(), "h2": high[LABEL].mean()}
    assert got["h1"] < got["h2"]


def test_last_period_is_the_outcome_over_the_horizon_before_the_cutoff(spark):
    cutoff = datetime(2026, 3, 1, tzinfo=UTC)
    rows = spark.createDataFrame(
        [("c1", cutoff - timedelta(days=5), 10.0), ("c1", cutoff - timedelta(days=50), 99.0),
         ("c2", cutoff - timedelta(days=29), 4.0), ("c2", cutoff + timedelta(days=1), 7.0)],
        "customer_id string, occurred_at timestamp, amount double")
    holdout = spark.createDataFrame([("c1", 1.0), ("c2", 2.0), ("c3", 0.0)], f"customer_id string, {LABEL} double")
    outcome = Outcome(kind="numeric", interaction="purchase", value="sum(amount)")
    got = last_period(holdout, rows, outcome, cutoff, 30).toPandas().set_index("customer_id")["score"].to_dict()
    assert got == {"c1": 10.0, "c2": 4.0, "c3": 0.0}


def test_grade_by_share_of_the_baseline_error_removed():
    grading = Grading(a=0.2, b=0.05)
    assert grade("binary", {"auc": 0.8}, {"auc": 0.7}, grading) == Grade("A", pytest.approx(1 / 3))
    assert grade("binary", {"auc": 0.72}, {"auc": 0.7}, grading).letter == "B"
    assert grade("binary", {"auc": 0.69}, {"auc": 0.7}, grading).letter == "C"
    assert grade("numeric", {"rmse": 0.9}, {"rmse": 1.0}, grading).letter == "B"
    assert grade("numeric", {"rmse": 0.5}, {"rmse": 1.0}, grading).letter == "A"


def test_champion_moves_only_when_strictly_better_on_the_same_holdout():
    higher = lambda new, old: new > old  # noqa: E731 - AUC
    assert decide(0.7, None, higher).promoted
    assert not decide(0.7, Champion(3, failure="score", error="boom"), higher).promoted  # tests/unit/test_champion.py
    assert decide(0.71, Champion(3, 0.70), higher).promoted
    kept = decide(0.70, Champion(3, 0.70), higher)
    assert not kept.promoted and kept.champion_version == 3 and "does not beat" in kept.reason
    assert not decide(0.69, Champion(3, 0.70), higher).promoted


def synthetic_examples(spark, kind: str, n: int = 240) -> Examples:
    """Three windows; the label follows x (and the text feature a little); noise in y."""
    x = RNG.normal(size=n)
    colour = np.where(RNG.random(n) < 0.5, "red", "blue")
    signal = x + 0.5 * (colour == "red")
    label = (signal + RNG.normal(0, 0.3, n) > 0.3).astype(float) if kind == "binary" else 2 * signal + 1
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "x": x, "noise": RNG.normal(size=n),
                          "colour": colour, "window": np.arange(n) % 4, LABEL: label})
    frame.loc[::7, "x"] = np.nan  # the imputer fills these
    sdf = spark.createDataFrame(frame)
    return Examples(sdf.where("window < 3"), sdf.where("window = 3"), ["x", "noise"], ["colour"], 1.0, {})


@pytest.mark.parametrize("kind", ["binary", "numeric"])
def test_time_aware_selection_finds_the_signal(spark, kind):
    examples = synthetic_examples(spark, kind)
    training = Training(models=["linear", "gbt"], reg_params=[0.0], gbt_max_depth=[2], gbt_max_iter=5)
    selection = select_and_fit(examples, kind, training, [0, 1, 2])
    assert set(selection.validation) == {"linear(regParam=0.0)", "gbt(maxDepth=2,maxIter=5)"}
    held = scores(selection.model, examples.holdout, kind)
    metrics = binary_metrics(held) if kind == "binary" else numeric_metrics(held)
    assert (metrics["auc"] > 0.8) if kind == "binary" else (metrics["r2"] > 0.8)
    names = [name for name, _ in feature_importance(selection.model, examples.holdout)]
    assert names[0] == "x" and any(n.startswith("colour=") for n in names)


def write_predictions(tmp_path, body: dict):
    ws = mini_workspace(tmp_path)
    (ws.root / "predictions.yaml").write_text(yaml.safe_dump({"predictions": body}))
    return ws.root


def problems(tmp_path, body: dict) -> str:
    with pytest.raises(WorkspaceError) as error:
        load_workspace(write_predictions(tmp_path, body))
    return str(error.value)


def test_a_valid_prediction_loads(tmp_path):
    body = {"churn": {"outcome": {"kind": "binary", "interaction": "purchase", "positive_when": "value = 0"},
                      "horizon_days": 90}}
    workspace = load_workspace(write_predictions(tmp_path, body))
    assert workspace.predictions.predictions["churn"].training.windows == 3


@pytest.mark.parametrize(("outcome", "expected"), [
    ({"kind": "binary", "interaction": "purchase"}, "predictions.churn.outcome: a binary outcome needs 'positive_when'"),
    ({"kind": "numeric", "interaction": "order"}, "predictions.churn.outcome.interaction: unknown interaction type 'order'"),
    ({"kind": "numeric", "interaction": "purchase", "value": "sum(amout)"},
     "predictions.churn.outcome.value: unknown column(s) ['amout']"),
    ({"kind": "numeric", "interaction": "purchase", "value": "amount"}, "aggregates nothing"),
    ({"kind": "numeric", "attribute": "pointz"}, "predictions.churn.outcome.attribute: 'customer' has no attribute 'pointz'"),
    ({"kind": "numeric"}, "give exactly one of 'interaction' or 'attribute'"),
])
def test_mistakes_name_file_prediction_and_key(tmp_path, outcome, expected):
    message = problems(tmp_path, {"churn": {"outcome": outcome, "horizon_days": 30}})
    assert "predictions.yaml" in message and expected in message, message


def test_unknown_kpi_and_too_long_label_horizon_are_reported(tmp_path):
    body = {"churn": {"outcome": {"kind": "numeric", "interaction": "purchase"}, "horizon_days": 30,
                      "features": {"kpis": ["lifetime_spend"]}, "training": {"label_horizon_days": 60}}}
    message = problems(tmp_path, body)
    assert "predictions.churn.features.kpis: unknown customer KPI 'lifetime_spend'" in message
    assert "predictions.churn.training.label_horizon_days: 60 is longer than horizon_days" in message
