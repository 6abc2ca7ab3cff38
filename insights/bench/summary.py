"""`insights bench summary RUN.jsonl`: one `make bench` run's targets, ours against each peer, as Markdown with plots.

Every number comes from the run's own file (the rows each benchmark wrote during that run, with
its commit, load and data fingerprint), so the summary never mixes runs: a target whose benchmark
did not run, or ran at another scale than the target names, shows as "not measured".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

Rows = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Target:
    """One target of issue 15 or 16: the measured value against its goal, and where it came from."""

    name: str
    value: float | None  # None: not measured in this run
    goal: str  # e.g. "<= 1.0"
    met: bool | None
    detail: str


def load_run(path: Path) -> Rows:
    """The run's rows by benchmark (each line's "bench")."""
    rows: Rows = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise click.ClickException(f"{path}:{number}: not a JSON object ({error.msg})") from error
            rows.setdefault(row.get("bench", "?"), []).append(row)
    return rows


def _last(rows: list[dict], **match: Any) -> dict | None:
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    return found[-1] if found else None


def _target(name: str, value: float | None, goal: str, test: Callable[[float], bool], detail: str) -> Target:
    return Target(name, value, goal, None if value is None else bool(test(value)), detail)


def match_targets(rows: list[dict]) -> list[Target]:
    """Identity resolution on Spark: time at most Splink on Spark's, F1 at least Splink's (at its best threshold)."""
    targets = []
    for dataset, scale in (("febrl4", None), ("generated", "medium"), ("noisy", "small")):
        ours = _last(rows, tool="customer-insights-spark", dataset=dataset, scale=scale)
        peer = _last(rows, tool="splink-spark", dataset=dataset, scale=scale)
        label = dataset if scale is None else f"{dataset} {scale}"
        both = ours is not None and peer is not None
        targets.append(_target(f"match {label}: seconds, ours / Splink-Spark", ours["seconds"] / peer["seconds"] if both else None,
                               "<= 1.0", lambda v: v <= 1.0,
                               f"{ours['seconds']} s vs {peer['seconds']} s" if both else "not measured"))
        peer_f1 = max(peer["f1"], peer.get("best_f1") or 0) if both else None
        targets.append(_target(f"match {label}: F1, ours - Splink's best", ours["f1"] - peer_f1 if both else None,
                               ">= 0", lambda v: v >= 0,
                               f"{ours['f1']} vs {peer_f1} (threshold {peer.get('best_threshold')})" if both else "not measured"))
    return targets


def kpi_targets(rows: list[dict]) -> list[Target]:
    """KPIs: 50 at most 1.5x 5; incremental after 1% at most 15% of full at the large scale; DuckDB agrees."""
    by_case = {r["case"]: r for r in rows}
    targets = []
    five, fifty = by_case.get("kpis_5"), by_case.get("kpis_50")
    targets.append(_target("KPIs: 50 / 5 (medians)", fifty["seconds"] / five["seconds"] if five and fifty else None,
                           "<= 1.5", lambda v: v <= 1.5,
                           f"{fifty['seconds']} s / {five['seconds']} s at {five['scale']}" if five and fifty else "not measured"))
    incremental, full = by_case.get("incremental_1pct"), by_case.get("full")
    large = bool(incremental and full and incremental["scale"] == "large")
    targets.append(_target("KPIs: incremental after 1% / full, large", incremental["seconds"] / full["seconds"] if large else None,
                           "<= 0.15", lambda v: v <= 0.15,
                           f"{incremental['seconds']} s / {full['seconds']} s" if large else
                           (f"ran at {incremental['scale']} only" if incremental else "not measured")))
    duck = by_case.get("duckdb_reference")
    targets.append(_target("KPIs: customers where DuckDB's hand-written SQL differs", duck.get("customers_different") if duck else None,
                           "= 0", lambda v: v == 0,
                           f"{duck['rows']} customers, DuckDB {duck['seconds']} s" if duck else "not measured"))
    return targets


def scale_targets(rows: list[dict]) -> list[Target]:
    """The pipeline: at most 180 s at the small scale; seconds per million interactions grow at most 20% medium -> large."""
    totals = {r["scale"]: r for r in rows if r.get("case") == "total"}
    small = totals.get("small")
    targets = [_target("pipeline seconds, small", small["seconds"] if small else None, "<= 180", lambda v: v <= 180,
                       f"{small['tables']} tables, profile {small.get('profile')}" if small else "not measured")]
    medium, large = totals.get("medium"), totals.get("large")
    both = bool(medium and large)
    growth = large["seconds_per_million_interactions"] / medium["seconds_per_million_interactions"] - 1 if both else None
    targets.append(_target("pipeline s per M interactions, large / medium - 1", growth, "<= 0.20", lambda v: v <= 0.20,
                           f"{medium['seconds_per_million_interactions']} vs {large['seconds_per_million_interactions']}"
                           if both else "not measured"))
    return targets


def forget_targets(rows: list[dict]) -> list[Target]:
    """Forget: one request in at most 2 minutes; 100 in one pass at most 2x one."""
    one, hundred = _last(rows, case="one"), _last(rows, case="hundred")
    return [
        _target("forget: one request, seconds", one["seconds"] if one else None, "<= 120", lambda v: v <= 120,
                f"{one['tables']} tables" if one else "not measured"),
        _target("forget: 100 in one pass / one", hundred["seconds"] / one["seconds"] if one and hundred else None,
                "<= 2.0", lambda v: v <= 2.0,
                f"{hundred['seconds']} s / {one['seconds']} s" if one and hundred else "not measured"),
    ]


def scoring_targets(rows: list[dict]) -> list[Target]:
    """CDNOW: beat BG/NBD on repeat-purchase MAE and churn AUC, BG/NBD x Gamma-Gamma on spend MAE."""
    def value(model: str, task: str, metric: str) -> float | None:
        row = _last(rows, model=model, task=task, metric=metric)
        return None if row is None else row["value"]

    targets = []
    for task, metric, peer, lower_wins in (("repeat_purchases_39w", "mae", "bgnbd", True),
                                           ("spend_39w", "mae", "bgnbd_gamma_gamma", True),
                                           ("churn_39w", "auc", "bgnbd_expected_purchases", False)):
        ours, theirs = value("spark_ml", task, metric), value(peer, task, metric)
        both = ours is not None and theirs is not None
        gap = (theirs - ours if lower_wins else ours - theirs) if both else None
        targets.append(_target(f"CDNOW {task} {metric}: margin over {peer}", gap, "> 0", lambda v: v > 0,
                               f"ours {ours:.4g}, theirs {theirs:.4g}" if both else "not measured"))
    return targets


TARGETS = {"match": match_targets, "kpis": kpi_targets, "scale": scale_targets, "forget": forget_targets,
           "scoring": scoring_targets}


def targets(rows: Rows) -> list[Target]:
    """Every target, in the order the issues give them."""
    return [t for bench, build in TARGETS.items() for t in build(rows.get(bench, []))]


def write_summary(run: Path) -> Path:
    """RUN.md beside the run file, with its plots in RUN-plots/; returns the Markdown's path."""
    from orchestration.figures import bar_figure, png

    rows = load_run(run)
    found = targets(rows)
    plots = run.with_name(run.stem + "-plots")
    plots.mkdir(exist_ok=True)
    stamps = sorted({(r.get("commit"), r.get("machine")) for rs in rows.values() for r in rs}, key=str)
    lines = [f"# Benchmark run {run.stem}", "",
             "Commits and machines: " + "; ".join(f"{c} on {m}" for c, m in stamps), "",
             "| target | value | goal | met | from |", "|---|---|---|---|---|"]
    mark = {True: "yes", False: "**no**", None: "not measured"}
    for t in found:
        shown = "" if t.value is None else f"{t.value:.4g}"
        lines.append(f"| {t.name} | {shown} | {t.goal} | {mark[t.met]} | {t.detail} |")
    loads = [r["load_1min"] for rs in rows.values() for r in rs if r.get("load_1min") is not None]
    if loads:
        lines += ["", f"Machine load (1 min) while rows were written: {min(loads)} to {max(loads)}."]
    totals = [r for r in rows.get("scale", []) if r.get("case") == "total"]
    if totals:
        figure = bar_figure([r["scale"] for r in totals], [r["seconds"] for r in totals], "Pipeline time per scale", "seconds")
        (plots / "time_per_scale.png").write_bytes(png(figure))
        lines += ["", f"![Pipeline time per scale]({plots.name}/time_per_scale.png)"]
    ratios = [t for t in found if t.value is not None and ("/" in t.name)]
    if ratios:
        figure = bar_figure([t.name.replace(", ", "\n", 1) for t in ratios],
                            [t.value for t in ratios], "Ratios against each peer or goal (lower is better)", "ratio")
        (plots / "ratios.png").write_bytes(png(figure))
        lines += ["", f"![Ratios]({plots.name}/ratios.png)"]
    out = run.with_suffix(".md")
    out.write_text("\n".join(lines) + "\n")
    return out


@click.command("summary")
@click.argument("run", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def summary(run: Path) -> None:
    """Write RUN.md (targets, ours against each peer, plots) from one `make bench` run's file."""
    out = write_summary(run)
    click.echo(out.read_text())
    click.echo(f"written to {out}")
