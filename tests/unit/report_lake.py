"""A small lake for `insights report` tests, written with delta-rs (and an MLflow store) in tmp_path.

The retail workspace's YAML (no data but a truth file) names the catalogue; the lake holds a
few of its tables with known contents, so each figure's numbers can be recomputed by hand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from deltalake import write_deltalake

ROOT = Path(__file__).resolve().parents[2]
AS_OF = pd.Timestamp("2026-06-30", tz="UTC")
QUARANTINE = {  # source -> reasons of its quarantined rows
    "crm_contacts": ["malformed CSV row", "malformed CSV row", "missing required field 'email'"],
    "web_orders": ["malformed JSON line"],
}
# record -> (customer the pipeline assigned, person the generator made): one wrong merge, one split
RECORDS = {
    "crm_contacts:C1": ("K1", "P1"), "webshop_accounts:W1": ("K1", "P1"), "loyalty_members:L1": ("K1", "P1"),
    "crm_contacts:C2": ("K2", "P2"), "webshop_accounts:W2": ("K2", "P3"),
    "crm_contacts:C4": ("K4", "P4"), "webshop_accounts:W4": ("K5", "P4"),
    "crm_contacts:C6": ("K6", "P6"),
}
METRICS = {"auc": 0.71, "brier": 0.2, "log_loss": 0.6}
BASELINE = {"auc": 0.6, "brier": 0.23, "log_loss": 0.68}


def workspace_copy(tmp_path: Path) -> Path:
    """The retail workspace's YAML files with a truth file of RECORDS' persons."""
    folder = tmp_path / "workspace"
    folder.mkdir()
    for file in (ROOT / "examples" / "retail").glob("*.yaml"):
        shutil.copy(file, folder)
    truth = folder / "data" / "_truth"
    truth.mkdir(parents=True)
    pd.DataFrame({"record_id": list(RECORDS), "person_id": [p for _, p in RECORDS.values()]}).to_csv(
        truth / "records.csv", index=False)
    return folder


def write(lake: Path, key: str, frame: pd.DataFrame) -> None:
    write_deltalake(str(lake / key), frame, mode="overwrite")


def base_tables(lake: Path) -> None:
    """Bronze, quarantine and the customer KPIs: what even a lake without identity or segments has."""
    write(lake, "bronze/crm_contacts", pd.DataFrame({"contact_id": ["C1", "C2", "C4", "C6"], "_source": "crm_contacts"}))
    for source, reasons in QUARANTINE.items():
        write(lake, f"quarantine/{source}", pd.DataFrame({"_source": source, "_raw": "x", "_reason": reasons}))
    customers = sorted({c for c, _ in RECORDS.values()})
    write(lake, "gold/kpis_customer", pd.DataFrame({
        "customer_id": customers, "lifetime_spend": [120.0, 35.5, None, 10.0, 99.0],
        "order_count": [3, 1, 0, 1, 2], "last_channel": ["web", "store", None, "web", "web"],
        "as_of": AS_OF, "computed_at": AS_OF}))


def identity_tables(lake: Path) -> None:
    ids = pd.DataFrame({"record_id": list(RECORDS), "customer_id": [c for c, _ in RECORDS.values()],
                        "source": [r.split(":")[0] for r in RECORDS]})
    write(lake, "gold/customer_ids", ids)
    rng = np.random.default_rng(3)
    weights = np.r_[rng.normal(12, 3, 40), rng.normal(-6, 3, 60)]
    write(lake, "gold/identity_pairs", pd.DataFrame({
        "record_id_l": [f"a{i}" for i in range(100)], "record_id_r": [f"b{i}" for i in range(100)],
        "match_weight": weights, "match_probability": 1 / (1 + 2.0 ** -weights),
        "linked": weights > 0, "deterministic": False}))


def gold_tables(lake: Path) -> None:
    """Business KPIs, segments and scores."""
    months = pd.date_range("2026-01-01", periods=6, freq="MS").strftime("%Y-%m-%d")
    write(lake, "gold/kpis_business", pd.DataFrame({
        "kpi": ["revenue"] * 6 + ["revenue_by_channel"] * 12, "grain": "month",
        "period": list(months) * 3, "dimension": [None] * 6 + ["channel"] * 12,
        "dimension_value": [None] * 6 + ["web"] * 6 + ["store"] * 6,
        "value": list(np.arange(6) * 10.0 + 100) + [50.0] * 6 + [60.0] * 6, "as_of": AS_OF, "computed_at": AS_OF}))
    runs = [pd.Timestamp("2026-06-01 08:00", tz="UTC"), pd.Timestamp("2026-06-02 08:00", tz="UTC")]
    write(lake, "gold/segment_sizes", pd.DataFrame({
        "segment": ["high_value", "lapsed", "high_value", "lapsed"], "at": [runs[0], runs[0], runs[1], runs[1]],
        "as_of": AS_OF, "size": [3, 2, 4, 1], "entered": [3, 2, 1, 0], "left": [0, 0, 0, 1]}))
    write(lake, "gold/segment_overlap", pd.DataFrame({
        "segment_a": ["high_value", "high_value", "lapsed"], "segment_b": ["high_value", "lapsed", "lapsed"],
        "customers": [4, 1, 1], "share_of_a": [1.0, 0.25, 1.0], "jaccard": [1.0, 0.25, 1.0]}))
    write(lake, "gold/scores", pd.DataFrame({
        "customer_id": ["K1", "K2", "K4", "K5", "K6"], "prediction": "churn_90d",
        "score": [0.1, 0.8, 0.5, 0.3, 0.9], "model_name": "retail.churn_90d", "model_version": 1,
        "scored_at": AS_OF}))


def mlflow_store(lake: Path) -> str:
    """One finished churn_90d run logged as ml/pipeline.py logs it, registered and made champion."""
    from mlflow import MlflowClient

    from ml import plots

    uri = f"sqlite:///{lake / 'mlflow' / 'mlflow.db'}"
    (lake / "mlflow").mkdir(parents=True, exist_ok=True)
    client = MlflowClient(uri, uri)
    experiment = client.create_experiment(
        "retail/churn_90d", artifact_location=(lake / "mlflow" / "artifacts" / "retail" / "churn_90d").as_uri())
    run = client.create_run(experiment, run_name="churn_90d 2026-03-30",
                            tags={"insights.grade": "A", "insights.champion_decision": "no champion yet"})
    run_id = run.info.run_id
    for key, value in {"kind": "binary", "holdout_cutoff": "2026-03-30"}.items():
        client.log_param(run_id, key, value)
    for key, value in {**METRICS, **{f"baseline_{k}": v for k, v in BASELINE.items()},
                       "improvement_over_baseline": 0.275, "grade_points": 3.0}.items():
        client.log_metric(run_id, key, value)
    labels = np.array([0, 1, 1, 0, 1, 0, 1, 1], dtype=float)
    scores = np.array([0.2, 0.7, 0.6, 0.4, 0.9, 0.1, 0.3, 0.8])
    folder = lake.parent / "plots"
    folder.mkdir()
    plots.roc_figure(labels, scores, None, "ROC: churn_90d").savefig(folder / "roc.png")
    plots.calibration_figure([(0.3, 0.25, 4), (0.7, 0.75, 4)], "calibration: churn_90d").savefig(
        folder / "calibration.png")
    client.log_artifacts(run_id, str(folder), "plots")
    client.set_terminated(run_id)
    client.create_registered_model("retail.churn_90d")
    version = client.create_model_version("retail.churn_90d", f"runs:/{run_id}/model", run_id)
    client.set_registered_model_alias("retail.churn_90d", "champion", version.version)
    return run_id


def full_lake(tmp_path: Path) -> Path:
    """Every table the report draws, and the MLflow store."""
    lake = tmp_path / "lake"
    base_tables(lake)
    identity_tables(lake)
    gold_tables(lake)
    mlflow_store(lake)
    return lake
