"""Optional, costly: the whole pipeline (`insights run`, Spark with hadoop-azure) on an abfss:// lake, read back by delta-rs.

Marked live_pipeline and run only when selected (`make test-live-pipeline`): about 15 minutes on 2 cores for the
tiny example (the first run also fetches hadoop-azure and its dependencies from Maven Central), and every table of
the catalogue written to the account. MLflow's store is a local sqlite file (a remote lake needs one named).
"""

from __future__ import annotations

import os
import subprocess
import sys

import deltalake
import pytest

from schemas.azure_credentials import AbfssRoot, object_store_options
from schemas.catalog import catalog
from schemas.loader import load_workspace
from tests.unit.workspace_edits import copy_retail

pytestmark = [pytest.mark.live, pytest.mark.live_pipeline]
RUN_SECONDS = 3600


def insights(*args: str, env: dict[str, str]) -> str:
    """Run the installed command line in a process of its own (Spark's JVM ends with it); its output."""
    done = subprocess.run([sys.executable, "-m", "insights.cli", *args], env=env, capture_output=True, text=True,
                          timeout=RUN_SECONDS, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_the_pipeline_writes_every_table_of_the_catalogue_to_abfss(live, tmp_path):
    folder = copy_retail(tmp_path / "ws")
    root = live.abfss("pipeline")
    env = {**os.environ, "INSIGHTS_MLFLOW_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
           "DAGSTER_HOME": str(tmp_path / "dagster")}
    (tmp_path / "dagster").mkdir()
    insights("generate", "--scale", "tiny", "--seed", "7", "--out", str(folder / "data"), env=env)
    insights("run", "--workspace", str(folder), "--lake", root, env=env)
    options = object_store_options(AbfssRoot.parse(root), live.credentials)
    workspace = load_workspace(folder)
    tables = {t.key: deltalake.DeltaTable(f"{root}/{t.key}", storage_options=options) for t in catalog(workspace)}
    ids = tables["gold/customer_ids"].to_pyarrow_table(columns=["customer_id"]).column("customer_id").to_pylist()
    c360 = tables["gold/customer_360"].to_pyarrow_table(columns=["customer_id"]).column("customer_id").to_pylist()
    assert sorted(c360) == sorted(set(ids)), "one customer_360 row per resolved customer"
