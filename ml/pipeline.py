"""Train one prediction end to end and leave the full trail in MLflow.

Examples at the training cutoffs and the holdout -> time-aware model selection -> holdout
metrics of the model and the naive baseline -> grade -> one MLflow run (parameters, metrics,
plots, feature importance, the training set's profile, the model with its signature)
-> a registered version -> the champion alias moves only if it beats the champion on the same
holdout (ml/champion.py: a champion that cannot be loaded or scored is kept, with a warning).
Skipped when the data fingerprint equals the last training's (unless forced, or the last
training could not measure the champion).
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path

import mlflow
import mlflow.spark
from mlflow import MlflowClient
from mlflow.models import infer_signature
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.kpis.asof import resolve_as_of
from ml import plots
from ml.baselines import last_period, recency_rule, with_recency
from ml.dataset import WINDOW, Examples, build_examples
from ml.evaluation import SCORE, SELECTION, Grade, calibration_table, grade, metrics
from ml.champion import BASIS_TAG, Challenger, Decision, Fingerprints, measure_champion, settle
from ml.features import FeatureSources
from ml.fingerprint import definition_fingerprint, features_fingerprint
from ml.labels import LABEL
from ml.registry import champion_version, experiment_name, model_name
from ml.tracking import experiment
from ml.training import Selection, feature_importance, scores, select_and_fit
from ml.windows import Plan, plan_windows
from schemas.predictions import Prediction
from schemas.tables import CUSTOMER_ID, Lake
from schemas.workspace import Workspace

log = logging.getLogger(__name__)

FINGERPRINT_TAG = "insights.data_fingerprint"
GRADE_TAG = "insights.grade"
PLOT_SAMPLE = 200_000  # holdout rows collected for the plots


@dataclass
class TrainingResult:
    """What one training did; `holdout` (customer_id, label, score, baseline) is cached until released."""

    prediction: str
    model_name: str
    skipped: bool
    reason: str
    run_id: str | None = None
    version: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    grade: Grade | None = None
    decision: Decision | None = None
    fingerprints: Fingerprints | None = None
    chosen: str = ""
    validation: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    plots: dict[str, bytes] = field(default_factory=dict)
    plan: Plan | None = None
    holdout: DataFrame | None = None

    def release(self) -> None:
        if self.holdout is not None:
            self.holdout.unpersist()


def data_end(spark: SparkSession, workspace: Workspace, lake: Lake, prediction: Prediction):
    """Midnight UTC after the newest interaction the prediction's outcome and population read."""
    tables = {t for t in (prediction.outcome.interaction, prediction.population.interaction) if t}
    tables = tables or set(workspace.model.interactions)
    return resolve_as_of(spark, lake, "latest", sorted(tables))


def last_training(experiment_id: str):
    """The newest finished training run of an experiment, or None."""
    runs = MlflowClient().search_runs([experiment_id], filter_string="attributes.status = 'FINISHED'",
                                      order_by=["attributes.start_time DESC"], max_results=1)
    return runs[0] if runs else None


def train_prediction(spark: SparkSession, workspace: Workspace, lake: Lake, name: str, prediction: Prediction,
                     fingerprint: str, force: bool = False) -> TrainingResult:
    """Train, evaluate, log, register and maybe promote one prediction (MLflow must point at the store)."""
    registered = model_name(workspace.name, name)
    experiment_id = experiment(experiment_name(workspace.name, name), lake.root if lake.is_local else None)
    previous = last_training(experiment_id)
    if (not force and previous is not None and previous.data.tags.get(FINGERPRINT_TAG) == fingerprint
            and previous.data.tags.get(BASIS_TAG) != "kept_unmeasured" and champion_version(registered) is not None):
        return TrainingResult(name, registered, True, f"data unchanged since run {previous.info.run_id[:8]}",
                              run_id=previous.info.run_id, version=int(champion_version(registered).version))
    timings: dict[str, float] = {}
    started = time.monotonic()
    plan = plan_windows(prediction, data_end(spark, workspace, lake, prediction))
    sources = FeatureSources(spark, workspace, lake)
    examples = build_examples(sources, prediction, plan)
    sizes = {"training_rows": examples.training.count(), "holdout_rows": examples.holdout.count()}
    if sizes["holdout_rows"] == 0:
        raise ValueError(f"prediction '{name}': nobody is in the population before the holdout cutoff "
                         f"{plan.holdout.cutoff:%Y-%m-%d}")
    timings["examples_seconds"] = time.monotonic() - started
    kind = prediction.outcome.kind
    selection = select_and_fit(examples, kind, prediction.training, [w.index for w in plan.training])
    timings["selection_seconds"] = selection.seconds
    started = time.monotonic()
    holdout = with_baseline(sources, prediction, plan, examples,
                            scores(selection.model, examples.holdout, kind)).cache()
    model_metrics = metrics(kind, holdout)
    baseline_metrics = metrics(kind, holdout.select(CUSTOMER_ID, LABEL, F.col("baseline").alias(SCORE)))
    graded = grade(kind, model_metrics, baseline_metrics, prediction.grading)
    champion = measure_champion(registered, examples.holdout, kind, dfs_tmpdir(lake))
    timings["evaluation_seconds"] = time.monotonic() - started
    result = TrainingResult(name, registered, False, "trained", metrics=model_metrics, baseline=baseline_metrics,
                            grade=graded, chosen=selection.best.name, validation=selection.validation,
                            seconds=timings, plan=plan, holdout=holdout, fingerprints=Fingerprints(
                                definition_fingerprint(workspace, prediction),
                                features_fingerprint(examples.holdout.dtypes, examples.features)))
    log_run(result, workspace, lake, prediction, examples, selection, experiment_id, fingerprint, sizes, champion)
    examples.unpersist()
    return result


def with_baseline(sources: FeatureSources, prediction: Prediction, plan: Plan, examples: Examples,
                  scored: DataFrame) -> DataFrame:
    """Holdout customer_id, label, score and the naive baseline's score on the same customers."""
    outcome = prediction.outcome
    if outcome.kind == "binary":
        rows = sources.rows(outcome.interaction or prediction.population.interaction, outcome.role)
        cutoffs = {w.index: w.cutoff for w in [*plan.training, plan.holdout]}
        training = with_recency(examples.training.select(CUSTOMER_ID, WINDOW, LABEL), rows, cutoffs, WINDOW)
        holdout = with_recency(examples.holdout.select(CUSTOMER_ID, WINDOW, LABEL), rows, cutoffs, WINDOW)
        base = recency_rule(training, holdout)
    elif outcome.interaction is not None:
        rows = sources.rows(outcome.interaction, outcome.role)
        base = last_period(examples.holdout, rows, outcome, plan.holdout.cutoff, prediction.horizon_days)
    else:  # a numeric attribute has no past periods: the training mean
        mean = examples.training.agg(F.avg(LABEL)).first()[0] or 0.0
        base = examples.holdout.select(CUSTOMER_ID, F.lit(float(mean)).alias(SCORE))
    return scored.join(base.select(CUSTOMER_ID, F.col(SCORE).alias("baseline")), CUSTOMER_ID)


def dfs_tmpdir(lake: Lake) -> str:
    """Where the Spark flavour stages models: under a local lake root, else MLflow's default."""
    if lake.is_local:
        folder = Path(lake.root.removeprefix("file://")) / "mlflow" / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.mkdtemp(dir=folder)
    return "/tmp/mlflow"


def log_run(result: TrainingResult, workspace: Workspace, lake: Lake, prediction: Prediction,
            examples: Examples, selection: Selection, experiment_id: str, fingerprint: str,
            sizes: dict[str, int], champion) -> None:
    """One MLflow run: parameters, metrics, artifacts, the registered model, the champion decision."""
    started = time.monotonic()
    kind = prediction.outcome.kind
    plan = result.plan
    with mlflow.start_run(experiment_id=experiment_id,
                          run_name=f"{result.prediction} {plan.holdout.cutoff:%Y-%m-%d}") as run:
        mlflow.set_tags({FINGERPRINT_TAG: fingerprint, GRADE_TAG: result.grade.letter,
                         "insights.workspace": workspace.name, "insights.prediction": result.prediction})
        mlflow.log_params({
            "kind": kind, "horizon_days": prediction.horizon_days, "cutoff_setting": prediction.cutoff,
            "holdout_cutoff": f"{plan.holdout.cutoff:%Y-%m-%d}",
            "training_cutoffs": ",".join(f"{w.cutoff:%Y-%m-%d}" for w in plan.training),
            "label_horizon_days": plan.training[0].label_days, "label_scale": round(examples.label_scale, 6),
            "chosen_model": selection.best.name, "features": len(examples.features),
            "categorical_features": len(examples.categorical), "class_weights": prediction.training.class_weights,
            **sizes,
        })
        mlflow.log_metrics({**result.metrics, **{f"baseline_{k}": v for k, v in result.baseline.items()},
                            "improvement_over_baseline": result.grade.improvement,
                            "grade_points": {"A": 3, "B": 2, "C": 1}[result.grade.letter],
                            **{f"validation_{i}": v for i, v in enumerate(selection.validation.values())},
                            **result.seconds})
        with tempfile.TemporaryDirectory() as folder:
            write_artifacts(Path(folder), result, prediction, examples, selection)
            mlflow.log_artifacts(folder)
            result.plots = {p.stem: p.read_bytes() for p in (Path(folder) / "plots").glob("*.png")}
        sample = examples.holdout.select(*examples.features).limit(20).toPandas()
        signature = infer_signature(sample, scores(selection.model, examples.holdout.limit(20), kind)
                                    .select(SCORE).toPandas())
        info = mlflow.spark.log_model(selection.model, "model", signature=signature,
                                      pip_requirements=[f"pyspark=={package_version('pyspark')}"],
                                      registered_model_name=result.model_name, dfs_tmpdir=dfs_tmpdir(lake))
        result.run_id, result.version = run.info.run_id, int(info.registered_model_version)
        metric_name = SELECTION[kind][0]
        client = MlflowClient()
        for key, value in {"grade": result.grade.letter, metric_name: f"{result.metrics[metric_name]:.6f}",
                           "holdout_cutoff": f"{plan.holdout.cutoff:%Y-%m-%d}"}.items():
            client.set_model_version_tag(result.model_name, str(result.version), key, value)
        challenger = Challenger(result.model_name, result.version, result.run_id, result.metrics[metric_name],
                                result.fingerprints)
        result.decision = settle(challenger, champion, kind, prediction.champion,
                                 f"predictions.{result.prediction}.champion.replace_unmeasured")
        result.seconds["logging_seconds"] = time.monotonic() - started
        mlflow.log_metric("logging_seconds", result.seconds["logging_seconds"])


def write_artifacts(folder: Path, result: TrainingResult, prediction: Prediction, examples: Examples,
                    selection: Selection) -> None:
    """Plots, feature importance, the training set's profile, candidates and the definition."""
    (folder / "plots").mkdir()
    kind, title = prediction.outcome.kind, result.prediction
    sample = result.holdout.select(LABEL, SCORE, "baseline")
    total = sample.count()
    if total > PLOT_SAMPLE:
        sample = sample.sample(fraction=PLOT_SAMPLE / total, seed=prediction.training.seed)
    frame = sample.toPandas()
    labels, values, baseline = (frame[c].to_numpy(dtype=float) for c in (LABEL, SCORE, "baseline"))
    if kind == "binary":
        save(plots.roc_figure(labels, values, baseline, f"ROC: {title}"), folder / "plots" / "roc.png")
        save(plots.calibration_figure(calibration_table(result.holdout), f"calibration: {title}"),
             folder / "plots" / "calibration.png")
    else:
        save(plots.actual_vs_predicted_figure(labels, values, f"holdout: {title}"),
             folder / "plots" / "actual_vs_predicted.png")
    importance = feature_importance(selection.model, examples.holdout)
    save(plots.importance_figure(importance, f"feature importance: {title}"),
         folder / "plots" / "feature_importance.png")
    (folder / "feature_importance.csv").write_text(
        "feature,importance\n" + "".join(f'"{n}",{v:.8g}\n' for n, v in importance))
    profile = examples.training.select(*examples.numeric, LABEL).summary(
        "count", "mean", "stddev", "min", "25%", "50%", "75%", "max").toPandas()
    profile.to_csv(folder / "training_profile.csv", index=False)
    (folder / "training_profile.md").write_text(profile.to_markdown(index=False))
    for column in examples.categorical:  # text features: how often each value occurs
        counts = examples.training.groupBy(column).count().orderBy(F.desc("count")).toPandas()
        counts.to_csv(folder / f"training_profile_{column}.csv", index=False)
    (folder / "candidates.json").write_text(json.dumps(
        {"validation": selection.validation, "chosen": selection.best.name,
         "metric": SELECTION[kind][0]}, indent=2))
    (folder / "prediction.json").write_text(prediction.model_dump_json(indent=2))
    (folder / "dropped_features.json").write_text(json.dumps(examples.dropped, indent=2))


def save(fig, path: Path) -> None:
    fig.savefig(path, dpi=90)
    plots.close(fig)

