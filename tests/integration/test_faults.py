"""Faults: a Spark driver killed (SIGKILL) in the middle of a bronze, a silver and a gold write,
in the middle of gold/kpis_customer's incremental MERGE, and between the two tables of the
identity step (gold/customer_ids, then gold/customer_id_history), then re-run, leaves every
table equal to an uninterrupted run's; two writers of one table at once leave it consistent.

The uninterrupted run is the `example` fixture's lake (same workspace, same files). Each
write runs in a separate driver process (tests/integration/fault_writer.py) that writes one
Parquet file per row, so the write spans many files; the test kills the process group as soon
as a data file exists that no Delta commit references, and proves afterwards that the commit
never happened. The writers start together (a module fixture), so their drivers' start-up
overlaps; each re-run happens in this process, like any later run would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import deltalake
import pyarrow.parquet as pq
import pytest

from insights.run import run_pipeline
from jobs.ingest_log import INGEST_LOG
from jobs.kpis.refresh import COMPUTED_AT
from schemas.environment import Environment
from tests.integration.fingerprints import frame_fingerprint

pytestmark = [pytest.mark.integration, pytest.mark.faults]

ROOT = Path(__file__).resolve().parents[2]
WALL_CLOCK = ["_ingested_at", "landed_at"]  # when a row landed differs between two runs
KILL_TIMEOUT_S = 900


def data_files(table: Path) -> set[str]:
    """Parquet data files of a table (relative paths), committed or not."""
    if not table.exists():
        return set()
    return {
        str(p.relative_to(table))
        for p in table.rglob("*.parquet")
        if "_delta_log" not in p.parts and "_change_data" not in p.parts
    }


def committed_files(table: Path) -> set[str]:
    """Every data file any committed version of the table ever added."""
    log = table / "_delta_log"
    added: set[str] = set()
    if not log.exists():
        return added
    for commit in sorted(log.glob("*.json")):
        for line in commit.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                added.add(action["add"]["path"])
    for checkpoint in log.glob("*.checkpoint*.parquet"):
        adds = pq.read_table(checkpoint, columns=["add"]).column("add").to_pylist()
        added |= {a["path"] for a in adds if a}
    return added


@dataclass
class Writer:
    """A writer process to kill once its table holds a data file that no Delta commit references."""

    name: str
    table: Path
    log: Path
    before: set[str]
    process: subprocess.Popen

    def orphans(self) -> set[str]:
        return data_files(self.table) - self.before - committed_files(self.table)


def start_writer(name: str, args: list[str], table: Path, tmp: Path) -> Writer:
    """A separate driver process (its own session: a kill takes Python and its JVM) writing one file per row."""
    before = data_files(table)
    log = tmp / f"{name}-writer.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.fault_writer", *args, "--records-per-file", "1"],
            cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Writer(name, table, log, before, process)


def kill_mid_write(writers: list[Writer]) -> dict[str, set[str]]:
    """SIGKILL each writer as soon as an uncommitted data file of its table exists; name -> its orphans.

    The writers run at once: most of each one's time is starting a driver, which overlaps.
    """
    deadline = time.monotonic() + KILL_TIMEOUT_S
    running = list(writers)
    try:
        while running and time.monotonic() < deadline:
            for writer in list(running):
                if writer.process.poll() is not None:
                    running.remove(writer)
                elif writer.orphans():
                    os.killpg(writer.process.pid, signal.SIGKILL)  # the driver: Python and its JVM
                    running.remove(writer)
            time.sleep(0.02)
    finally:
        for writer in writers:
            if writer.process.poll() is None:
                os.killpg(writer.process.pid, signal.SIGKILL)
            writer.process.wait()
    found = {}
    for writer in writers:
        log = writer.log.read_text()[-3000:]
        code = writer.process.returncode
        assert code == -signal.SIGKILL, f"{writer.name} writer ended on its own ({code}):\n{log}"
        found[writer.name] = writer.orphans()
        assert found[writer.name], f"{writer.name}: killed, but every data file is committed: too late\n{log}"
    return found


def content(table: Path, ignore: list[str] = WALL_CLOCK, where: tuple[str, str] | None = None) -> str:
    """Fingerprint of a table's current rows (delta-rs), without wall-clock columns."""
    frame = deltalake.DeltaTable(str(table)).to_pandas()
    if where is not None:
        frame = frame[frame[where[0]] == where[1]]
    return frame_fingerprint(frame.drop(columns=[c for c in ignore if c in frame.columns]))


def rerun(example, lake: Path, select: str):
    env = Environment(workspace_dir=example.env.workspace_dir, lake_root=str(lake), spark_profile="test")
    summary = run_pipeline(env, select, instance=example.instance, log_level="ERROR", checks=False)  # rows, not checks
    assert summary.success, summary.render()
    return summary


def copy_lake(example, target: Path, *without: str) -> Path:
    shutil.copytree(example.lake, target, ignore=shutil.ignore_patterns("mlflow"))
    for table in without:
        shutil.rmtree(target / table)
    return target


BRONZE_SELECTION = 'key:"bronze/web_events" or key:"quarantine/web_events"'
# One step writes both (gold_customer_ids): the map first, then its history. Killed once the history's
# first data file exists, the map is committed and the history is not.
IDS_SELECTION = 'key:"gold/customer_ids" or key:"gold/customer_id_history"'
IDS_WALL_CLOCK = ["assigned_at", "customer_id_since", "at", "run_id"]  # when a run assigned or recorded
KPIS = "gold/kpis_customer"


def new_purchases(spark, lake: Path) -> None:
    """Three customers buy again, linked to them as identity resolution would link them: the next
    gold/kpis_customer refresh is incremental, a MERGE of their rows.

    KPIs find an interaction's customer in gold/interaction_customers (jobs/customers.py), so each
    new purchase gets its template purchase's rows there under its own record_id.
    """
    from pyspark.sql import functions as F

    from jobs.silver import merge_into

    path = str(lake / "silver/purchase")
    silver = spark.read.format("delta").load(path)
    buyers = [r[0] for r in silver.where(F.col("customer_record_id").isNotNull()).select("customer_record_id")
              .distinct().orderBy("customer_record_id").limit(3).collect()]
    template = silver.where(F.col("customer_record_id").isin(buyers)).dropDuplicates(["customer_record_id"])
    new_id = F.concat(F.lit("new:"), "record_id")
    bought = (template.withColumn("record_id", new_id)
              .withColumn("amount", F.lit(150.0)).withColumn("status", F.lit("completed"))
              .withColumn("_batch_id", F.col("_batch_id") + 100).withColumn("_row_hash", F.sha2("record_id", 256)))
    merge_into(spark, bought, path, "purchase")
    links = spark.read.format("delta").load(str(lake / "gold/interaction_customers"))
    linked = links.where(F.col("interaction_type") == "purchase").join(template.select("record_id"), "record_id", "left_semi")
    linked.withColumn("record_id", new_id).write.format("delta").mode("append").save(
        str(lake / "gold/interaction_customers"))


def last_commit(table: Path) -> dict:
    return deltalake.DeltaTable(str(table)).history(1)[0]


@dataclass(frozen=True)
class Killed:
    """A lake whose writer was killed mid-write, and the data files the kill left uncommitted."""

    lake: Path
    orphans: set[str]


@pytest.fixture(scope="module")
def killed(example, spark, tmp_path_factory) -> dict[str, Killed]:
    """A bronze, a silver, a gold, a KPI MERGE and an identity (two tables in one step) writer, each on its
    own lake, started together and killed mid-write. The KPI lake has new purchases; kpis-reference is
    a copy of it for the uninterrupted run."""
    tmp = tmp_path_factory.mktemp("killed")
    lakes = {
        "bronze": tmp / "bronze-lake",  # a fresh lake: the source lands from nothing
        "silver": copy_lake(example, tmp / "silver-lake", "silver/web_visit"),
        "gold": copy_lake(example, tmp / "gold-lake", "gold/customer_measures"),
        "ids": copy_lake(example, tmp / "ids-lake", "gold/customer_ids", "gold/customer_id_history"),
        "kpis": copy_lake(example, tmp / "kpis-lake"),
    }
    new_purchases(spark, lakes["kpis"])
    shutil.copytree(lakes["kpis"], tmp / "kpis-reference")
    plans = {"bronze": (BRONZE_SELECTION, "bronze/web_events"), "silver": ("silver/web_visit", "silver/web_visit"),
             "gold": ("gold/customer_measures", "gold/customer_measures"),
             "ids": (IDS_SELECTION, "gold/customer_id_history"), "kpis": (KPIS, KPIS)}
    writers = [
        start_writer(name, ["--workspace", example.env.workspace_dir, "--lake", str(lakes[name]),
                            "--select", select], lakes[name] / table, tmp)
        for name, (select, table) in plans.items()
    ]
    orphans = kill_mid_write(writers)
    return {name: Killed(lakes[name], orphans[name]) for name in plans}


def test_kill_mid_bronze_write_then_rerun_equals_an_uninterrupted_run(example, killed):
    lake, orphans = killed["bronze"].lake, killed["bronze"].orphans
    rerun(example, lake, BRONZE_SELECTION)
    for table in ("bronze/web_events", "quarantine/web_events"):
        assert content(lake / table) == content(example.lake / table), table
    by_source = ("source", "web_events")
    assert content(lake / "meta" / INGEST_LOG, where=by_source) == content(
        example.lake / "meta" / INGEST_LOG, where=by_source
    )
    assert not orphans & committed_files(lake / "bronze" / "web_events")  # never part of the table


def test_kill_mid_silver_merge_then_rerun_equals_an_uninterrupted_run(example, killed):
    lake, orphans = killed["silver"].lake, killed["silver"].orphans
    rerun(example, lake, "silver/web_visit")
    table = "silver/web_visit"
    assert content(lake / table, ignore=[]) == content(example.lake / table, ignore=[])
    rows = deltalake.DeltaTable(str(lake / table)).to_pandas()
    assert rows["record_id"].is_unique
    assert not orphans & committed_files(lake / table)


def test_kill_mid_gold_write_then_rerun_equals_an_uninterrupted_run(example, killed):
    lake, orphans = killed["gold"].lake, killed["gold"].orphans
    rerun(example, lake, "gold/customer_measures")
    table = "gold/customer_measures"
    assert content(lake / table, ignore=[]) == content(example.lake / table, ignore=[])
    assert not orphans & committed_files(lake / table)


def test_kill_between_the_two_tables_of_the_identity_step_then_rerun_equals_an_uninterrupted_run(example, killed):
    lake, orphans = killed["ids"].lake, killed["ids"].orphans
    assert (lake / "gold/customer_ids/_delta_log").exists()  # the kill came after the map's commit
    rerun(example, lake, IDS_SELECTION)
    for table in ("gold/customer_ids", "gold/customer_id_history"):
        assert content(lake / table, IDS_WALL_CLOCK) == content(example.lake / table, IDS_WALL_CLOCK), table
    assert not orphans & committed_files(lake / "gold/customer_id_history")


def test_kill_mid_kpi_merge_then_rerun_equals_an_uninterrupted_run(example, killed):
    lake, orphans = killed["kpis"].lake, killed["kpis"].orphans
    reference = lake.parent / "kpis-reference"
    version = deltalake.DeltaTable(str(reference / KPIS)).version()
    assert deltalake.DeltaTable(str(lake / KPIS)).version() == version  # the kill committed nothing
    rerun(example, reference, KPIS)
    rerun(example, lake, KPIS)
    # same inputs, so the killed refresh was the MERGE both re-runs made, of the new buyers' rows
    uninterrupted, after_kill = last_commit(reference / KPIS), last_commit(lake / KPIS)
    assert uninterrupted["operation"] == after_kill["operation"] == "MERGE"
    updated = int(uninterrupted["operationMetrics"]["numTargetRowsUpdated"])
    assert updated > 0 and int(after_kill["operationMetrics"]["numTargetRowsUpdated"]) == updated
    assert content(lake / KPIS, [COMPUTED_AT]) == content(reference / KPIS, [COMPUTED_AT])
    assert not orphans & committed_files(lake / KPIS)


def test_two_processes_landing_one_source_at_once_write_each_row_once(example, spark, tmp_path):
    from jobs.bronze import land_source
    from schemas.loader import load_workspace
    from schemas.tables import Lake

    lake = tmp_path / "lake"
    ready, go = tmp_path / "ready", tmp_path / "go"
    ws = load_workspace(example.env.workspace_dir)
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    other = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.fault_writer", "--workspace", str(ws.root),
         "--lake", str(lake), "--land", "web_events", "--ready", str(ready), "--go", str(go),
         "--records-per-file", "5"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + KILL_TIMEOUT_S
        while not ready.exists() and other.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), other.communicate()[0][-3000:]
        spark.conf.set("spark.sql.files.maxRecordsPerFile", "5")
        go.touch()  # both writers start now
        mine = land_source(spark, "web_events", ws.sources["web_events"], ws.model,
                           ws.source_location("web_events"), Lake(str(lake)))
    finally:
        spark.conf.unset("spark.sql.files.maxRecordsPerFile")
        output = other.communicate(timeout=KILL_TIMEOUT_S)[0]
    assert other.returncode == 0, output[-3000:]  # the loser retried or found its batch done
    bronze = deltalake.DeltaTable(str(lake / "bronze" / "web_events"))
    rows = bronze.to_pandas()
    assert rows["event_id"].is_unique
    assert content(lake / "bronze" / "web_events") == content(example.lake / "bronze" / "web_events")
    writes = [h for h in bronze.history() if h["operation"] == "WRITE"]
    assert len(writes) == 1  # one batch, committed once
    log = deltalake.DeltaTable(str(lake / "meta" / INGEST_LOG)).to_pandas()
    assert log["file"].is_unique and set(log["batch_id"]) == {1}
    # each writer reports what it wrote: one landed the batch, the other found it committed
    [theirs] = [json.loads(line) for line in output.splitlines() if line.startswith('{"batch_id"')]
    assert sorted([mine.rows_landed, theirs["rows_landed"]]) == [0, len(rows)], (mine, theirs)
    assert mine.committed_before == (mine.rows_landed == 0)
