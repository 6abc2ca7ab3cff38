"""`insights run`: selections Dagster accepts (multi-assets whole), one-line selection errors, progress and a log file."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner
from deltalake import DeltaTable
from rich.console import Console

from insights.cli import main
from insights.progress import RunProgress
from insights.selection import SelectionError, resolve_selection
from orchestration.build import build_definitions
from schemas.environment import Environment
from tests.unit.mini import MINI

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "examples" / "retail"


@pytest.fixture(scope="module")
def retail_defs(tmp_path_factory) -> dg.Definitions:
    lake = tmp_path_factory.mktemp("lake")
    env = Environment.from_env(environ={}, workspace_dir=str(RETAIL), lake_root=str(lake))
    return build_definitions(env.load_workspace(), env)


def test_an_upstream_selection_takes_each_multi_asset_whole(retail_defs):
    graph = retail_defs.resolve_asset_graph()
    job = retail_defs.resolve_implicit_global_asset_job_def()
    picked = dg.AssetSelection.from_string("*gold/kpis_customer").resolve(graph)
    with pytest.raises(dg.DagsterInvalidSubsetError, match="does not support subsetting"):
        job.get_subset(asset_selection=set(picked))  # what `insights run` ran into before

    selection = resolve_selection("*gold/kpis_customer", graph)
    keys = set(selection.keys)
    bronze = {k.split("/", 1)[1] for k in keys if k.startswith("bronze/")}
    assert bronze and {f"quarantine/{s}" for s in bronze} <= keys  # each source lands with its quarantine
    assert {"gold/customer_ids", "gold/customer_id_history"} <= keys  # one step writes both
    assert set(selection.added) == keys - {k.to_user_string() for k in picked}
    assert {f"quarantine/{s}" for s in bronze} | {"gold/customer_id_history"} == set(selection.added)
    assert "quarantine/" in selection.note() and len(selection.note().splitlines()) == 1
    job.get_subset(asset_selection=set(selection.asset_keys))  # Dagster accepts it


def test_no_checks_leaves_out_every_check_step_and_keeps_the_checks_a_step_reports_itself(retail_defs):
    from insights.run import RunPlan, _without_checks

    graph = retail_defs.resolve_asset_graph()
    job = retail_defs.resolve_implicit_global_asset_job_def()
    selection = resolve_selection("*silver/customer", graph)
    with_checks = job.get_subset(asset_selection=set(selection.asset_keys))
    without = _without_checks(RunPlan(job, selection))
    assert {k.to_user_string() for k in without.asset_layer.selected_asset_keys} == set(selection.keys)
    checks = {(c.asset_key.to_user_string(), c.name) for c in with_checks.asset_layer.asset_graph.asset_check_keys}
    kept = {(c.asset_key.to_user_string(), c.name) for c in without.asset_layer.asset_graph.asset_check_keys}
    own = {(k.to_user_string(), c.name) for d in graph.assets_defs if d.keys & set(selection.asset_keys)
           for c in d.check_keys for k in [c.asset_key]}
    assert {("silver/customer", "quality_gate"), ("bronze/crm_contacts", "freshness")} <= checks - kept  # steps of their own
    assert own and kept == own and {name for _, name in own} == {"landing"}  # bronze's, reported by its step


def test_a_selection_of_whole_steps_adds_nothing(retail_defs):
    selection = resolve_selection("silver/customer+", retail_defs.resolve_asset_graph())  # one level down
    segments = {f"gold/segment_{t}" for t in ["membership", "events", "sizes", "overlap"]}  # one step
    assert segments <= set(selection.keys) and selection.added == [] and selection.note() is None


def test_a_misspelt_asset_is_named_with_the_closest_real_one(retail_defs):
    with pytest.raises(SelectionError, match=r"no asset silver/custmer \(did you mean silver/customer"):
        resolve_selection("silver/custmer+", retail_defs.resolve_asset_graph())


@pytest.mark.parametrize("select,says", [
    ("bronze/stores or silver/store", "cannot parse --select 'bronze/stores or silver/store'"),
    ("tag:nosuch=tag", "selects no assets"),
])
def test_an_unusable_selection_is_one_line_with_an_example_and_exit_code_2(tmp_path, monkeypatch, select, says):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    result = CliRunner().invoke(main, ["run", "--workspace", str(RETAIL), "--lake", str(tmp_path / "lake"),
                                       "--select", select])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and says in errors[0] and "e.g. --select '*gold/kpis_customer'" in errors[0]
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def _run_mini(tmp_path: Path, monkeypatch, select: str):
    """`insights run --select` on a copy of the mini workspace, plain progress (not a terminal)."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    result = CliRunner().invoke(main, ["run", "--workspace", str(tmp_path / "mini"), "--lake", str(tmp_path / "lake"),
                                       "--profile", "test", "--select", select])
    log_file = re.search(r"^Dagster's log: (.+)$", result.output, re.M)
    return result, Path(log_file.group(1)) if log_file else None


def _progress(output: str) -> list[str]:
    return [line.split("] ", 1)[1] for line in output.splitlines() if re.match(r"\[\s*\d+\.\d+s\] \d+/\d+ assets  ", line)]


def test_a_run_shows_progress_to_the_total_and_keeps_dagsters_log_in_a_file(spark, tmp_path, monkeypatch):
    shutil.copytree(MINI, tmp_path / "mini")
    result, log_file = _run_mini(tmp_path, monkeypatch, "bronze/contacts")
    home, lake = tmp_path / "dagster", tmp_path / "lake"
    assert result.exit_code == 0, result.output
    assert "also running 1 asset(s) written in one step with selected ones: quarantine/contacts" in result.output
    progress = _progress(result.output)
    assert progress and progress[-1].startswith("2/2 assets")
    assert "0/2 assets  running bronze/contacts, quarantine/contacts" in progress

    rows = len(DeltaTable(str(lake / "bronze" / "contacts")).to_pandas())
    assert re.search(rf"^bronze/contacts\s+{rows}\s", result.output, re.M), result.output
    assert log_file.parent == home / "logs" and log_file.exists()
    log = log_file.read_text()
    run_id = log_file.stem.removeprefix("run-")
    assert f" - dagster - INFO - __ASSET_JOB - {run_id} - bronze_contacts - landing contacts" in log
    assert "STEP_SUCCESS" in log and "RUN_SUCCESS" in log
    assert " - dagster - " not in result.output  # the log went to the file, not the terminal

    # the live display, fed the same run's events from the instance's event log
    screen = io.StringIO()
    with dg.DagsterInstance.get() as instance, RunProgress(2, Console(file=screen, force_terminal=True,
                                                                        width=120)) as live:
        for entry in instance.all_logs(run_id):
            live(entry)
    assert live.state.done == {"bronze/contacts", "quarantine/contacts"} and not live.state.running
    assert "2/2" in screen.getvalue() and "[   " not in screen.getvalue()


def test_a_failing_source_is_said_as_it_happens_and_the_run_exits_1_naming_it(spark, tmp_path, monkeypatch):
    shutil.copytree(MINI, tmp_path / "mini")
    orders = tmp_path / "mini" / "data" / "orders" / "orders_1.jsonl"
    orders.write_text(orders.read_text().replace('"order_id"', '"order_no"'))  # a required column gone
    result, log_file = _run_mini(tmp_path, monkeypatch, "key:bronze/contacts or key:bronze/orders")
    assert result.exit_code == 1, result.output
    progress = _progress(result.output)
    failed = [line for line in progress if "FAILED" in line]
    assert len(failed) == 1 and " FAILED source orders (silver keeps its last good bronze): " in failed[0]
    assert "required column(s) ['order_id'] missing in" in failed[0] and "orders_1.jsonl" in failed[0]
    assert progress[-1].startswith("4/4 assets")  # its step did not fail: bronze/orders is reported as it is
    assert len(DeltaTable(str(tmp_path / "lake" / "bronze" / "contacts")).to_pandas()) > 0
    assert not (tmp_path / "lake" / "bronze" / "orders").exists()
    assert re.search(r"^FAILED source orders \(nothing landed; .*required column", result.output, re.M)
    log = log_file.read_text()
    assert " - ERROR - " in log and "orders: nothing landed" in log and "STEP_FAILURE" not in log
