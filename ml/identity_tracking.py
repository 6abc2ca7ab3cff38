"""Log a trained match model to MLflow: its m/u parameters, prior, policy and training metrics."""

from __future__ import annotations

import mlflow

from ml.tracking import experiment


def log_match_model(
    workspace_name: str,
    lake_root: str | None,
    model: dict,
    policy: dict,
    version: int,
    training: dict,
) -> str:
    """One MLflow run per trained model version in experiment identity-<workspace>; returns its run id."""
    experiment_id = experiment(f"identity-{workspace_name}", lake_root)
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"match-model-v{version}") as run:
        mlflow.log_params({
            "model_version": version,
            "fingerprint": model["fingerprint"],
            "threshold": policy["threshold"],
            "comparisons": ",".join(c["attribute"] for c in model["comparisons"]),
            "u_sample_pairs": policy["training"]["u_sample_pairs"],
            "seed": policy["training"]["seed"],
        })
        metrics = {"prior": model["prior"]}
        metrics |= {k: float(v) for k, v in training.items() if isinstance(v, int | float)}
        for comparison in model["comparisons"]:
            for level in comparison["levels"]:
                if level["gamma"] < 0:
                    continue
                key = f"{comparison['attribute']}.level{level['gamma']}"
                metrics[f"m.{key}"] = level["m"]
                metrics[f"u.{key}"] = level["u"]
        mlflow.log_metrics(metrics)
        mlflow.log_dict(model, "match_model.json")
        mlflow.log_dict(policy, "match_policy.json")
        mlflow.set_tags({"insights.kind": "identity", "insights.workspace": workspace_name})
        return run.info.run_id
