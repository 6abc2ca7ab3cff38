"""The Dagster home a command runs in: created with telemetry off when new, and told to Dagster."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from infra import DAGSTER_DIR
from schemas.environment import Environment


def prepare_dagster_home(env: Environment) -> Path:
    """The environment's Dagster home, created from infra/dagster/dagster.yaml if new."""
    home = Path(env.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copy(DAGSTER_DIR / "dagster.yaml", config)
    os.environ["DAGSTER_HOME"] = str(home)  # DagsterInstance.get() finds its instance here
    return home
