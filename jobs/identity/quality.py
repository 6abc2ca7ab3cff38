"""Accuracy of clusters against ground truth: pairwise and exact-cluster precision, recall, F1.

Pairwise: a pair of records counts as predicted when both share a customer_id, as true when
both share an entity; counted from cluster sizes, never by listing pairs, so it scales.
Cluster: a predicted cluster is right when it holds exactly the records of one true entity.
The labels are the policy's quality.labels, else the generator's truth next to the data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.identity.context import IdentityContext
from schemas.catalog import CUSTOMER_IDS
from schemas.match import MatchPolicy
from schemas.tables import RECORD_ID
from schemas.workspace_core import WorkspaceCore


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _metrics(tp: float, predicted: float, true: float, exact: int, n_pred: int, n_true: int) -> dict[str, float]:
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    c_precision = exact / n_pred if n_pred else 1.0
    c_recall = exact / n_true if n_true else 1.0
    return {
        "pairwise_precision": precision,
        "pairwise_recall": recall,
        "pairwise_f1": _f1(precision, recall),
        "cluster_precision": c_precision,
        "cluster_recall": c_recall,
        "cluster_f1": _f1(c_precision, c_recall),
        "true_pairs": float(true),
        "predicted_pairs": float(predicted),
        "records": float(0),
    }


def cluster_quality(assigned: DataFrame, labels: DataFrame, predicted: str = "customer_id", truth: str = "entity") -> dict[str, float]:
    """Metrics over the records present in both (record_id, predicted) and (record_id, truth)."""
    both = assigned.select("record_id", F.col(predicted).alias("p")).join(
        labels.select("record_id", F.col(truth).alias("t")), "record_id"
    ).persist()
    try:
        pairs = lambda n: n * (n - 1) / 2  # noqa: E731
        cells = both.groupBy("p", "t").agg(F.count(F.lit(1)).alias("n"))
        tp = cells.agg(F.sum(pairs(F.col("n")))).first()[0] or 0
        pred = both.groupBy("p").agg(F.count(F.lit(1)).alias("n"))
        true = both.groupBy("t").agg(F.count(F.lit(1)).alias("n"))
        predicted_pairs = pred.agg(F.sum(pairs(F.col("n")))).first()[0] or 0
        true_pairs = true.agg(F.sum(pairs(F.col("n")))).first()[0] or 0
        p_parts = cells.groupBy("p").agg(F.count(F.lit(1)).alias("k"))
        t_parts = cells.groupBy("t").agg(F.count(F.lit(1)).alias("k"))
        exact = (
            cells.join(p_parts.where("k = 1").select("p"), "p").join(t_parts.where("k = 1").select("t"), "t").count()
        )
        metrics = _metrics(tp, predicted_pairs, true_pairs, exact, pred.count(), true.count())
        metrics["records"] = float(both.count())
        return metrics
    finally:
        both.unpersist()


def cluster_quality_pandas(assigned: pd.DataFrame, labels: pd.DataFrame, predicted: str = "customer_id",
                           truth: str = "entity") -> dict[str, float]:
    """The same metrics in pandas (benchmarks, and an independent check of the Spark version)."""
    both = assigned[["record_id", predicted]].merge(labels[["record_id", truth]], on="record_id")
    both.columns = ["record_id", "p", "t"]
    cells = both.groupby(["p", "t"]).size()
    pairs = lambda s: float((s * (s - 1) / 2).sum())  # noqa: E731
    tp = pairs(cells)
    pred = both.groupby("p").size()
    true = both.groupby("t").size()
    p_parts = cells.reset_index().groupby("p").size()
    t_parts = cells.reset_index().groupby("t").size()
    flat = cells.reset_index()
    exact = int((flat["p"].map(p_parts).eq(1) & flat["t"].map(t_parts).eq(1)).sum())
    metrics = _metrics(tp, pairs(pred), pairs(true), exact, len(pred), len(true))
    metrics["records"] = float(len(both))
    return metrics


def labels_path(ctx: IdentityContext) -> Path | None:
    """The ground-truth labels file: the policy's, else the generator's truth, if present."""
    return truth_labels(ctx.policy, ctx.workspace)


def truth_labels(policy: MatchPolicy, workspace: WorkspaceCore) -> Path | None:
    """The labels file of a policy and workspace, without Spark (`insights report` reads it too)."""
    configured = policy.quality.labels
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else workspace.root / path
    data_root = workspace.data_root
    if "://" in data_root:
        return None
    truth = Path(data_root) / "_truth" / "records.csv"
    return truth if truth.exists() else None


def match_quality(ctx: IdentityContext) -> dict[str, float | str] | None:
    """Pairwise and cluster precision/recall/F1 of gold/customer_ids against the labels, if any."""
    path = labels_path(ctx)
    if path is None or not path.exists():
        return None
    labels = ctx.spark.read.option("header", True).csv(str(path)).select(
        RECORD_ID, F.col(ctx.policy.quality.entity_column).alias("entity"))
    metrics: dict[str, float | str] = dict(cluster_quality(ctx.read(CUSTOMER_IDS), labels))
    metrics["labels"] = str(path)
    return metrics
