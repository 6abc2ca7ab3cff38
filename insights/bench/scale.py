"""`insights bench scale --scale S`: the whole pipeline on generated data, per asset seconds, rows and peak memory.

Generates the scale's data once (shared with the other benchmarks, INSIGHTS_BENCH_DATA), runs every asset of
examples/retail on a fresh lake like `insights run` does, and appends to benchmarks/results/scale.jsonl one row
per table (rows, its step's seconds, the highest RSS of this Python process and of the driver JVM sampled
during that step) and one total row (run seconds, VmHWM of both processes, seconds per million silver
interactions). Targets (issue 13 item 5): large completes with 24 GB; its seconds per million interactions at
most 20% above medium's (the `growth` row, when both are recorded).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import click

from insights.bench.results import RESULTS_DIR, bench_data_dir, emit, write_results

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "examples" / "retail"


@click.command("scale")
@click.option("--scale", type=click.Choice(["tiny", "small", "medium", "large"]), default="small", show_default=True)
@click.option("--profile", default=None, help="Spark profile from infra/spark (default: large for medium and large, "
                                             "else bench).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (keys: case, scale, asset, ...).")
def scale(scale: str, profile: str | None, as_json: bool) -> None:
    """Generate (if missing) and run the whole pipeline at a scale; per asset seconds, rows and peak memory."""
    profile = profile or ("large" if scale in ("medium", "large") else "bench")
    rows = run(scale, profile, progress=(lambda m: None) if as_json else click.echo)
    click.echo(emit(rows, as_json))
    if not as_json:
        click.echo(f"\nappended to {RESULTS_DIR / 'scale.jsonl'}")


def run(scale: str, profile: str, progress=print) -> list[dict[str, Any]]:
    """Generate if missing, run every asset on a fresh lake, record and return the rows."""
    from insights.bench.kpis import ensure_data
    from insights.bench.memory import MemorySampler
    from insights.bench.scale_records import (asset_rows, growth, interactions, latest_totals, total_row)

    started = time.perf_counter()
    data = ensure_data(scale, progress)
    generate_seconds = time.perf_counter() - started
    lake = bench_data_dir(scale).parent / "lakes" / f"scale-{scale}"
    shutil.rmtree(lake, ignore_errors=True)
    os.environ["INSIGHTS_DATA"] = str(data)
    with MemorySampler() as sampler:
        summary, windows, types = _run_pipeline(lake, profile, progress)
    rows = asset_rows(scale, summary.tables, windows, sampler.samples)
    n = interactions(summary.tables, types)
    total = total_row(scale, summary.seconds, generate_seconds, summary.tables, n, sampler.high_water(),
                      sampler.samples, summary.success) | {"profile": profile, "failures": summary.failures}
    rows.append(total)
    write_results("scale", rows)
    change = growth(latest_totals(RESULTS_DIR / "scale.jsonl"))
    if change and scale in ("medium", "large"):
        rows.append({"case": "growth", **change})
        write_results("scale", rows[-1:])
    return rows


def _run_pipeline(lake: Path, profile: str, progress):
    """insights run's path (plan, then execute in-process), with each step's start and end from Dagster."""
    import dagster as dg

    from insights.bench.scale_records import StepWindow
    from insights.environment import prepare_dagster_home
    from insights.run import execute_plan, plan_run
    from schemas.environment import Environment

    env = Environment.from_env(workspace_dir=str(RETAIL), lake_root=str(lake), spark_profile=profile,
                               dagster_home=str(lake.parent / f".dagster-{lake.name}"))
    home = prepare_dagster_home(env)
    plan = plan_run(env)
    progress(f"running {len(plan.selection.keys)} assets on {lake} (profile {profile}; Dagster log in {home / 'logs'})")
    instance = dg.DagsterInstance.get()
    summary = execute_plan(plan, instance=instance, log_level="INFO", log_dir=home / "logs")
    windows = {s.step_key: StepWindow(s.step_key, s.start_time, s.end_time)
               for s in instance.get_run_step_stats(summary.run_id) if s.start_time and s.end_time}
    progress(summary.render())
    return summary, windows, list(env.load_workspace().model.interactions)
