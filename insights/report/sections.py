"""The report's sections: what each shows (figures, tables, facts) or why it cannot, from the data read."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import pandas as pd

from insights.report import plots
from insights.report.data import KpiData, RunSummary, SegmentData
from insights.report.matching import MatchData
from insights.report.models import ModelData, ModelQuality
from schemas.redaction import redact_uri


@dataclass(frozen=True)
class Figure:
    """One plot, inlined in the page as a PNG data URI; `id` names it for tests and links."""

    id: str
    title: str
    png: bytes

    @property
    def src(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


@dataclass(frozen=True)
class Grid:
    """A table on the page: a caption, column names and rows of formatted cells."""

    id: str
    caption: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    """One part of the page; `missing` lists what is absent and why, instead of a plot."""

    id: str
    title: str
    intro: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def number(value, digits: int = 4) -> str:
    """Integers with thousands separators, floats to `digits` decimals, nulls as an en dash."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1000):
        return f"{int(value):,}"
    return f"{value:.{digits}f}"


def absent(key: str) -> str:
    return f"{key} is not in the lake (its step has not run, or the workspace does not enable it)"


def summary_section(summary: RunSummary) -> Section:
    """Every catalogue table with its rows, and the quarantine by source and reason."""
    section = Section("run-summary", "Run summary", "Every table the workspace's catalogue declares, as delta-rs "
                      "reads it, and the rows that landed in quarantine with the reason.")
    present = summary.present
    quarantined = sum(q.rows for q in summary.quarantine)
    section.facts = [("tables in the lake", f"{len(present)} of {len(summary.tables)}"),
                     ("rows", number(sum(t.rows for t in present))), ("rows in quarantine", number(quarantined))]
    section.grids.append(Grid("tables", "tables", ["table", "entity", "rows", "version", "last written (UTC)"], [
        [t.key, t.entity, "not written" if t.rows is None else number(t.rows), number(t.version),
         "" if t.written is None else f"{t.written:%Y-%m-%d %H:%M:%S}"] for t in summary.tables]))
    if present:
        section.figures.append(Figure("row-counts", "rows per table", plots.row_counts({t.key: t.rows for t in present})))
    else:
        section.missing.append("no table of the catalogue is in the lake: run `insights run` first")
    if summary.quarantine:
        frame = pd.DataFrame([q.__dict__ for q in summary.quarantine])
        section.grids.append(Grid("quarantine", "quarantine by reason", ["source", "reason", "rows"],
                                  [[q.source, q.reason, number(q.rows)] for q in summary.quarantine]))
        section.figures.append(Figure("quarantine", "quarantine by source and reason", plots.quarantine_bars(frame)))
    else:
        section.missing.append("no row was sent to quarantine")
    return section


def kpi_section(kpis: KpiData) -> Section:
    """Distributions of the customer KPIs."""
    section = Section("kpi-distributions", "Customer KPI distributions", "One histogram per KPI of gold/kpis_customer "
                      "over every customer (nulls left out: n counts the customers with a value).")
    frame = kpis.customer
    if frame is None or frame.empty or not len(frame.columns):
        section.missing.append(absent("gold/kpis_customer") if frame is None else "gold/kpis_customer is empty")
        return section
    section.facts = [("customers", number(len(frame))), ("KPIs", str(len(frame.columns)))]
    section.figures.append(Figure("kpi-histograms", "customer KPIs", plots.kpi_histograms(frame)))
    numeric = frame.select_dtypes("number")
    section.grids.append(Grid("kpi-stats", "customer KPIs", ["kpi", "customers with a value", "mean", "median",
                                                             "min", "max"], [
        [name, number(int(numeric[name].count())), number(numeric[name].mean(), 2),
         number(numeric[name].median(), 2), number(numeric[name].min(), 2), number(numeric[name].max(), 2)]
        for name in numeric.columns]))
    return section


def trend_section(kpis: KpiData) -> Section:
    """Business KPIs per period."""
    section = Section("kpi-trends", "Business KPI trends", "gold/kpis_business: each business KPI per period of its "
                      "grain; split KPIs show their largest dimension values.")
    frame = kpis.business
    if frame is None or frame.empty:
        section.missing.append(absent("gold/kpis_business") if frame is None else "gold/kpis_business is empty")
        return section
    section.figures.append(Figure("kpi-trends", "business KPIs per period", plots.kpi_trends(frame)))
    rows = []
    for (kpi, grain), part in frame.groupby(["kpi", "grain"]):
        latest = part[part["period"] == part["period"].max()]["value"].sum()
        rows.append([kpi, grain, number(part["period"].nunique()), f"{part['period'].min():%Y-%m-%d}",
                     f"{part['period'].max():%Y-%m-%d}", number(float(latest), 2)])
    section.grids.append(Grid("kpi-periods", "business KPIs", ["kpi", "grain", "periods", "first", "last",
                                                               "latest value (all dimension values)"], rows))
    return section


def segment_section(segments: SegmentData) -> Section:
    """Segment sizes at every run and their overlap."""
    section = Section("segments", "Segments", "gold/segment_sizes (members at each run, with entries and exits) "
                      "and gold/segment_overlap (Jaccard index of every pair).")
    sizes, overlap = segments.sizes, segments.overlap
    if sizes is None or sizes.empty:
        section.missing.append(absent("gold/segment_sizes") if sizes is None else "gold/segment_sizes is empty")
    else:
        section.figures.append(Figure("segment-sizes", "segment size per run", plots.segment_sizes(sizes)))
        last = sizes.sort_values("at").groupby("segment").tail(1).sort_values("segment")
        section.grids.append(Grid("segment-sizes", "at the last run", ["segment", "size", "entered", "left", "runs"], [
            [row.segment, number(int(row.size)), number(int(row.entered)), number(int(row.left)),
             number(int((sizes["segment"] == row.segment).sum()))] for row in last.itertuples()]))
    if overlap is None or overlap.empty:
        section.missing.append(absent("gold/segment_overlap") if overlap is None else "gold/segment_overlap is empty")
    else:
        section.figures.append(Figure("segment-overlap", "segment overlap", plots.segment_overlap(overlap)))
    return section


def match_section(match: MatchData) -> Section:
    """Pair weights, records per customer and accuracy against the labels."""
    section = Section("match-quality", "Match quality", "Identity resolution: the candidate pairs' match weights "
                      "(gold/identity_pairs), how many records each customer holds, and precision, recall and F1 "
                      "of the customer IDs against the labels when there are some.")
    if match.pairs is None or match.pairs.empty:
        section.missing.append(absent("gold/identity_pairs") if match.pairs is None else "gold/identity_pairs is empty")
    else:
        linked = int(match.pairs["linked"].sum())
        section.facts += [("candidate pairs", number(len(match.pairs))), ("linked pairs", number(linked))]
        section.figures.append(Figure("match-weights", "match weights", plots.match_weights(match.pairs)))
    if match.cluster_sizes is None:
        section.missing.append(absent("gold/customer_ids") + "; so is gold/identity_clusters")
    else:
        sizes = match.cluster_sizes
        section.figures.append(Figure("cluster-sizes", "records per customer",
                                      plots.cluster_sizes(sizes, match.cluster_source)))
        section.grids.append(Grid("cluster-sizes", f"records per customer ({match.cluster_source})",
                                  ["records", "customers"], [[str(k), number(int(v))] for k, v in sizes.items()]))
    if match.accuracy is None:
        section.missing.append(match.no_labels)
    else:
        metrics = match.accuracy.metrics
        section.facts.append(("labels", str(match.accuracy.labels)))
        section.figures.append(Figure("match-accuracy", "accuracy against the labels", plots.accuracy_bars(metrics)))
        section.grids.append(Grid("match-accuracy", "against the labels", ["metric", "value"],
                                  [[name, number(value)] for name, value in metrics.items()]))
    return section


def model_figures(model: ModelQuality, scores: pd.DataFrame | None) -> list[Figure]:
    """The logged holdout plots, the metrics against the baseline, and the champion's scores."""
    name = model.prediction
    figures = [Figure(f"model-{name}-{plot}", f"{name}: {plot.replace('_', ' ')}", data)
               for plot, data in model.plots.items()]
    figures.append(Figure(f"model-{name}-baseline", f"{name}: model against baseline",
                          plots.against_baseline(model.metrics, model.baseline, f"{name}: holdout metrics")))
    if scores is not None:
        mine = scores[scores["prediction"] == name]
        if len(mine):
            figures.append(Figure(f"model-{name}-scores", f"{name}: scores",
                                  plots.score_histogram(mine["score"], f"{name}: scores of {len(mine):,} customers")))
    return figures


def model_section(models: ModelData, scores: pd.DataFrame | None) -> Section:
    """Each prediction's holdout quality, graded against the naive baseline."""
    section = Section("model-quality", "Model quality", "Each prediction's champion, from the MLflow store: holdout "
                      "metrics of the model and of the naive baseline, the grade (the share of the baseline's "
                      "error the model removes: A from 20 %, B from 5 %), the ROC and calibration plots the "
                      "training logged, and the scores in gold/scores.")
    section.missing += models.notes
    if models.store:
        section.facts.append(("MLflow store", redact_uri(models.store)))
    for model in models.models:
        improvement = "–" if model.improvement is None else f"{model.improvement:.1%}"
        section.facts.append((f"{model.prediction}", f"{model.model_name} v{model.version or '?'}, grade "
                              f"{model.grade or '?'} ({improvement} of the baseline's error removed on "
                              f"{model.selection_metric})"))
        section.grids.append(Grid(f"model-{model.prediction}", f"{model.prediction} on the holdout "
                                  f"(cutoff {model.holdout_cutoff}, run {model.run_id[:8]})",
                                  ["metric", "model", "baseline"],
                                  [[m, number(model.metrics[m]), number(model.baseline[m])] for m in sorted(model.metrics)]))
        section.figures += model_figures(model, scores)
    return section
