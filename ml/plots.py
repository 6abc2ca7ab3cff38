"""Plots logged with each training: ROC curve, calibration curve, feature importance, actual vs predicted.

Each function takes plain numbers (already collected from Spark) and returns a matplotlib
figure; pipeline.py logs them to MLflow and the Dagster asset shows them in its metadata.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import numpy as np  # noqa: E402


def roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False and true positive rates at every score threshold, from (0, 0) to (1, 1)."""
    order = np.argsort(-scores, kind="mergesort")
    labels, scores = labels[order], scores[order]
    distinct = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(labels)[distinct]
    fps = (distinct + 1) - tps
    positives, negatives = max(tps[-1], 1), max(fps[-1], 1)
    return np.r_[0.0, fps / negatives], np.r_[0.0, tps / positives]


def roc_figure(labels: np.ndarray, scores: np.ndarray, baseline: np.ndarray | None, title: str):
    """ROC of the model (and of the baseline on the same customers)."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(*roc_points(labels, scores), label="model")
    if baseline is not None:
        ax.plot(*roc_points(labels, baseline), label="baseline", linestyle="--")
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def calibration_figure(table: list[tuple[float, float, int]], title: str):
    """Mean score against positive rate per score bin; the diagonal is perfect calibration."""
    fig, ax = plt.subplots(figsize=(5, 5))
    if table:
        p, y, n = (np.array(v) for v in zip(*table, strict=True))
        ax.plot(p, y, marker="o", label="model")
        ax.scatter(p, y, s=20 + 200 * n / n.max(), alpha=0.3)
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8, label="perfect")
    ax.set(xlabel="mean predicted probability", ylabel="observed positive rate", xlim=(0, 1), ylim=(0, 1),
           title=title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def importance_figure(importance: list[tuple[str, float]], title: str, top: int = 20):
    """Horizontal bars of the most important features."""
    shown = importance[:top][::-1]
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.3 * len(shown) + 1)))
    ax.barh([name for name, _ in shown], [value for _, value in shown])
    ax.set(xlabel="importance", title=title)
    fig.tight_layout()
    return fig


def actual_vs_predicted_figure(labels: np.ndarray, scores: np.ndarray, title: str):
    """Scatter of predicted against actual values (numeric outcomes)."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(labels, scores, s=4, alpha=0.3)
    top = float(max(labels.max(initial=0), scores.max(initial=0)))
    ax.plot([0, top], [0, top], color="grey", linewidth=0.8)
    ax.set(xlabel="actual", ylabel="predicted", title=title)
    fig.tight_layout()
    return fig


def close(fig) -> None:
    """Free a figure once logged."""
    plt.close(fig)
