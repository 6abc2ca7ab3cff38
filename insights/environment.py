"""The Dagster home a command runs in: created with telemetry off when new, and told to Dagster."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from infra import DAGSTER_DIR
from schemas.environment import Environment
from schemas.redaction import redact_uri


def prepare_dagster_home(env: Environment) -> Path:
    """The environment's Dagster home, created from infra/dagster/dagster.yaml if new."""
    home = Path(env.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copy(DAGSTER_DIR / "dagster.yaml", config)
    os.environ["DAGSTER_HOME"] = str(home)  # DagsterInstance.get() finds its instance here
    return home


def describe_environment(env: Environment) -> str:
    """Where a run points, as `insights run` prints it: URIs without passwords or SAS signatures, no secret."""
    lines = [f"workspace {env.workspace_dir}", f"lake      {redact_uri(env.lake_root)}", f"spark     {env.spark_profile}"]
    if env.mlflow_uri:
        lines.append(f"mlflow    {redact_uri(env.mlflow_uri)}")
    if env.azure is not None:
        client = f" (client {env.azure.client_id})" if env.azure.client_id else ""
        lines.append(f"azure     {env.azure.method.value}{client}")
    return "\n".join(lines)
