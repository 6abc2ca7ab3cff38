"""The report's figures as PNG bytes: each takes plain frames already read from the lake."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from orchestration.figures import bar_figure, heatmap_figure, lines_figure, png  # noqa: E402

COLUMNS = 4  # small multiples per row


def grid(count: int, width: float = 3.2, height: float = 2.4):
    """A figure of `count` small panels, the unused ones hidden."""
    rows = max(1, math.ceil(count / COLUMNS))
    columns = min(COLUMNS, max(count, 1))
    figure, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False)
    flat = list(axes.flat)
    for axis in flat[count:]:
        axis.set_visible(False)
    return figure, flat[:count]


def row_counts(counts: dict[str, int]) -> bytes:
    """Rows per table, horizontal bars on a log scale that keeps zero (bronze to meta, top to bottom)."""
    names = list(counts)[::-1]
    figure, axis = plt.subplots(figsize=(9, max(2.5, 0.2 * len(names) + 1)))
    bars = axis.barh(names, [counts[n] for n in names], color="#3b75af")
    axis.bar_label(bars, labels=[f"{counts[n]:,}" for n in names], fontsize=6, padding=2)
    axis.set_xscale("symlog", linthresh=1)
    axis.set_xlim(0, max(counts.values(), default=1) * 3)
    axis.set(xlabel="rows (log scale, 0 at the axis)", title="rows per table")
    axis.tick_params(axis="y", labelsize=7)
    figure.tight_layout()
    return png(figure)


def quarantine_bars(counts: pd.DataFrame) -> bytes:
    """Quarantined rows per source, stacked by reason."""
    table = counts.pivot_table(index="source", columns="reason", values="rows", aggfunc="sum", fill_value=0)
    figure, axis = plt.subplots(figsize=(10, max(2.5, 0.4 * len(table) + 1.5)))
    table.plot.barh(stacked=True, ax=axis, width=0.7)
    axis.set(xlabel="rows in quarantine", ylabel="", title="quarantine by source and reason")
    axis.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), title="reason", title_fontsize=7)
    figure.tight_layout()
    return png(figure)


def kpi_histograms(kpis: pd.DataFrame) -> bytes:
    """One histogram per numeric KPI (bars of counts for text KPIs), nulls left out and counted."""
    figure, axes = grid(len(kpis.columns))
    for axis, name in zip(axes, kpis.columns, strict=True):
        values = kpis[name].dropna()
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            axis.hist(values.astype(float), bins=20, color="#3b75af")
        else:
            counts = values.astype(str).value_counts().head(8)
            axis.bar(counts.index, counts.values, color="#6a9f58")
            axis.tick_params(axis="x", labelrotation=30, labelsize=7)
        axis.set_title(f"{name} (n={len(values)})", fontsize=8)
        axis.tick_params(labelsize=7)
    figure.tight_layout()
    return png(figure)


def kpi_trends(business: pd.DataFrame, top: int = 6) -> bytes:
    """One panel per business KPI: its value per period, a line per dimension value (the largest `top`)."""
    kpis = sorted(business["kpi"].unique())
    figure, axes = grid(len(kpis), width=4.2, height=2.8)
    for axis, name in zip(axes, kpis, strict=True):
        rows = business[business["kpi"] == name]
        grain = rows["grain"].iloc[0]
        keys = rows["dimension_value"].fillna("all")
        largest = rows.assign(key=keys).groupby("key")["value"].sum().nlargest(top).index
        for key, part in rows.assign(key=keys).groupby("key"):
            if key in largest:
                part = part.sort_values("period")
                axis.plot(part["period"], part["value"], marker=".", label=str(key))
        dimension = rows["dimension"].dropna()
        axis.set_title(f"{name} per {grain}" + (f" by {dimension.iloc[0]}" if len(dimension) else ""), fontsize=8)
        if len(largest) > 1:
            axis.legend(fontsize=6)
        axis.tick_params(labelsize=7)
        axis.tick_params(axis="x", labelrotation=30)
    figure.tight_layout()
    return png(figure)


def segment_sizes(sizes: pd.DataFrame) -> bytes:
    """Members of each segment at each run (bars of the one run when there is only one)."""
    if sizes["at"].nunique() > 1:
        return png(lines_figure(sizes, "at", "size", "segment", "segment size per run"))
    ordered = sizes.sort_values("segment")
    figure = bar_figure(list(ordered["segment"]), [int(v) for v in ordered["size"]],
                        f"segment size at the run of {ordered['at'].iloc[0]:%Y-%m-%d %H:%M} UTC", "customers")
    return png(figure)


def segment_overlap(overlap: pd.DataFrame) -> bytes:
    """Jaccard index of every pair of segments (the matrix is symmetric)."""
    both = pd.concat([overlap, overlap.rename(columns={"segment_a": "segment_b", "segment_b": "segment_a"})])
    matrix = both.pivot_table(index="segment_a", columns="segment_b", values="jaccard", aggfunc="max").fillna(0.0)
    return png(heatmap_figure(matrix, "segment overlap (Jaccard)"))


def match_weights(pairs: pd.DataFrame) -> bytes:
    """Match weight (bits) and probability of the candidate pairs, linked and not linked apart."""
    figure, (weights, probabilities) = plt.subplots(1, 2, figsize=(10, 3.4))
    bins = np.histogram_bin_edges(pairs["match_weight"].astype(float), bins=30)
    for linked, part in pairs.groupby("linked"):
        label = "linked" if linked else "not linked"
        weights.hist(part["match_weight"].astype(float), bins=bins, alpha=0.7, label=label)
        probabilities.hist(part["match_probability"].astype(float), bins=np.linspace(0, 1, 21), alpha=0.7,
                           label=label)
    weights.set(xlabel="match weight (bits)", ylabel="pairs", title=f"match weight of {len(pairs):,} pairs")
    probabilities.set(xlabel="match probability", ylabel="pairs", title="match probability")
    weights.legend(fontsize=7)
    figure.tight_layout()
    return png(figure)


def cluster_sizes(sizes: pd.Series, source: str) -> bytes:
    """How many customers hold 1, 2, 3, ... records."""
    return png(bar_figure([str(i) for i in sizes.index], [int(v) for v in sizes.values],
                          f"records per customer ({source})", "customers"))


def accuracy_bars(metrics: dict[str, float]) -> bytes:
    """Pairwise and cluster precision, recall and F1 against the labels."""
    kinds, measures = ("pairwise", "cluster"), ("precision", "recall", "f1")
    figure, axis = plt.subplots(figsize=(6, 3))
    for offset, kind in zip((-0.2, 0.2), kinds, strict=True):
        values = [metrics[f"{kind}_{m}"] for m in measures]
        bars = axis.bar(np.arange(3) + offset, values, width=0.38, label=kind)
        axis.bar_label(bars, fmt="%.3f", fontsize=7)
    axis.set_xticks(range(3), measures)
    axis.set(ylim=(0, 1.1), title="identity resolution against the labels")
    axis.legend(fontsize=7, loc="lower right")
    return png(figure)


def against_baseline(model: dict[str, float], baseline: dict[str, float], title: str) -> bytes:
    """Each holdout metric of the model beside the naive baseline's."""
    names = sorted(model)
    figure, axis = plt.subplots(figsize=(7, 3.2))
    x = np.arange(len(names))
    axis.bar(x - 0.2, [model[n] for n in names], width=0.38, label="model")
    axis.bar(x + 0.2, [baseline[n] for n in names], width=0.38, label="baseline")
    axis.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
    axis.set_title(title)
    axis.legend(fontsize=7)
    figure.tight_layout()
    return png(figure)


def score_histogram(scores: pd.Series, title: str) -> bytes:
    """The distribution of the champion's scores over every customer."""
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.hist(scores.astype(float), bins=25, color="#3b75af")
    axis.set(xlabel="score", ylabel="customers", title=title)
    figure.tight_layout()
    return png(figure)
