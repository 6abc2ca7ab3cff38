"""How good scores are on the holdout: the metrics MLflow records and the A/B/C grade.

Binary: AUC, PR-AUC (Spark's evaluator), log loss, lift in the top decile, Brier score and
expected calibration error (10 equal-width bins). Numeric: MAE, RMSE, R2 (Spark's evaluator)
and Pearson r. Inputs are frames of label and score (the probability of the positive class).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.ml.evaluation import BinaryClassificationEvaluator, RegressionEvaluator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.labels import LABEL
from schemas.predictions import Grading, OutcomeKind

SCORE = "score"
EPSILON = 1e-15
CALIBRATION_BINS = 10

# The metric that picks the model, compares it with the champion and grades it, per kind.
SELECTION = {"binary": ("auc", True), "numeric": ("rmse", False)}


def binary_metrics(scored: DataFrame) -> dict[str, float]:
    """auc, pr_auc, log_loss, lift_top_decile, brier, calibration_error, positive_rate."""
    evaluator = BinaryClassificationEvaluator(rawPredictionCol=SCORE, labelCol=LABEL)
    p = F.least(F.greatest(F.col(SCORE), F.lit(EPSILON)), F.lit(1 - EPSILON))
    loss = -(F.col(LABEL) * F.log(p) + (1 - F.col(LABEL)) * F.log(1 - p))
    totals = scored.agg(F.avg(loss).alias("log_loss"), F.avg((F.col(SCORE) - F.col(LABEL)) ** 2).alias("brier"),
                        F.avg(LABEL).alias("rate"), F.count(F.lit(1)).alias("n")).first()
    return {
        "auc": evaluator.evaluate(scored, {evaluator.metricName: "areaUnderROC"}),
        "pr_auc": evaluator.evaluate(scored, {evaluator.metricName: "areaUnderPR"}),
        "log_loss": float(totals["log_loss"]),
        "lift_top_decile": lift_at(scored, 0.10, totals["rate"]),
        "brier": float(totals["brier"]),
        "calibration_error": expected_calibration_error(calibration_table(scored), totals["n"]),
        "positive_rate": float(totals["rate"]),
    }


def lift_at(scored: DataFrame, share: float, base_rate: float) -> float:
    """Positive rate among the top `share` by score, over the overall positive rate."""
    if not base_rate:
        return 0.0
    ranked = scored.select(LABEL, F.percent_rank().over(_by_score_desc()).alias("_rank"))
    top = ranked.where(F.col("_rank") < share).agg(F.avg(LABEL)).first()[0]
    return float(top or 0.0) / base_rate


def _by_score_desc():
    from pyspark.sql.window import Window

    return Window.orderBy(F.col(SCORE).desc())


def calibration_table(scored: DataFrame, bins: int = CALIBRATION_BINS) -> list[tuple[float, float, int]]:
    """(mean score, positive rate, count) per equal-width score bin, lowest bin first."""
    binned = scored.withColumn("_bin", F.least(F.floor(F.col(SCORE) * bins), F.lit(bins - 1)))
    rows = binned.groupBy("_bin").agg(F.avg(SCORE).alias("p"), F.avg(LABEL).alias("y"), F.count(F.lit(1)).alias("n"))
    return [(float(r["p"]), float(r["y"]), int(r["n"])) for r in rows.orderBy("_bin").collect()]


def expected_calibration_error(table: list[tuple[float, float, int]], total: int) -> float:
    """Count-weighted mean gap between the mean score and the positive rate of each bin."""
    return sum(n * abs(p - y) for p, y, n in table) / total if total else 0.0


def numeric_metrics(scored: DataFrame) -> dict[str, float]:
    """mae, rmse, r2, pearson_r, mean_score, mean_label."""
    evaluator = RegressionEvaluator(predictionCol=SCORE, labelCol=LABEL)
    means = scored.agg(F.corr(SCORE, LABEL).alias("r"), F.avg(SCORE).alias("s"), F.avg(LABEL).alias("y")).first()
    return {
        "mae": evaluator.evaluate(scored, {evaluator.metricName: "mae"}),
        "rmse": evaluator.evaluate(scored, {evaluator.metricName: "rmse"}),
        "r2": evaluator.evaluate(scored, {evaluator.metricName: "r2"}),
        "pearson_r": float(means["r"]) if means["r"] is not None else 0.0,
        "mean_score": float(means["s"]),
        "mean_label": float(means["y"]),
    }


def metrics(kind: OutcomeKind, scored: DataFrame) -> dict[str, float]:
    """The metrics of a kind of outcome."""
    return binary_metrics(scored) if kind == "binary" else numeric_metrics(scored)


def selection_value(kind: OutcomeKind, scored: DataFrame) -> float:
    """Only the selection metric (AUC or RMSE): cheaper than every metric, for model selection."""
    if kind == "binary":
        return BinaryClassificationEvaluator(rawPredictionCol=SCORE, labelCol=LABEL).evaluate(scored)
    return RegressionEvaluator(predictionCol=SCORE, labelCol=LABEL, metricName="rmse").evaluate(scored)


def better(kind: OutcomeKind, new: float, old: float) -> bool:
    """Whether `new` is strictly better than `old` on the kind's selection metric."""
    return new > old if SELECTION[kind][1] else new < old


@dataclass(frozen=True)
class Grade:
    """The A/B/C grade and the relative improvement over the baseline behind it."""

    letter: str
    improvement: float


def grade(kind: OutcomeKind, model: dict[str, float], baseline: dict[str, float], grading: Grading) -> Grade:
    """Share of the baseline's error the model removes: of 1 - AUC (binary) or of RMSE (numeric)."""
    if kind == "binary":
        gap = 1.0 - baseline["auc"]
        improvement = (model["auc"] - baseline["auc"]) / gap if gap > 0 else 0.0
    else:
        improvement = 1.0 - model["rmse"] / baseline["rmse"] if baseline["rmse"] > 0 else 0.0
    letter = "A" if improvement >= grading.a else "B" if improvement >= grading.b else "C"
    return Grade(letter, improvement)
