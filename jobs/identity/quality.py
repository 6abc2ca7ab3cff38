"""Accuracy of clusters against ground truth: pairwise and exact-cluster precision, recall, F1.

Pairwise: a pair of records counts as predicted when both share a customer_id, as true when
both share an entity; counted from cluster sizes, never by listing pairs, so it scales.
Cluster: a predicted cluster is right when it holds exactly the records of one true entity.
Every labelled record counts: one a tool lost (no customer_id) is an error, never a skipped row
(a cluster of its own, its true pairs false negatives, its entity not recovered; `records_lost`).
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


def _metrics(tp: float, predicted: float, true: float, exact: int, n_pred: int, n_true: int,
             records: int, lost: int) -> dict[str, float]:
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
        "records": float(records),
        "records_lost": float(lost),
    }


# The cluster a lost record is put in: its own, named unlike any customer_id (no NUL: pandas' hash cuts at one).
LOST = "(lost record) "


def cluster_quality(assigned: DataFrame, labels: DataFrame, predicted: str = "customer_id", truth: str = "entity",
                    given: DataFrame | None = None) -> dict[str, float]:
    """Metrics over every labelled record (of `given`'s record_ids, the records the tool was given, if set).

    A labelled record missing from `assigned` was lost: it counts as a cluster of its own for
    pairs (each true pair with it a false negative), is never an exactly recovered entity, and
    is counted in records_lost. Assigned records without a label cannot be judged and are left out.
    """
    universe = labels.select("record_id", F.col(truth).alias("t"))
    if given is not None:
        universe = universe.join(given.select("record_id").distinct(), "record_id", "left_semi")
    both = universe.join(assigned.select("record_id", F.col(predicted).cast("string").alias("p")), "record_id", "left") \
        .select("record_id", "t", F.coalesce("p", F.concat(F.lit(LOST), "record_id")).alias("p"),
                F.col("p").isNull().alias("lost")).persist()
    try:
        pairs = lambda n: n * (n - 1) / 2  # noqa: E731
        cells = both.groupBy("p", "t").agg(F.count(F.lit(1)).alias("n"), F.max("lost").alias("lost"))
        tp = cells.agg(F.sum(pairs(F.col("n")))).first()[0] or 0
        pred = both.groupBy("p").agg(F.count(F.lit(1)).alias("n"), F.max("lost").alias("lost"))
        true = both.groupBy("t").agg(F.count(F.lit(1)).alias("n"), F.max("lost").alias("lost"))
        predicted_pairs = pred.agg(F.sum(pairs(F.col("n")))).first()[0] or 0
        true_pairs = true.agg(F.sum(pairs(F.col("n")))).first()[0] or 0
        p_parts = cells.groupBy("p").agg(F.count(F.lit(1)).alias("k"))
        t_parts = cells.groupBy("t").agg(F.count(F.lit(1)).alias("k"))
        exact = (
            cells.where(~F.col("lost")).join(p_parts.where("k = 1").select("p"), "p")
            .join(t_parts.where("k = 1").select("t"), "t").join(true.where(~F.col("lost")).select("t"), "t").count()
        )
        lost = both.where("lost").count()
        return _metrics(tp, predicted_pairs, true_pairs, exact, pred.where(~F.col("lost")).count(), true.count(),
                        both.count(), lost)
    finally:
        both.unpersist()


def cluster_quality_pandas(assigned: pd.DataFrame, labels: pd.DataFrame, predicted: str = "customer_id",
                           truth: str = "entity", given: pd.Series | None = None) -> dict[str, float]:
    """The same metrics in pandas (benchmarks, and an independent check of the Spark version)."""
    universe = labels[["record_id", truth]].rename(columns={truth: "t"})
    if given is not None:
        universe = universe[universe["record_id"].isin(set(given))]
    found = assigned[["record_id", predicted]].rename(columns={predicted: "p"}).dropna(subset=["p"]).astype({"p": str})
    both = universe.merge(found, on="record_id", how="left")
    both["lost"] = both["p"].isna()
    both.loc[both["lost"], "p"] = LOST + both.loc[both["lost"], "record_id"].astype(str)
    cells = both.groupby(["p", "t"]).size()
    pairs = lambda s: float((s * (s - 1) / 2).sum())  # noqa: E731
    tp = pairs(cells)
    pred = both.groupby("p").size()
    true = both.groupby("t").size()
    flat = cells.reset_index()
    p_parts, t_parts = flat.groupby("p").size(), flat.groupby("t").size()
    lost_p, lost_t = set(both.loc[both["lost"], "p"]), set(both.loc[both["lost"], "t"])
    exact = int((flat["p"].map(p_parts).eq(1) & flat["t"].map(t_parts).eq(1)
                 & ~flat["p"].isin(lost_p) & ~flat["t"].isin(lost_t)).sum())
    return _metrics(tp, pairs(pred), pairs(true), exact, len(pred) - len(lost_p), len(true), len(both),
                    int(both["lost"].sum()))


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
    """Pairwise and cluster precision/recall/F1 of gold/customer_ids against the labels, if any, over silver's records."""
    path = labels_path(ctx)
    if path is None or not path.exists():
        return None
    labels = ctx.spark.read.option("header", True).csv(str(path)).select(
        RECORD_ID, F.col(ctx.policy.quality.entity_column).alias("entity"))
    given = ctx.read_silver(ctx.profile)  # the records resolution was given: each needs a customer_id
    given = given.select(RECORD_ID) if given is not None else None
    metrics: dict[str, float | str] = dict(cluster_quality(ctx.read(CUSTOMER_IDS), labels, given=given))
    metrics["labels"] = str(path)
    return metrics
