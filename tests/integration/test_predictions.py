"""Predictions on the materialised tiny example: a registered champion, its MLflow run and gold/scores."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import deltalake
import pytest
import yaml
from mlflow import MlflowClient

from ml.pipeline import FINGERPRINT_TAG
from ml.registry import CHAMPION, experiment_name, model_name
from ml.tracking import tracking_uri_for, use_store
from orchestration.assets.predictions import changed_predictions
from orchestration.build import build_definitions
from orchestration.resources import environment_resources
from schemas.loader import load_workspace
from schemas.catalog import CUSTOMER_IDS
from schemas.tables import CUSTOMER_ID, RECORD_ID

pytestmark = pytest.mark.integration
PREDICTION = "churn_90d"


@pytest.fixture(scope="module")
def client(example) -> MlflowClient:
    use_store(tracking_uri_for(str(example.lake)))
    return MlflowClient()


@pytest.fixture(scope="module")
def runs(example, client):
    workspace = load_workspace(example.env.workspace_dir)
    found = client.get_experiment_by_name(experiment_name(workspace.name, PREDICTION))
    assert found is not None, "no MLflow experiment for the prediction"
    return client.search_runs([found.experiment_id])


def customers(example) -> set[str]:
    """Every customer_id: identity resolution's map if it ran, else every customer record."""
    id_map = example.lake / "gold" / CUSTOMER_IDS.name
    if id_map.exists():
        return set(example.table(CUSTOMER_IDS.key)[CUSTOMER_ID])
    return set(example.table("silver/customer")[RECORD_ID])


def test_gold_scores_has_one_row_per_customer_with_the_champion_version(example, client):
    scores = example.table("gold/scores")
    churn = scores[scores["prediction"] == PREDICTION]
    assert churn[CUSTOMER_ID].is_unique
    assert set(churn[CUSTOMER_ID]) == customers(example)
    champion = client.get_model_version_by_alias(model_name("retail", PREDICTION), CHAMPION)
    assert set(churn["model_version"]) == {int(champion.version)}
    assert set(churn["model_name"]) == {model_name("retail", PREDICTION)}
    assert churn["score"].between(0, 1).all() and churn["score"].nunique() > 1
    assert deltalake.DeltaTable(str(example.lake / "gold" / "scores")).protocol().min_reader_version == 1


def test_the_run_has_metrics_plots_profile_and_a_registered_model_with_signature(example, client, runs):
    assert len(runs) == 1, "the second materialisation must not retrain on unchanged data"
    run = runs[0]
    for metric in ("auc", "pr_auc", "log_loss", "lift_top_decile", "calibration_error", "brier",
                   "baseline_auc", "improvement_over_baseline"):
        assert metric in run.data.metrics, metric
    auc, baseline = run.data.metrics["auc"], run.data.metrics["baseline_auc"]
    assert 0.5 < auc <= 1.0 and auc > baseline  # it found the signal, and more than the recency rule
    # the grade as docs/workspace.md defines it: the share of the baseline's 1 - AUC the model removes
    grading = load_workspace(example.env.workspace_dir).predictions.predictions[PREDICTION].grading
    improvement = (auc - baseline) / (1 - baseline)
    assert run.data.metrics["improvement_over_baseline"] == pytest.approx(improvement)
    letter = "A" if improvement >= grading.a else "B" if improvement >= grading.b else "C"
    assert run.data.tags["insights.grade"] == letter
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {"feature_importance.csv", "training_profile.csv", "training_profile.md", "candidates.json"} <= artifacts
    assert {"plots/roc.png", "plots/calibration.png", "plots/feature_importance.png"} <= plots
    [version] = client.search_model_versions(f"name = '{model_name('retail', PREDICTION)}'")
    assert version.run_id == run.info.run_id and version.tags["champion_decision"] == "no champion yet"
    from mlflow.models import get_model_info

    info = get_model_info(f"models:/{model_name('retail', PREDICTION)}/{version.version}")
    assert info.signature is not None and "rfm_recency_days" in info.signature.inputs.input_names()
    assert "spark" in info.flavors


def test_second_materialisation_skipped_training_on_unchanged_data(example):
    event = example.instance.get_latest_materialization_event(dg.AssetKey(["mlflow", PREDICTION]))
    metadata = event.asset_materialization.metadata
    assert metadata["skipped"].value is True and "unchanged" in metadata["reason"].value


def test_retraining_schedule_skips_unchanged_data_and_sees_changed_definitions(example, runs, tmp_path):
    workspace = load_workspace(example.env.workspace_dir)
    defs = build_definitions(workspace, example.env)
    schedule = defs.resolve_schedule_def("retrain_predictions")
    with dg.build_schedule_context(instance=example.instance, resources=environment_resources(example.env)) as context:
        tick = schedule.evaluate_tick(context)
    assert tick.skip_message and "unchanged" in tick.skip_message
    assert runs[0].data.tags[FINGERPRINT_TAG]
    changed = tmp_path / "workspace"
    shutil.copytree(example.env.workspace_dir, changed, ignore=shutil.ignore_patterns("data"))
    definitions = yaml.safe_load((changed / "predictions.yaml").read_text())
    definitions["predictions"][PREDICTION]["horizon_days"] = 60
    (changed / "predictions.yaml").write_text(yaml.safe_dump(definitions))
    edited = load_workspace(changed)
    from schemas.tables import Lake

    assert set(changed_predictions(edited, edited.predictions, Lake(str(example.lake)))) == {PREDICTION}


def test_churn_scores_rank_the_generators_churned_people_higher(example):
    """Signal check against ground truth: people the generator made churn score higher on average."""
    import pandas as pd

    scores = example.table("gold/scores")
    scores = scores[scores["prediction"] == PREDICTION]
    people = pd.read_parquet(example.truth / "people.parquet")[["person_id", "churned"]]
    records = pd.read_csv(example.truth / "records.csv")
    id_map = example.lake / "gold" / CUSTOMER_IDS.name
    if id_map.exists():
        records = records.merge(example.table(CUSTOMER_IDS.key)[[RECORD_ID, CUSTOMER_ID]], on=RECORD_ID)
    else:
        records = records.assign(customer_id=records[RECORD_ID])
    person = records.groupby(CUSTOMER_ID)["person_id"].first().reset_index()
    joined = scores.merge(person, on=CUSTOMER_ID).merge(people, on="person_id")
    assert joined["churned"].nunique() == 2
    means = joined.groupby("churned")["score"].mean()
    assert means[True] > means[False], means


def test_scores_lake_path_and_asset_key_agree(example):
    defs = build_definitions(load_workspace(example.env.workspace_dir), example.env)
    keys = {"/".join(k.path) for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"gold/scores", f"mlflow/{PREDICTION}"} <= keys
    assert Path(example.lake / "gold" / "scores" / "_delta_log").exists()
