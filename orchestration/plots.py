"""Small matplotlib plots embedded in asset metadata as base64 PNG markdown images.

The one place a PNG becomes markdown: assets and checks draw with the helpers here (the figures
themselves are in figures.py, which `insights report` shares), and the predictions' plots (PNG
files ml/ logs to MLflow) go through `png_markdown`.
"""

from __future__ import annotations

import base64

import dagster as dg
import pandas as pd

from orchestration.figures import bar_figure, heatmap_figure, lines_figure, png


def png_markdown(png_bytes: bytes, title: str) -> str:
    """PNG bytes as an inline markdown image (a data URI: metadata needs no file server)."""
    return f"![{title}](data:image/png;base64,{base64.b64encode(png_bytes).decode()})"


def markdown_image(figure, title: str) -> dg.MetadataValue:
    """The figure as a markdown image Dagster's UI shows inline."""
    return dg.MetadataValue.md(png_markdown(png(figure), title))


def bar_chart(labels: list[str], values: list[float], title: str, ylabel: str = "") -> dg.MetadataValue:
    """A labelled bar chart (e.g. clusters by size)."""
    return markdown_image(bar_figure(labels, values, title, ylabel), title)


def lines(frame: pd.DataFrame, x: str, y: str, series: str, title: str) -> dg.MetadataValue:
    """One line per value of `series` (e.g. segment size over run time)."""
    return markdown_image(lines_figure(frame, x, y, series, title), title)


def heatmap(matrix: pd.DataFrame, title: str) -> dg.MetadataValue:
    """A labelled matrix (e.g. segment overlap), values written in the cells."""
    return markdown_image(heatmap_figure(matrix, title), title)
