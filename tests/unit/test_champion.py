"""The champion rule with real Spark ML models in a real MLflow store (issue 14, item 4).

A challenger takes the alias only when it is measured better than the champion on the same
holdout; a champion that cannot be loaded or scored is kept, with the reason on the version
and its run; a deliberate definition change (both fingerprints differ) may replace it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import mlflow
import mlflow.spark
import numpy as np
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from pyspark.errors.exceptions.captured import UnknownException
from pyspark.ml import PipelineModel
from pyspark.sql import functions as F

from ml.champion import (BASIS_TAG, DECISION_TAG, Challenger, Champion, Fingerprints, decide, measure_champion,
                         settle)
from ml.dataset import Examples
from ml.evaluation import selection_value
from ml.fingerprint import data_fingerprint, definition_fingerprint
from ml.labels import LABEL
from ml.registry import CHAMPION, champion_version, model_name
from ml.scores import ChampionUnavailable, score_prediction
from ml.tracking import use_store
from ml.training import Candidate, fit, scores
from schemas.errors import WorkspaceError
from schemas.loader import load_workspace
from schemas.predictions import ChampionRule, Training
from schemas.tables import Lake
from tests.unit.mini import mini_workspace

NAME = "mini.churn"  # model_name of the mini workspace's prediction churn
LINEAR = Candidate("linear", {"regParam": 0.01})
CHEAP = Training(models=["linear"], linear_max_iter=20, class_weights="none")
OLD = Fingerprints("definition-a", "features-a")


def examples_of(spark, n: int = 160, seed: int = 3) -> Examples:
    """The label follows x; noise and colour carry nothing. Windows 0-2 train, 3 is the holdout."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "x": x, "noise": rng.normal(size=n),
                          "colour": np.where(rng.random(n) < 0.5, "red", "blue"), "window": np.arange(n) % 4,
                          LABEL: (x + rng.normal(0, 0.4, n) > 0).astype(float)})
    sdf = spark.createDataFrame(frame).cache()
    return Examples(sdf.where("window < 3"), sdf.where("window = 3"), ["x", "noise"], ["colour"], 1.0, {})


@pytest.fixture(scope="module")
def examples(spark) -> Examples:
    return examples_of(spark)


@pytest.fixture(scope="module")
def good(examples) -> PipelineModel:
    return fit(examples, examples.training, "binary", LINEAR, CHEAP)


@pytest.fixture(scope="module")
def bad(examples) -> PipelineModel:
    """Fitted on labels that follow nothing: about AUC 0.5 on the holdout."""
    shuffled = examples.training.withColumn(LABEL, (F.rand(seed=11) < 0.5).cast("double"))
    return fit(examples, shuffled, "binary", LINEAR, CHEAP)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory) -> Path:
    """An sqlite store with MLflow's tables made once (its migrations take seconds), copied per test."""
    path = tmp_path_factory.mktemp("store") / "mlflow.db"
    before = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    use_store(f"sqlite:///{path}")
    MlflowClient().search_experiments()
    MlflowClient().search_registered_models()
    mlflow.set_tracking_uri(before[0])
    mlflow.set_registry_uri(before[1])
    return path


@pytest.fixture()
def store(tmp_path, empty_store):
    """A fresh sqlite tracking store and registry, artifacts under tmp_path; the previous URIs put back."""
    before = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    shutil.copy(empty_store, tmp_path / "mlflow.db")
    use_store(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment_id = mlflow.create_experiment("champion", artifact_location=(tmp_path / "artifacts").as_uri())
    yield experiment_id, str(tmp_path / "dfs")
    mlflow.set_tracking_uri(before[0])
    mlflow.set_registry_uri(before[1])


def train(store, model: PipelineModel, examples: Examples, fingerprints: Fingerprints = OLD,
          rule: ChampionRule = ChampionRule()):
    """What ml/pipeline.py does: measure the champion, register the new version, settle the alias."""
    experiment_id, dfs = store
    champion = measure_champion(NAME, examples.holdout, "binary", dfs)
    metric = selection_value("binary", scores(model, examples.holdout, "binary"))
    with mlflow.start_run(experiment_id=experiment_id) as run:
        info = mlflow.spark.log_model(model, "model", registered_model_name=NAME, dfs_tmpdir=dfs,
                                      pip_requirements=["pyspark"])  # as ml/pipeline.py: no inference run
    challenger = Challenger(NAME, int(info.registered_model_version), run.info.run_id, metric, fingerprints)
    return settle(challenger, champion, "binary", rule)


def alias() -> int:
    return int(MlflowClient().get_model_version_by_alias(NAME, CHAMPION).version)


def recorded(version: int) -> tuple[str, str, dict[str, str]]:
    """(reason, basis) tagged on the version, and its run's tags."""
    found = MlflowClient().get_model_version(NAME, str(version))
    run = MlflowClient().get_run(found.run_id)
    return found.tags["champion_decision"], found.tags["champion_basis"], run.data.tags


def artifacts(version: int) -> Path:
    uri = MlflowClient().get_model_version_download_uri(NAME, str(version))
    return Path(uri.removeprefix("file://"))


def test_a_better_challenger_takes_the_alias(store, examples, good, bad):
    first = train(store, bad, examples)
    assert first.promoted and first.reason == "no champion yet" and alias() == 1
    decision = train(store, good, examples)
    assert alias() == 2 and decision.promoted
    reason, basis, run_tags = recorded(2)
    assert basis == "measured" and reason.startswith("beats champion v1 on the same holdout (")
    assert run_tags[DECISION_TAG] == reason and run_tags[BASIS_TAG] == "measured"
    version = MlflowClient().get_model_version(NAME, "2")
    assert (version.tags["definition_fingerprint"], version.tags["features_fingerprint"]) == (OLD.definition,
                                                                                               OLD.features)


def test_a_worse_challenger_leaves_the_alias(store, examples, good, bad):
    train(store, good, examples)
    decision = train(store, bad, examples)
    assert alias() == 1 and not decision.promoted
    reason, basis, _ = recorded(2)
    assert basis == "measured" and reason.startswith("does not beat champion v1 on the same holdout (")
    assert decision.champion_metric > 0.8


def _delete(folder: Path) -> None:
    shutil.rmtree(folder)


def _corrupt(folder: Path) -> None:
    for part in (folder / "sparkml").rglob("part-*"):  # every stage's metadata
        part.write_text("{ not json")


@pytest.mark.parametrize("damage", [_delete, _corrupt], ids=["deleted", "corrupted"])
def test_a_champion_that_cannot_be_loaded_is_kept(store, examples, good, bad, damage):
    train(store, bad, examples)
    damage(artifacts(1))
    decision = train(store, good, examples)  # would win if it could be compared
    assert alias() == 1 and not decision.promoted and decision.unmeasured
    reason, basis, run_tags = recorded(2)
    assert basis == "kept_unmeasured" and run_tags[BASIS_TAG] == "kept_unmeasured"
    assert reason.startswith("champion v1 cannot be loaded (") and "champion.replace_unmeasured: 1" in reason


def test_a_champion_that_fails_to_score_for_a_transient_reason_is_kept(store, examples, good, bad, monkeypatch):
    train(store, bad, examples)
    transform = PipelineModel._transform

    def lost_executor(model, frame):
        if model.uid == bad.uid:  # the loaded champion keeps the uid it was saved with
            raise UnknownException(desc="org.apache.spark.SparkException: Job aborted due to stage failure: "
                                        "ExecutorLostFailure (executor 1 exited)", stackTrace="")
        return transform(model, frame)

    monkeypatch.setattr(PipelineModel, "_transform", lost_executor)
    decision = train(store, good, examples)  # same definition, same features: nothing explains it
    assert alias() == 1 and not decision.promoted
    reason, basis, _ = recorded(2)
    assert basis == "kept_unmeasured"
    assert reason.startswith("champion v1 cannot be scored on the new holdout (UnknownException: ") \
        and "ExecutorLostFailure" in reason


def test_a_redefined_prediction_replaces_a_champion_that_cannot_score_its_features(spark, store, examples, bad):
    train(store, bad, examples)
    renamed = examples_of(spark)
    renamed = Examples(*(f.withColumnRenamed("noise", "noise_2") for f in (renamed.training, renamed.holdout)),
                       ["x", "noise_2"], ["colour"], 1.0, {})
    model = fit(renamed, renamed.training, "binary", LINEAR, CHEAP)
    same_definition = train(store, model, renamed, Fingerprints(OLD.definition, "features-b"))
    assert alias() == 1 and same_definition.basis == "kept_unmeasured"  # features changed, definition not
    decision = train(store, model, renamed, Fingerprints("definition-b", "features-b"))
    assert alias() == 3 and decision.basis == "redefined"
    reason, _, _ = recorded(3)
    assert reason.startswith("champion v1 cannot be scored on the new holdout (") and "noise" in reason
    assert reason.endswith("redefined since (definition definition-a -> definition-b, features features-a -> "
                           "features-b): replaced")


def test_the_workspace_setting_replaces_only_the_version_it_names(store, examples, good, bad):
    train(store, good, examples)
    _delete(artifacts(1))
    assert train(store, bad, examples, rule=ChampionRule(replace_unmeasured=7)).basis == "kept_unmeasured"
    decision = train(store, bad, examples, rule=ChampionRule(replace_unmeasured=1))
    assert alias() == 3 and decision.basis == "replace_unmeasured"
    assert recorded(3)[0].endswith("replaced, as champion.replace_unmeasured: 1 asks")


def test_an_unreachable_registry_is_not_taken_for_no_champion(store, monkeypatch):
    assert champion_version(NAME) is None  # no such model: no champion yet

    def unavailable(self, name, alias):
        raise MlflowException("503 Service Unavailable", error_code="TEMPORARILY_UNAVAILABLE")

    monkeypatch.setattr(MlflowClient, "get_model_version_by_alias", unavailable)
    with pytest.raises(MlflowException, match="503"):
        champion_version(NAME)


def higher(new: float, old: float) -> bool:
    return new > old


def test_decide_without_a_measurement_never_promotes_by_accident():
    new = Fingerprints("definition-b", "features-b")
    assert decide(0.9, None, higher).basis == "first"
    for failure in ("load", "score"):
        kept = decide(0.99, Champion(3, failure=failure, error="boom", fingerprints=OLD), higher)
        assert not kept.promoted and kept.basis == "kept_unmeasured" and kept.champion_version == 3
    legacy = Champion(3, failure="score", error="boom")  # registered before versions carried fingerprints
    assert not decide(0.9, legacy, higher, new).promoted
    assert not decide(0.9, Champion(3, failure="load", error="boom", fingerprints=OLD), higher, new).promoted
    only_features = Fingerprints(OLD.definition, "features-b")
    assert not decide(0.9, Champion(3, failure="score", error="boom", fingerprints=OLD), higher,
                      only_features).promoted
    assert decide(0.9, Champion(3, failure="score", error="boom", fingerprints=OLD), higher, new).basis == "redefined"
    assert decide(0.9, legacy, higher, new, replace_unmeasured=3).basis == "replace_unmeasured"
    assert not decide(0.9, legacy, higher, new, replace_unmeasured=2).promoted


CHURN = {"outcome": {"kind": "binary", "interaction": "purchase", "positive_when": "value = 0"}, "horizon_days": 90}


def churn_workspace(tmp_path, **extra):
    root = mini_workspace(tmp_path).root
    (root / "predictions.yaml").write_text(yaml.safe_dump({"predictions": {"churn": {**CHURN, **extra}}}))
    return load_workspace(root)


def test_replace_unmeasured_names_a_version(tmp_path):
    workspace = churn_workspace(tmp_path, champion={"replace_unmeasured": 4})
    assert workspace.predictions.predictions["churn"].champion.replace_unmeasured == 4
    for wrong, expected in [({"replace_unmeasured": 0}, "greater than or equal to 1"),
                            ({"replace_unmeasured": "latest"}, "valid integer"), ({"replace": True}, "replace")]:
        shutil.rmtree(tmp_path / "mini")
        with pytest.raises(WorkspaceError) as error:
            churn_workspace(tmp_path, champion=wrong)
        assert "predictions.yaml" in str(error.value) and "predictions.churn.champion" in str(error.value)
        assert expected in str(error.value)


def test_the_definition_fingerprint_follows_what_is_predicted_not_how_it_is_trained(tmp_path):
    workspace = churn_workspace(tmp_path)
    churn = workspace.predictions.predictions["churn"]
    base = definition_fingerprint(workspace, churn)
    retuned = churn.model_copy(update={"description": "why", "training": Training(windows=5),
                                       "champion": ChampionRule(replace_unmeasured=2)})
    assert definition_fingerprint(workspace, retuned) == base
    assert definition_fingerprint(workspace, churn.model_copy(update={"horizon_days": 60})) != base
    lake = Lake(str(tmp_path / "lake"))
    data = data_fingerprint(workspace, lake, "churn", churn, lambda path: 1)
    ruled = churn.model_copy(update={"champion": ChampionRule(replace_unmeasured=2)})
    assert data_fingerprint(workspace, lake, "churn", ruled, lambda path: 1) != data  # setting it retrains


def test_scores_name_a_champion_that_cannot_be_loaded_and_fall_back_to_no_other_version(
        spark, store, tmp_path, examples, good, bad):
    workspace = churn_workspace(tmp_path)
    assert model_name(workspace.name, "churn") == NAME
    train(store, good, examples)
    train(store, bad, examples)  # v2, not the champion, loadable
    _delete(artifacts(1))
    with pytest.raises(ChampionUnavailable) as error:
        score_prediction(spark, workspace, Lake(str(tmp_path / "lake")), "churn",
                         workspace.predictions.predictions["churn"])
    assert str(error.value).startswith(f"prediction 'churn': champion v1 of {NAME} cannot be loaded (")
    assert "predictions.churn.champion.replace_unmeasured: 1" in str(error.value)
