"""`insights bench forget --lake L`: one forget request vs 100 in one pass, on a copy of a materialised lake.

Cases (seconds each, same machine, same run, each applied with --now semantics: resolve,
erase in one MERGE per table, vacuum the tables touched with retention 0; the seconds of each
phase are in the row's "phases", and the slowest tables are printed):
- one: one customer ID (target: at most 120 s at the small scale);
- hundred: 100 other customer IDs in one batch (target: at most 2 x one).
The lake is copied first (the source lake is never written); the customers are the first
IDs of gold/customer_ids in sorted order, so runs repeat on the same people.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from insights.bench.results import RESULTS_DIR, emit, write_results

TARGET_ONE_SECONDS = 120.0
TARGET_RATIO = 2.0


@click.command("forget")
@click.option("--lake", "source_lake", required=True, type=click.Path(exists=True, file_okay=False),
              help="A materialised lake to copy (e.g. the one `make run` wrote); it is not changed.")
@click.option("--workspace", "workspace_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="The workspace that lake was built from (default: INSIGHTS_WORKSPACE, else examples/retail).")
@click.option("--requests", "count", type=int, default=100, show_default=True, help="Requests in the batch case.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (keys: case, seconds, ...).")
@click.option("--profile", default="bench", show_default=True, help="Spark profile from infra/spark.")
def forget(source_lake: str, workspace_dir: str | None, count: int, as_json: bool, profile: str) -> None:
    """Time forgetting one customer, then a batch of many, on a copy of a lake."""
    from insights.commands.context import command_environment, command_workspace

    workspace = command_workspace(command_environment(workspace_dir, source_lake, profile))
    rows = run(Path(source_lake), workspace, count, profile, progress=(lambda m: None) if as_json else click.echo)
    click.echo(emit(rows, as_json))
    if not as_json:
        click.echo(f"\nappended to {RESULTS_DIR / 'forget.jsonl'}")


def run(source_lake: Path, workspace, count: int, profile: str, progress=print) -> list[dict[str, Any]]:
    """Both cases on one copy of the lake, as result rows."""
    import deltalake

    from jobs.privacy.forget import forget_now
    from jobs.privacy.forget_requests import Ask
    from jobs.session import get_spark
    from schemas.tables import Lake

    scratch = Path(tempfile.mkdtemp(prefix="bench-forget-"))
    try:
        progress(f"copying {source_lake} to {scratch}")
        shutil.copytree(source_lake, scratch / "lake", ignore=shutil.ignore_patterns("mlflow"))
        lake = Lake(str(scratch / "lake"))
        ids = deltalake.DeltaTable(lake.gold("customer_ids")).to_pandas(columns=["customer_id"])
        customers = sorted(ids["customer_id"].unique())[: count + 1]
        spark = get_spark(profile, app_name="bench-forget")
        spark.read.format("delta").load(lake.gold("customer_ids")).count()  # warm Spark up, not timed
        base = {"tables": len(list(Path(lake.root).glob("*/*/_delta_log"))), "customers": len(ids["customer_id"].unique())}
        results: list[dict[str, Any]] = []
        for case, batch in (("one", customers[:1]), ("hundred", customers[1:])):
            started = time.perf_counter()
            done = forget_now(spark, workspace, lake, [Ask("customer", c) for c in batch], retention_hours=0)
            seconds = time.perf_counter() - started
            row = {"case": case, "seconds": round(seconds, 2), "requests": len(batch),
                   "people_found": sum(s.found for s in done.subjects.values()), "rows_removed": done.total,
                   "tables_erased": len(done.rows_removed),
                   "tables_vacuumed": len(done.completion.vacuumed) if done.completion else 0,
                   "phases": {k: v for k, v in done.seconds.items() if " " not in k}, **base}
            results.append(row)
            write_results("forget", [row])
            progress(f"{case}: {seconds:.1f} s, {row['rows_removed']} rows from {row['tables_erased']} tables; "
                     f"phases {json.dumps(row['phases'])}")
            slowest = sorted(((v, k) for k, v in done.seconds.items() if k.startswith("erase ")), reverse=True)
            progress("  slowest tables: " + ", ".join(f"{k[6:]} {v:.1f} s" for v, k in slowest[:8]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    one, hundred = (r["seconds"] for r in results)
    summary = {"hundred_over_one": round(hundred / one, 3), "one_within_target": one <= TARGET_ONE_SECONDS,
               "ratio_within_target": hundred / one <= TARGET_RATIO}
    for row in results:
        row["ratios"] = summary
    progress("ratios: " + json.dumps(summary))
    return results
