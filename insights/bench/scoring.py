"""`insights bench scoring`: our Spark ML predictions against BG/NBD and Gamma-Gamma on CDNOW.

Calibration up to 1997-09-30, the following 39 weeks (273 days) as holdout, both sides fitted
in the same run on the same transactions: repeat purchases per customer (MAE, RMSE, Pearson r),
churn = no purchase in the holdout (AUC; BG/NBD scores it by 1 - P(alive), and, as a stronger
peer, by its expected number of holdout purchases), and holdout spend (ours against BG/NBD x
Gamma-Gamma). Then training and scoring time of the retail churn prediction on a generator
scale. Results print and append to benchmarks/results/scoring.jsonl.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
import yaml

from insights.bench.results import bench_data_dir, emit, shipped_data_fingerprint, write_results

ROOT = Path(__file__).resolve().parents[2]
CDNOW_WORKSPACE = ROOT / "examples" / "cdnow"
RETAIL_WORKSPACE = ROOT / "examples" / "retail"
HOLDOUT_DAYS = 273
TASKS = {"churn": "churn_39w", "repeat": "repeat_purchases_39w", "spend": "spend_39w"}


@click.command("scoring")
@click.option("--dataset", type=click.Choice(["cdnow"]), default="cdnow", show_default=True)
@click.option("--scale", type=click.Choice(["tiny", "small", "medium", "large", "none"]), default="medium",
              show_default=True, help="Generator scale for training and scoring time ('none' skips it).")
@click.option("--profile", default=None, help="Spark profile (default: INSIGHTS_SPARK_PROFILE, else local).")
@click.option("--work", type=click.Path(file_okay=False), default=None,
              help="Folder for the lakes (default: a temporary folder, removed afterwards).")
@click.option("--part", type=click.Choice(["all", "quality", "timing"]), default="all", show_default=True,
              help="quality: the CDNOW comparison only; timing: the scale's training and scoring time only.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line: model, task, metric, value.")
def scoring(dataset: str, scale: str, profile: str | None, work: str | None, part: str, as_json: bool) -> None:
    """Compare predictions with BG/NBD and Gamma-Gamma on CDNOW; time training and scoring."""
    from schemas.environment import Environment

    profile = Environment.from_env(spark_profile=profile).spark_profile
    folder = Path(work) if work else Path(tempfile.mkdtemp(prefix="bench-scoring-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        rows = []
        if part in ("all", "quality"):
            quality = cdnow_rows(folder / dataset, profile, say=lambda m: click.echo(m, err=True))
            rows += [r | {"data_fingerprint": shipped_data_fingerprint("lifetimes", "cdnow")} for r in quality]
        if part in ("all", "timing") and scale != "none":
            timing = timing_rows(scale, folder / f"retail-{scale}", profile, say=lambda m: click.echo(m, err=True))
            rows += [r | {"scale": scale} for r in timing]
    finally:
        if not work:
            shutil.rmtree(folder, ignore_errors=True)
    path = write_results("scoring", rows)
    click.echo(emit(rows, as_json))
    if not as_json:
        click.echo(f"\nappended to {path}")


def row(model: str, task: str, metric: str, value: float) -> dict:
    return {"model": model, "task": task, "metric": metric, "value": round(float(value), 6)}


# ------------------------------------------------------------------ CDNOW quality


def cdnow_rows(folder: Path, profile: str, say) -> list[dict]:
    """Both sides' holdout figures on the full CDNOW data set, side by side."""
    from insights.datasets.cdnow import CALIBRATION_END, HOLDOUT_END, read_transactions, write_cdnow

    workspace_dir = folder / "workspace"
    workspace_dir.mkdir(parents=True, exist_ok=True)
    for file in CDNOW_WORKSPACE.glob("*.yaml"):
        shutil.copy(file, workspace_dir)
    write_cdnow(workspace_dir / "data")
    transactions = read_transactions()
    started = time.monotonic()
    peers = lifetimes_peers(transactions, CALIBRATION_END, HOLDOUT_END)
    peer_seconds = time.monotonic() - started
    say(f"lifetimes: BG/NBD and Gamma-Gamma fitted in {peer_seconds:.1f} s")
    ours, seconds = our_holdout_scores(workspace_dir, folder / "lake", profile, say)
    return compare(peers, ours, peer_seconds, seconds)


def lifetimes_peers(transactions: pd.DataFrame, calibration_end: str, holdout_end: str) -> pd.DataFrame:
    """Per customer: actual holdout repeat purchases and spend, BG/NBD and Gamma-Gamma predictions."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import calibration_and_holdout_data

    summary = calibration_and_holdout_data(transactions, "customer_id", "date", calibration_end,
                                           observation_period_end=holdout_end, freq="D",
                                           monetary_value_col="amount")
    bgnbd = BetaGeoFitter(penalizer_coef=0.0)
    bgnbd.fit(summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
    expected = bgnbd.conditional_expected_number_of_purchases_up_to_time(
        HOLDOUT_DAYS, summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
    alive = bgnbd.conditional_probability_alive(summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
    repeat = summary[(summary["frequency_cal"] > 0) & (summary["monetary_value_cal"] > 0)]
    gamma = GammaGammaFitter(penalizer_coef=0.0)
    gamma.fit(repeat["frequency_cal"], repeat["monetary_value_cal"])
    value = gamma.conditional_expected_average_profit(summary["frequency_cal"], summary["monetary_value_cal"])
    holdout = transactions[(transactions["date"] > calibration_end) & (transactions["date"] <= holdout_end)]
    spend = holdout.groupby("customer_id")["amount"].sum()
    return pd.DataFrame({
        "repeat_actual": summary["frequency_holdout"],
        "bgnbd_expected": expected,
        "bgnbd_p_alive": alive,
        "spend_actual": spend.reindex(summary.index).fillna(0.0),
        "bgnbd_gg_spend": expected * value,
    })


def our_holdout_scores(workspace_dir: Path, lake_dir: Path, profile: str, say) -> tuple[dict, dict]:
    """Land CDNOW, build silver, train each prediction (forced) and return its holdout scores."""
    from jobs.bronze import land_source
    from jobs.session import get_spark
    from jobs.silver import build_silver
    from ml.fingerprint import data_fingerprint
    from ml.pipeline import train_prediction
    from ml.tracking import tracking_uri_for, use_store
    from jobs.delta import table_version
    from schemas.tables import Lake
    from schemas.loader import load_workspace

    workspace = load_workspace(workspace_dir)
    spark = get_spark(profile)
    lake = Lake(str(lake_dir))
    started = time.monotonic()
    for name, source in workspace.sources.items():
        land_source(spark, name, source, workspace.model, workspace.source_location(name), lake)
    for type_name in workspace.silver_types():
        build_silver(spark, workspace, type_name, lake)
    say(f"CDNOW landed and conformed in {time.monotonic() - started:.1f} s")
    use_store(tracking_uri_for(str(lake_dir)))
    ours, seconds = {}, {}
    for name, prediction in workspace.predictions.predictions.items():
        started = time.monotonic()
        fingerprint = data_fingerprint(workspace, lake, name, prediction, lambda p: table_version(spark, p))
        result = train_prediction(spark, workspace, lake, name, prediction, fingerprint, force=True)
        frame = result.holdout.toPandas()
        result.release()
        frame["customer_id"] = frame["customer_id"].str.split(":").str[-1]
        ours[name] = frame.set_index("customer_id")
        seconds[name] = time.monotonic() - started
        say(f"{name}: {result.chosen}, grade {result.grade.letter}, {seconds[name]:.0f} s")
    return ours, seconds


def compare(peers: pd.DataFrame, ours: dict[str, pd.DataFrame], peer_seconds: float,
            seconds: dict[str, float]) -> list[dict]:
    """The rows: each model's figures per task, on the same customers."""
    rows = [row("bgnbd_gamma_gamma", "fit", "seconds", peer_seconds)]
    repeat = ours[TASKS["repeat"]].join(peers, how="inner")
    rows += [row("customers", "repeat_purchases_39w", "count", len(repeat))]
    for model, predicted in (("spark_ml", repeat["score"]), ("bgnbd", repeat["bgnbd_expected"]),
                             ("baseline_last_period", repeat["baseline"])):
        rows += regression_rows(model, "repeat_purchases_39w", repeat["repeat_actual"], predicted)
    churn = ours[TASKS["churn"]].join(peers, how="inner")
    churned = (churn["repeat_actual"] == 0).astype(int)
    check = (churn["label"] == churned).mean()
    rows += [row("spark_ml", "churn_39w", "auc", auc(churned, churn["score"])),
             row("bgnbd", "churn_39w", "auc", auc(churned, 1 - churn["bgnbd_p_alive"])),
             row("bgnbd_expected_purchases", "churn_39w", "auc", auc(churned, -churn["bgnbd_expected"])),
             row("baseline_recency", "churn_39w", "auc", auc(churned, churn["baseline"])),
             row("labels", "churn_39w", "agreement_with_lifetimes", check)]
    if TASKS["spend"] in ours:
        spend = ours[TASKS["spend"]].join(peers, how="inner")
        for model, predicted in (("spark_ml", spend["score"]), ("bgnbd_gamma_gamma", spend["bgnbd_gg_spend"]),
                                 ("baseline_last_period", spend["baseline"])):
            rows += regression_rows(model, "spend_39w", spend["spend_actual"], predicted)
    rows += [row("spark_ml", name, "training_seconds", s) for name, s in seconds.items()]
    return rows


def regression_rows(model: str, task: str, actual: pd.Series, predicted: pd.Series) -> list[dict]:
    error = predicted.to_numpy(float) - actual.to_numpy(float)
    return [row(model, task, "mae", np.mean(np.abs(error))),
            row(model, task, "rmse", np.sqrt(np.mean(error**2))),
            row(model, task, "pearson_r", np.corrcoef(predicted, actual)[0, 1])]


def auc(labels: pd.Series, scores: pd.Series) -> float:
    """Area under the ROC curve by the rank-sum formula (ties share their average rank)."""
    y = labels.to_numpy(int)
    ranks = pd.Series(scores.to_numpy(float)).rank(method="average").to_numpy()
    positives, negatives = y.sum(), len(y) - y.sum()
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


# ------------------------------------------------------------------ time at a generator scale


def write_purchase_sources(path: Path) -> None:
    """The retail sources that feed customers, stores and purchases (what churn_90d learns from).

    Web events, order lines, support cases and surveys are left out to keep landing a scale
    affordable on one machine; their features are then zero for everyone.
    """
    sources = yaml.safe_load((RETAIL_WORKSPACE / "sources.yaml").read_text())["sources"]
    kept = {name: source for name, source in sources.items()
            if source["target"].get("profile") in ("customer", "store") or source["target"].get("interaction") == "purchase"}
    path.write_text(yaml.safe_dump({"sources": kept}, sort_keys=False))


def timing_rows(scale: str, folder: Path, profile: str, say) -> list[dict]:
    """Train (forced) and score the retail churn prediction on generated data of a scale."""
    from insights.generator import generate
    from jobs.bronze import land_source
    from jobs.delta import table_version
    from jobs.session import get_spark
    from jobs.silver import build_silver
    from ml.fingerprint import data_fingerprint
    from ml.pipeline import train_prediction
    from ml.scores import score_prediction, write_scores
    from ml.tracking import tracking_uri_for, use_store
    from schemas.tables import Lake
    from schemas.loader import load_workspace

    data = bench_data_dir(scale)
    if not (data / "_truth" / "manifest.json").exists():
        say(f"generating the {scale} scale into {data}")
        generate(scale, 42, data)
    workspace_dir = folder / "workspace"
    workspace_dir.mkdir(parents=True, exist_ok=True)
    for file in ("model.yaml", "kpis.yaml", "predictions.yaml"):
        shutil.copy(RETAIL_WORKSPACE / file, workspace_dir)
    write_purchase_sources(workspace_dir / "sources.yaml")
    settings = yaml.safe_load((RETAIL_WORKSPACE / "workspace.yaml").read_text())
    (workspace_dir / "workspace.yaml").write_text(yaml.safe_dump({**settings, "data_root": str(data)}))
    workspace = load_workspace(workspace_dir)
    spark = get_spark(profile)
    lake = Lake(str(folder / "lake"))
    started = time.monotonic()
    for name, source in workspace.sources.items():
        land_source(spark, name, source, workspace.model, workspace.source_location(name), lake)
    for type_name in workspace.silver_types():
        build_silver(spark, workspace, type_name, lake)
    landing = time.monotonic() - started
    say(f"{scale}: landed and conformed in {landing:.0f} s")
    use_store(tracking_uri_for(str(folder / "lake")))
    rows = [row("spark_ml", f"retail_{scale}", "land_and_silver_seconds", landing)]
    for name, prediction in workspace.predictions.predictions.items():
        fingerprint = data_fingerprint(workspace, lake, name, prediction, lambda p: table_version(spark, p))
        started = time.monotonic()
        result = train_prediction(spark, workspace, lake, name, prediction, fingerprint, force=True)
        training = time.monotonic() - started
        result.release()
        started = time.monotonic()
        frame = score_prediction(spark, workspace, lake, name, prediction).rows
        scored = write_scores(spark, frame, lake, name)
        scoring_seconds = time.monotonic() - started
        say(f"{name} at {scale}: trained in {training:.0f} s, {scored:,} customers scored in {scoring_seconds:.0f} s")
        task = f"{name}@{scale}"
        rows += [row("spark_ml", task, "training_seconds", training),
                 row("spark_ml", task, "scoring_seconds", scoring_seconds),
                 row("spark_ml", task, "customers_scored", scored),
                 row("spark_ml", task, f"holdout_{'auc' if 'auc' in result.metrics else 'rmse'}",
                     result.metrics.get("auc", result.metrics.get("rmse", float("nan"))))]
    return rows
