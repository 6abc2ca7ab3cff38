"""One materialisation of the whole asset graph on the tiny example, shared by integration tests.

Materialising costs minutes, so it happens once per test run, for all xdist workers: `example`
runs the pipeline twice (the second run proves idempotence) and hands every integration test the
result.
Tests that only look at the definitions or the workspace use `example_workspace`, which
materialises nothing. The copied workspace trains its predictions with cheap settings
(CHEAP_TRAINING); the shipped examples/retail keeps its own.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import deltalake
import pytest
import yaml

from insights.generator import generate
from insights.run import RunSummary, run_pipeline
from jobs.session import jvm_log_file
from schemas.environment import Environment
from tests.across_workers import exclusive, shared_tmp
from tests.integration.fingerprints import table_fingerprint

ROOT = Path(__file__).resolve().parents[2]
# The suite checks that training runs, is logged and finds the signal, not which family wins:
# two windows (the fewest: one trains, one validates) and one model family (gbt is covered by
# tests/unit/test_prediction_models.py), whose optimiser stops after 10 iterations instead of 50 (each
# iteration is a Spark job: the churn model's selection took 12.5 s against 21.1 s, holdout AUC 0.688
# against 0.690).
CHEAP_TRAINING = {"windows": 2, "models": ["linear"], "linear_max_iter": 10}
# A service principal whose secret is recognisable: the example runs with it in the environment, and
# tests/integration/test_secrets.py finds it in nothing the runs left (events, MLflow, logs).
FAKE_AZURE = {
    "AZURE_CLIENT_ID": "00000000-0000-4000-8000-00000000c1d0",
    "AZURE_TENANT_ID": "00000000-0000-4000-8000-0000000071d0",
    "AZURE_CLIENT_SECRET": "FAKE-SECRET-full-run-5ec7e7",
}
# KPI features recompute the KPIs at every cutoff: with all of kpis.yaml's they took a quarter of
# the example's Spark job time. One KPI keeps that path (kpi_<name> as of each cutoff) under test.
CHEAP_FEATURES = {"kpis": ["lifetime_spend"]}


@dataclass(frozen=True)
class Example:
    """The materialised tiny example: where it is, both runs, counts after the first, truth."""

    env: Environment
    first: RunSummary
    second: RunSummary
    snapshot: dict[str, int]
    manifest: dict
    instance: dg.DagsterInstance
    fingerprints: dict[str, str] = field(default_factory=dict)  # content after the first run
    jvm_log: Path | None = None  # the log of the Spark driver that ran both runs

    @property
    def lake(self) -> Path:
        return Path(self.env.lake_root)

    @property
    def truth(self) -> Path:
        return Path(self.env.workspace_dir) / "data" / "_truth"

    def table(self, name: str):
        """A lake table as pandas, read by delta-rs (independently of Spark)."""
        return deltalake.DeltaTable(str(self.lake / name)).to_pandas()


@pytest.fixture(scope="session")
def shared(tmp_path_factory) -> Path:
    """The folder every xdist worker of this run sees: the example is built there once."""
    return shared_tmp(tmp_path_factory)


@pytest.fixture(scope="session")
def example_workspace(shared) -> Environment:
    """The retail workspace with tiny generated data and cheap training, nothing materialised yet."""
    base = shared / "retail"
    workspace = base / "workspace"
    ready = base / "workspace.ready"
    with exclusive(shared / "retail.lock"):
        if not ready.exists():
            workspace.mkdir(parents=True, exist_ok=True)
            for file in (ROOT / "examples" / "retail").glob("*.yaml"):
                shutil.copy(file, workspace)
            train_cheaply(workspace / "predictions.yaml")
            generate("tiny", 7, workspace / "data")
            ready.touch()
    return Environment(workspace_dir=str(workspace), lake_root=str(base / "lake"), spark_profile="test")


def train_cheaply(predictions: Path) -> None:
    """Every prediction of the copied predictions.yaml trains with CHEAP_TRAINING and CHEAP_FEATURES."""
    definitions = yaml.safe_load(predictions.read_text())
    for prediction in definitions["predictions"].values():
        prediction.setdefault("training", {}).update(CHEAP_TRAINING)
        prediction.setdefault("features", {}).update(CHEAP_FEATURES)
    predictions.write_text(yaml.safe_dump(definitions, sort_keys=False))


@pytest.fixture(scope="session")
def example(example_workspace, spark, shared) -> Example:
    """The example workspace materialised twice into a fresh lake (the second run proves idempotence).

    Built once per test run: the first worker to ask runs the pipeline and saves what it learnt beside
    the lake; the others wait for it and load that (tests read the lake and the Dagster instance, and
    copy the lake before they change anything).
    """
    saved = Path(example_workspace.lake_root).parent / "example.pickle"
    with exclusive(shared / "example.lock"):
        if not saved.exists():
            materialise_example(example_workspace, saved)
    fields = pickle.loads(saved.read_bytes())
    instance = dg.DagsterInstance.local_temp(tempdir=fields.pop("instance_dir"))
    return Example(instance=instance, **fields)


def materialise_example(env: Environment, saved: Path) -> None:
    """Both runs of the example on a Dagster instance on disk; what tests need of them pickled to saved."""
    instance_dir = saved.parent / "dagster"
    instance_dir.mkdir()
    instance = dg.DagsterInstance.local_temp(tempdir=str(instance_dir))
    with fake_service_principal(Path(env.lake_root).parent / "python.log"):
        first = run_pipeline(env, instance=instance, log_level="WARNING")
        snapshot = delta_counts(env.lake_root)
        fingerprints = {name: table_fingerprint(path) for name, path in delta_tables(env.lake_root).items()}
        second = run_pipeline(env, instance=instance, log_level="WARNING")
    manifest = json.loads((Path(env.workspace_dir) / "data" / "_truth" / "manifest.json").read_text())
    fields = {"env": env, "first": first, "second": second, "snapshot": snapshot, "manifest": manifest,
              "fingerprints": fingerprints, "jvm_log": jvm_log_file(), "instance_dir": str(instance_dir)}
    saved.write_bytes(pickle.dumps(fields))


@contextmanager
def fake_service_principal(log_file: Path) -> Iterator[None]:
    """FAKE_AZURE in the process environment for the block, as a deployment with a service principal has
    it; every Python log record of the block (INFO and up) also goes to log_file, to be searched."""
    saved = {k: os.environ.get(k) for k in FAKE_AZURE}
    os.environ.update(FAKE_AZURE)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO))
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def delta_tables(lake_root: str) -> dict[str, Path]:
    """Every Delta table under the lake root, by its path relative to the root."""
    root = Path(lake_root)
    return {str(log.parent.relative_to(root)): log.parent for log in sorted(root.rglob("_delta_log"))}


def delta_counts(lake_root: str) -> dict[str, int]:
    """Row counts as read by delta-rs, independently of Spark."""
    return {
        name: deltalake.DeltaTable(str(path)).to_pyarrow_table().num_rows
        for name, path in delta_tables(lake_root).items()
    }
