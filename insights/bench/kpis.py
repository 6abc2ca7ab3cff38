"""`insights bench kpis --scale S`: KPI engine cost on generated data, against DuckDB in the same run.

Cases (seconds each, same machine, same run):
- kpis_5, kpis_50: full runs of 5 and 50 customer KPIs over silver/purchase (target: 50 <= 1.5 x 5),
  three of each in alternating order (5, 50 / 50, 5 / 5, 50), the median reported with every sample;
- incremental_1pct: after 1% new purchases land in silver (a real MERGE, so the change data
  feed holds them), the incremental run of the 50 KPIs; full: a full run of the same 50 KPIs
  on the same data (target: incremental <= 15% of full); the two tables are compared;
- duckdb_reference: the same 50 KPIs computed by DuckDB over the same Delta files, read with
  delta-rs (deltalake), from SQL written by hand (insights/bench/kpi_reference.py: neither our
  compiler nor our window code), compared customer by customer with Spark's table.
The silver tables are built once per scale (bronze + silver jobs, not timed) and kept; the
landed 1% is rolled back (Delta RESTORE) at the end, so runs repeat on the same data.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import yaml

from insights.bench.kpi_sets import AS_OF, INTERACTION, kpi_set
from insights.bench.results import RESULTS_DIR, bench_data_dir, emit, write_results

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "examples" / "retail"
PROFILE_SOURCES = ("crm_contacts", "webshop_accounts", "loyalty_members")
PURCHASE_SOURCES = ("web_orders", "pos_transactions")
NEW_SHARE = 0.01
SEED = 42
# The full runs of 5 and 50 KPIs, three rounds in alternating order; each case reports its median.
ROUNDS = ((5, 50), (50, 5), (5, 50))
ORDER_TEXT = " / ".join(",".join(map(str, r)) for r in ROUNDS)


@click.command("kpis")
@click.option("--scale", type=click.Choice(["tiny", "small", "medium", "large"]), default="medium", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (keys: case, seconds, ...).")
@click.option("--profile", default="bench", show_default=True, help="Spark profile from infra/spark.")
def kpis(scale: str, as_json: bool, profile: str) -> None:
    """Time 5 vs 50 KPIs, incremental after 1% new purchases vs full, and DuckDB on the same files."""
    rows = run(scale, profile, progress=(lambda m: None) if as_json else click.echo)
    click.echo(emit(rows, as_json))
    if not as_json:
        click.echo(f"\nappended to {RESULTS_DIR / 'kpis.jsonl'}")


def run(scale: str, profile: str, progress=print) -> list[dict[str, Any]]:
    """Every case of the benchmark at one scale, as result rows."""
    from jobs.session import get_spark

    data = ensure_data(scale, progress)
    folder = bench_data_dir(scale).parent / "lakes" / f"kpis-{scale}"
    workspace = bench_workspace(folder / "workspace", data)
    spark = get_spark(profile, app_name=f"bench-kpis-{scale}")
    from schemas.tables import Lake

    lake = Lake(str(folder / "lake"))
    build_silver_once(spark, workspace, lake, folder, progress)
    rows_in = spark.read.format("delta").load(lake.silver(INTERACTION)).count()  # also warms Spark up
    base = {"scale": scale, "interactions": rows_in, "cores": os.cpu_count()}
    results: list[dict[str, Any]] = []

    def record(case: str, seconds: float, **extra: Any) -> None:
        row = {"case": case, "seconds": round(seconds, 2), **base, **extra}
        results.append(row)
        write_results("kpis", [row])  # each case as soon as it is measured: a long run keeps what it got
        progress(f"{case}: {seconds:.1f} s {extra}")

    from jobs.kpis import refresh_customer_kpis

    bench_tables = {n: lake.gold(f"bench_{n}") for n in ("kpis_5", "kpis_50", "kpis_50_full")}
    samples: dict[int, list[float]] = {5: [], 50: []}
    for sizes in ROUNDS:  # alternated, so neither set always runs first and absorbs the warm-up
        for size in sizes:
            shutil.rmtree(bench_tables[f"kpis_{size}"], ignore_errors=True)  # each run creates its table afresh
            started = time.perf_counter()
            outcome = refresh_customer_kpis(spark, workspace, lake, full=True, definitions=kpi_set(size),
                                            path=bench_tables[f"kpis_{size}"])
            samples[size].append(time.perf_counter() - started)
    for size, seconds in samples.items():
        record(f"kpis_{size}", statistics.median(seconds), kpis=size, customers=outcome.rows,
               samples=[round(s, 2) for s in seconds], order=ORDER_TEXT)

    before = land_new_purchases(spark, workspace, lake, progress)
    try:
        started = time.perf_counter()
        incremental = refresh_customer_kpis(spark, workspace, lake, definitions=kpi_set(50), path=bench_tables["kpis_50"])
        record("incremental_1pct", time.perf_counter() - started, kpis=50, mode=incremental.mode,
               customers_recomputed=incremental.recomputed)
        started = time.perf_counter()
        refresh_customer_kpis(spark, workspace, lake, full=True, definitions=kpi_set(50), path=bench_tables["kpis_50_full"])
        seconds = time.perf_counter() - started
        different = mismatches(spark, bench_tables["kpis_50"], bench_tables["kpis_50_full"], kpi_set(50))
        record("full", seconds, kpis=50, incremental_rows_different=different)
        started = time.perf_counter()
        reference = duckdb_kpis(lake, kpi_set(50))
        seconds = time.perf_counter() - started
        different = duckdb_mismatches(reference, bench_tables["kpis_50_full"], kpi_set(50))
        record("duckdb_reference", seconds, kpis=50, rows=reference.num_rows, sql="hand-written (insights/bench/kpi_reference.py)",
               customers_different=different, equal_to_spark=different == 0)
    finally:
        restore(spark, lake.silver(INTERACTION), before)
    by_case = {r["case"]: r["seconds"] for r in results}
    ratios = {
        "kpis_50_over_kpis_5": by_case["kpis_50"] / by_case["kpis_5"],
        "incremental_over_full": by_case["incremental_1pct"] / by_case["full"],
        "spark_full_over_duckdb": by_case["full"] / by_case["duckdb_reference"],
    }
    summary = {k: round(v, 3) for k, v in ratios.items()}
    for row in results:
        row["ratios"] = summary
    progress("ratios: " + json.dumps(summary))
    return results


def ensure_data(scale: str, progress) -> Path:
    """The generated data of a scale (shared between benchmarks): generated only if missing."""
    from insights.generator import generate

    target = bench_data_dir(scale)
    if (target / "_truth" / "manifest.json").exists():
        return target
    progress(f"generating {scale} data into {target} (once)")
    scratch = target.parent / f".{scale}.tmp-{os.getpid()}"
    generate(scale, SEED, scratch, progress=progress)
    if (target / "_truth" / "manifest.json").exists():  # someone else finished first
        shutil.rmtree(scratch)
    else:
        shutil.rmtree(target, ignore_errors=True)
        os.rename(scratch, target)
    return target


def bench_workspace(folder: Path, data: Path):
    """The retail model with only the customer and purchase sources, reading the generated data."""
    from schemas.loader import load_workspace

    folder.mkdir(parents=True, exist_ok=True)
    sources = yaml.safe_load((RETAIL / "sources.yaml").read_text())["sources"]
    keep = {n: s for n, s in sources.items() if n in PROFILE_SOURCES + PURCHASE_SOURCES + ("stores",)}
    (folder / "workspace.yaml").write_text(yaml.safe_dump({"name": "bench-kpis", "data_root": str(data)}))
    (folder / "sources.yaml").write_text(yaml.safe_dump({"sources": keep}, sort_keys=False))
    shutil.copy(RETAIL / "model.yaml", folder / "model.yaml")
    return load_workspace(folder)


def build_silver_once(spark, workspace, lake, folder: Path, progress) -> None:
    """bronze -> silver for customers and purchases, once per scale (a marker file remembers)."""
    from jobs.bronze import land_source
    from jobs.silver import build_silver

    marker = folder / "silver_built.json"
    if marker.exists():
        return
    started = time.perf_counter()
    for name, source in workspace.sources.items():
        progress(f"landing {name}")
        land_source(spark, name, source, workspace.model, workspace.source_location(name), lake)
    for type_name in workspace.silver_types():
        progress(f"building silver/{type_name}")
        build_silver(spark, workspace, type_name, lake)
    marker.write_text(json.dumps({"seconds": round(time.perf_counter() - started, 1)}))


def land_new_purchases(spark, workspace, lake, progress) -> int:
    """MERGE 1% new purchases (copies of existing ones on the last day of data) into silver; returns the version before."""
    from pyspark.sql import functions as F

    from jobs.delta import table_version
    from jobs.silver import merge_into
    from schemas.tables import BATCH_COL, RECORD_ID, ROW_HASH, SOURCE_KEY

    path = lake.silver(INTERACTION)
    before = table_version(spark, path)
    end = datetime.fromisoformat(AS_OF).replace(tzinfo=UTC)
    tag = f"bench{int(time.time())}"
    silver = spark.read.format("delta").load(path)
    sample = silver.sample(fraction=NEW_SHARE, seed=SEED)
    seconds = F.pmod(F.xxhash64(RECORD_ID), F.lit(86_000)).cast("long")
    new = (
        sample.withColumn(RECORD_ID, F.concat(F.lit(f"{tag}:"), F.col(RECORD_ID)))
        .withColumn(SOURCE_KEY, F.concat(F.lit(f"{tag}:"), F.col(SOURCE_KEY)))
        .withColumn("occurred_at", F.timestamp_seconds(F.lit(int((end - timedelta(days=1)).timestamp())) + seconds))
        .withColumn(BATCH_COL, F.col(BATCH_COL) + 1_000_000)
        .withColumn(ROW_HASH, F.sha2(F.col(RECORD_ID), 256))
    )
    started = time.perf_counter()
    result = merge_into(spark, new, path, INTERACTION)
    progress(f"landed {result.rows_inserted:,} new purchases ({NEW_SHARE:.0%}) in {time.perf_counter() - started:.1f} s")
    return before


def restore(spark, path: str, version: int) -> None:
    """Roll the silver table back to the version before the landed 1%."""
    from delta.tables import DeltaTable

    DeltaTable.forPath(spark, path).restoreToVersion(version)


def mismatches(spark, left: str, right: str, definitions) -> int:
    """Customers whose KPIs differ between two tables (doubles within 1e-9 relative)."""
    from pyspark.sql import functions as F

    a = spark.read.format("delta").load(left).alias("a")
    b = spark.read.format("delta").load(right).alias("b")
    joined = a.join(b, "customer_id", "full_outer")
    differs = F.lit(False)
    for name in definitions.kpis:
        x, y = F.col(f"a.{name}"), F.col(f"b.{name}")
        if dict(a.dtypes)[name] in ("double", "float"):
            close = F.abs(x - y) <= F.lit(1e-9) * F.greatest(F.abs(x), F.abs(y), F.lit(1.0))
            differs |= ~(x.eqNullSafe(y) | F.coalesce(close, F.lit(False)))
        else:
            differs |= ~x.eqNullSafe(y)
    return joined.where(differs).count()


def duckdb_kpis(lake, definitions):
    """The customer KPIs of `definitions` from DuckDB over the silver Delta files (via delta-rs), by the hand-written SQL."""
    import deltalake

    from insights.bench.kpi_reference import duckdb_reference

    purchases = deltalake.DeltaTable(lake.silver(INTERACTION)).to_pyarrow_dataset()
    customers = deltalake.DeltaTable(lake.silver("customer")).to_pyarrow_dataset()
    return duckdb_reference(purchases, customers, list(definitions.kpis))


def duckdb_mismatches(reference, spark_table: str, definitions) -> int:
    """Customers whose DuckDB KPIs differ from Spark's table (doubles within 1e-9 relative)."""
    import deltalake
    import duckdb

    con = duckdb.connect()
    con.register("duck", reference)
    con.register("spark", deltalake.DeltaTable(spark_table).to_pyarrow_dataset())
    import pyarrow as pa

    tests = []
    for name in definitions.kpis:
        d, s = f'd."{name}"', f's."{name}"'
        if pa.types.is_floating(reference.schema.field(name).type):
            tests.append(f"NOT ({d} IS NOT DISTINCT FROM {s} OR coalesce(abs({d} - {s}) <= "
                         f"1e-9 * greatest(abs({d}), abs({s}), 1.0), false))")
        else:
            tests.append(f"{d} IS DISTINCT FROM {s}")
    query = f"""SELECT count(*) FROM duck d FULL OUTER JOIN spark s ON d.customer_id = s.customer_id
                WHERE d.customer_id IS NULL OR s.customer_id IS NULL OR {' OR '.join(tests)}"""
    return con.execute(query).fetchone()[0]
