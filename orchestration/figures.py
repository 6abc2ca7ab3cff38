"""Matplotlib figures shared by asset metadata (plots.py) and `insights report`; no Dagster here."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display: render to PNG only

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def bar_figure(labels: list[str], values: list[float], title: str, ylabel: str = ""):
    """A labelled bar chart (e.g. clusters by size)."""
    figure, axis = plt.subplots(figsize=(6, 3))
    axis.bar([str(x) for x in labels], values, color="#3b75af")
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.tick_params(axis="x", labelrotation=30)
    return figure


def lines_figure(frame: pd.DataFrame, x: str, y: str, series: str, title: str):
    """One line per value of `series` (e.g. segment size over run time)."""
    figure, axis = plt.subplots(figsize=(7, 3.5))
    for name, part in frame.sort_values(x).groupby(series):
        axis.plot(part[x], part[y], marker="o", label=str(name))
    axis.set_title(title)
    axis.set_xlabel(x)
    axis.set_ylabel(y)
    if frame[series].nunique() > 1:
        axis.legend(fontsize=7, loc="best")
    figure.autofmt_xdate()
    return figure


def heatmap_figure(matrix: pd.DataFrame, title: str):
    """A labelled matrix (e.g. segment overlap), values written in the cells."""
    figure, axis = plt.subplots(figsize=(1.0 + 0.8 * len(matrix.columns), 1.0 + 0.6 * len(matrix.index)))
    image = axis.imshow(matrix.values, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(matrix.columns)), matrix.columns, rotation=45, ha="right", fontsize=8)
    axis.set_yticks(range(len(matrix.index)), matrix.index, fontsize=8)
    for i in range(len(matrix.index)):
        for j in range(len(matrix.columns)):
            axis.text(j, i, f"{matrix.values[i, j]:.2f}", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=axis, fraction=0.04)
    axis.set_title(title)
    return figure


def png(figure, dpi: int = 90) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()
