"""Process settings that must hold before any tool is imported: no telemetry, a Dagster home."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from infra import DAGSTER_DIR

NO_TELEMETRY = {
    "GX_ANALYTICS_ENABLED": "False",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "DAGSTER_DISABLE_TELEMETRY": "true",
}


def quiet_tools() -> None:
    """Turn off every tool's telemetry (there is no network for it, and it is not ours to send)."""
    for key, value in NO_TELEMETRY.items():
        os.environ.setdefault(key, value)


def dagster_home(default: Path) -> Path:
    """DAGSTER_HOME (created with telemetry off if new), defaulting to the given folder."""
    home = Path(os.environ.get("DAGSTER_HOME") or default).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copy(DAGSTER_DIR / "dagster.yaml", config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
