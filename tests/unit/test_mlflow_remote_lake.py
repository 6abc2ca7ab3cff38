"""On an abfss:// lake, MLflow's artifacts go under <lake>/mlflow/artifacts, through MLflow's ADLS store (no network)."""

from __future__ import annotations

import mlflow
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
from mlflow.store.artifact.azure_data_lake_artifact_repo import AzureDataLakeArtifactRepository

from ml.tracking import experiment

LAKE = "abfss://lake@contoso.dfs.core.windows.net/insights"


def test_an_abfss_lake_keeps_the_experiments_artifacts_under_it(monkeypatch):
    created: dict[str, str | None] = {}
    # The store is not the point (a database or a server; creating a sqlite one costs seconds): record the call.
    monkeypatch.setattr(mlflow, "get_experiment_by_name", lambda name: None)
    monkeypatch.setattr(mlflow, "create_experiment",
                        lambda name, artifact_location=None: created.setdefault(name, artifact_location) and "7")
    assert experiment("identity-retail", LAKE) == "7"
    assert created == {"identity-retail": f"{LAKE}/mlflow/artifacts/identity-retail"}

    monkeypatch.setenv("AZURE_STORAGE_SAS_TOKEN", "sv=2024-11-04&sr=c&sp=racwdl&sig=fakesig")
    repository = get_artifact_repository(created["identity-retail"])
    assert isinstance(repository, AzureDataLakeArtifactRepository)  # MLflow's own, reading the same SAS variable
    assert repository.fs_client.account_name == "contoso" and repository.fs_client.file_system_name == "lake"
    assert repository.sas_token == "?sv=2024-11-04&sr=c&sp=racwdl&sig=fakesig"


def test_a_local_lake_keeps_them_in_its_folder(monkeypatch, tmp_path):
    created: dict[str, str | None] = {}
    monkeypatch.setattr(mlflow, "get_experiment_by_name", lambda name: None)
    monkeypatch.setattr(mlflow, "create_experiment",
                        lambda name, artifact_location=None: created.setdefault(name, artifact_location) and "1")
    experiment("retail/churn", str(tmp_path))
    assert created == {"retail/churn": (tmp_path / "mlflow" / "artifacts" / "retail" / "churn").as_uri()}
