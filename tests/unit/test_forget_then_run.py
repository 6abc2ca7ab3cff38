"""Forget, then run: the next full `insights run` passes every gate and the people stay gone (issue 14, item 5).

On the mini workspace (the smallest world that runs its whole graph): a full run; Bob forgotten at once
(`--now`: erased and vacuumed) and Alice queued and erased by the meta/forget_requests asset (not
vacuumed: the erase is each table's latest commit); a full run. That run must fail no step and no gate,
and no table under the lake may hold either person (delta-rs reads, independent of Spark).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import deltalake
import pytest

from insights.run import run_pipeline
from jobs.privacy.forget import forget_now, queue
from jobs.privacy.forget_requests import Ask
from orchestration.assets.forget_requests import forget_assets
from orchestration.checks import GATE
from orchestration.resources import LakeResource, SparkResource
from schemas.environment import Environment
from schemas.tables import Lake
from tests.unit.mini import mini_workspace

# contacts:1 and members:M1 are Alice's, with orders O1 and O2; contacts:2 and order O3 are Bob's
ALICE = ["contacts:1", "members:M1", "orders:O1", "orders:O2", "alice.smith"]
BOB = ["contacts:2", "orders:O3", "+442079460018", "7946 0018"]


def tables(root: str) -> dict[str, Path]:
    return {str(log.parent.relative_to(root)): log.parent for log in sorted(Path(root).rglob("_delta_log"))}


def holders(root: str, needles: list[str]) -> list[str]:
    """'table: needle' for every table (latest version) with a cell containing a needle."""
    found = []
    for name, path in tables(root).items():
        text = deltalake.DeltaTable(str(path)).to_pandas().astype(str).apply(lambda c: c.str.lower())
        found += [f"{name}: {n}" for n in needles
                  if text.apply(lambda c, n=n: c.str.contains(n.lower(), regex=False)).any().any()]
    return found


def failed(summary) -> dict:
    """Failed steps and failed gates (the blocking, ERROR-severity checks); warnings may fail."""
    return {"steps": summary.failures, "checks": [c for c in summary.checks_failed if c.endswith(GATE)]}


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("forget_run")
    ws = mini_workspace(folder)
    root = str(tmp_path_factory.mktemp("forget_run_lake") / "lake")
    env = Environment(workspace_dir=str(folder / "mini"), lake_root=root, spark_profile="test")
    instance = dg.DagsterInstance.ephemeral()
    done = {"first": run_pipeline(env, instance=instance, log_level="WARNING")}
    done["had"] = {"alice": holders(root, ALICE), "bob": holders(root, BOB)}
    forget_now(spark, ws, Lake(root), [Ask("phone", "+44 20 7946 0018")], retention_hours=0)  # erased, vacuumed
    queue(spark, ws, Lake(root), [Ask("email", "Alice.Smith@example.com")])  # erased by the asset, not vacuumed
    batch = dg.materialize(forget_assets(ws), instance=instance, resources={
        "spark": SparkResource(profile="test"), "lake": LakeResource(root=root)})
    assert batch.success
    done["next"] = run_pipeline(env, instance=instance, log_level="WARNING")
    done["left"] = holders(root, ALICE + BOB)
    return done


def test_the_people_were_there_and_the_first_run_passed(runs):
    assert failed(runs["first"]) == {"steps": {}, "checks": []}
    assert "silver/customer: contacts:1" in runs["had"]["alice"]
    assert "silver/customer: contacts:2" in runs["had"]["bob"]


def test_the_run_after_forget_passes_every_gate_and_nobody_comes_back(runs):
    assert failed(runs["next"]) == {"steps": {}, "checks": []}
    assert runs["left"] == []


def test_the_gate_discounts_only_what_forget_erased():
    from jobs.lake import FORGET_WRITER
    from jobs.privacy import erase

    assert erase.__name__ == FORGET_WRITER  # the writer the gate's baseline recognises
