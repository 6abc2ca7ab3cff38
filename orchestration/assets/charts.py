"""Small matplotlib charts embedded in Dagster metadata as base64 PNG markdown."""

from __future__ import annotations

import base64
import io

import dagster as dg


def png_markdown(figure, title: str) -> dg.MetadataValue:
    """A matplotlib figure as a markdown image (the Dagster UI renders it inline)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return dg.MetadataValue.md(f"**{title}**\n\n![{title}](data:image/png;base64,{encoded})")


def bar_chart(labels: list[str], values: list[float], title: str, ylabel: str = "") -> dg.MetadataValue:
    """A labelled bar chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3))
    axis.bar([str(x) for x in labels], values, color="#3b75af")
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.tick_params(axis="x", labelrotation=30)
    return png_markdown(figure, title)
