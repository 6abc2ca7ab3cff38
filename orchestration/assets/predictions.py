"""Predictions: one asset per prediction (its MLflow model) and gold/scores, plus the retraining schedule.

`mlflow/<prediction>` trains, registers and maybe promotes a model (skipped when the data have
not changed since the last training); `gold/scores` loads each champion and scores every
customer. The schedule `retrain_predictions` asks for a run only when a fingerprint changed.
"""

from datetime import UTC, datetime

import dagster as dg
from mlflow import MlflowClient

from jobs.delta import table_version
from ml.fingerprint import data_fingerprint, delta_rs_version
from ml.pipeline import FINGERPRINT_TAG, last_training, train_prediction
from ml.registry import experiment_name
from ml.scores import ScoredWith, refresh_scores
from orchestration.assets.common import asset_key, identity_deps, table_metadata
from orchestration.plots import png_markdown
from orchestration.resources import LakeResource, MLflowResource, SparkResource
from schemas.predictions import PredictionFile
from schemas.redaction import redact_uri
from schemas.catalog import SCORES
from schemas.tables import GOLD, SILVER, Lake
from schemas.workspace import Workspace

MLFLOW, GROUP = "mlflow", "predictions"
RETRAIN_JOB = "retrain_predictions"


class TrainConfig(dg.Config):
    """Run-time switches of a training."""

    force: bool = False  # retrain even when the data have not changed


def prediction_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """A model asset per prediction and gold/scores, if the workspace has predictions.yaml."""
    file: PredictionFile | None = workspace.predictions
    if file is None or not file.predictions:
        return []
    models = [_model_asset(workspace, name) for name in file.predictions]
    return [*models, _scores_asset(workspace, file)]


def _inputs(workspace: Workspace) -> list[dg.AssetKey]:
    """What training reads: silver tables, and identity resolution's output where it runs."""
    return [asset_key(SILVER, t) for t in workspace.silver_types()] + identity_deps(workspace)


def _model_asset(workspace: Workspace, name: str) -> dg.AssetsDefinition:
    prediction = workspace.predictions.predictions[name]

    @dg.asset(
        key=asset_key(MLFLOW, name),
        deps=_inputs(workspace),
        group_name=GROUP,
        kinds={"spark", "mlflow"},
        description=f"{prediction.description or name}: Spark ML model trained, tracked and registered in "
                    "MLflow; the champion alias moves only when it beats the champion on the same holdout "
                    "(a champion that cannot be loaded or scored is kept, with a warning).",
    )
    def model(context: dg.AssetExecutionContext, config: TrainConfig, spark: SparkResource,
              lake: LakeResource, mlflow: MLflowResource):
        session, paths, uri = spark.session(), lake.lake, mlflow.uri()
        fingerprint = data_fingerprint(workspace, paths, name, prediction,
                                       lambda path: table_version(session, path))
        result = train_prediction(session, workspace, paths, name, prediction, fingerprint, force=config.force)
        context.log.info(f"{result.model_name}: {result.reason}")
        metadata = {"model_name": result.model_name, "tracking_uri": redact_uri(uri), "skipped": result.skipped,
                    "reason": result.reason, "run_id": result.run_id or "", "version": result.version or -1,
                    "data_fingerprint": fingerprint}
        if not result.skipped:
            decision = result.decision
            say = context.log.warning if decision.unmeasured else context.log.info  # an unmeasured champion: loudly
            say(f"{result.model_name} v{result.version}: grade {result.grade.letter}, {decision.reason}")
            metadata |= {
                "grade": result.grade.letter,
                "improvement_over_baseline": round(result.grade.improvement, 4),
                "chosen_model": result.chosen,
                "champion_decision": decision.reason,
                "champion_basis": decision.basis,
                "promoted": decision.promoted,
                "champion_measured": not decision.unmeasured,
                "metrics": dg.MetadataValue.md(_metrics_table(result.metrics, result.baseline)),
                **{f"plot_{k}": dg.MetadataValue.md(png_markdown(v, k)) for k, v in result.plots.items()},
            }
            result.release()
        return dg.MaterializeResult(metadata=metadata)

    return model


def _scores_asset(workspace: Workspace, file: PredictionFile) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(GOLD, SCORES.name),
        deps=[asset_key(MLFLOW, name) for name in file.predictions],
        group_name=GROUP,
        kinds={"spark", "delta"},
        description="One row per customer and prediction: the champion's score, model name and version.",
    )
    def gold_scores(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource,
                    mlflow: MLflowResource):
        session, paths = spark.session(), lake.lake
        mlflow.uri()
        scored_at = datetime.now(UTC)
        written = {}
        for name, prediction in file.predictions.items():
            result = refresh_scores(session, workspace, paths, name, prediction, scored_at)
            if isinstance(result, ScoredWith):
                context.log.info(f"{name}: scores kept (champion v{result.model_version} on unchanged data)")
                continue
            written[name] = result.rows
            context.log.info(f"{name}: {written[name]} customers scored by {result.model_name} "
                             f"v{result.model_version} as of {result.as_of:%Y-%m-%d}")
        return dg.MaterializeResult(
            metadata={f"rows_{k}": v for k, v in written.items()} | table_metadata(paths.gold(SCORES.name))
        )

    return gold_scores


def retrain_schedules(workspace: Workspace) -> list[dg.ScheduleDefinition]:
    """`retrain_predictions`: models and scores on retrain_cron, skipped while no fingerprint changed."""
    file: PredictionFile | None = workspace.predictions
    if file is None or not file.predictions:
        return []
    selection = dg.AssetSelection.assets(*[asset_key(MLFLOW, n) for n in file.predictions],
                                         asset_key(GOLD, SCORES.name))
    job = dg.define_asset_job(RETRAIN_JOB, selection=selection,
                              description="Retrain every prediction whose data changed, then rescore.")

    @dg.schedule(name=RETRAIN_JOB, job=job, cron_schedule=file.retrain_cron, execution_timezone="UTC",
                 default_status=dg.DefaultScheduleStatus.STOPPED,
                 description="Retrain predictions on a schedule; skipped when the data have not changed.")
    def retrain(context: dg.ScheduleEvaluationContext, lake: LakeResource, mlflow: MLflowResource):
        mlflow.uri()
        changed = changed_predictions(workspace, file, lake.lake)
        if not changed:
            return dg.SkipReason("data unchanged since the last training of every prediction")
        return dg.RunRequest(run_key=f"{RETRAIN_JOB}:{'|'.join(sorted(changed.values()))}",
                             tags={"insights/changed_predictions": ",".join(sorted(changed))})

    return [retrain]


def changed_predictions(workspace: Workspace, file: PredictionFile, lake: Lake) -> dict[str, str]:
    """Prediction -> new fingerprint, for every prediction whose last training saw other data."""
    changed = {}
    for name, prediction in file.predictions.items():
        fingerprint = data_fingerprint(workspace, lake, name, prediction, delta_rs_version)
        found = MlflowClient().get_experiment_by_name(experiment_name(workspace.name, name))
        last = last_training(found.experiment_id) if found is not None else None
        if last is None or last.data.tags.get(FINGERPRINT_TAG) != fingerprint:
            changed[name] = fingerprint
    return changed


def _metrics_table(model: dict[str, float], baseline: dict[str, float]) -> str:
    rows = [f"| {k} | {v:.4f} | {baseline.get(k, float('nan')):.4f} |" for k, v in model.items()]
    return "| metric | model | baseline |\n|---|---|---|\n" + "\n".join(rows)

