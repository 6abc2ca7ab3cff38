"""Materialise a workspace's asset graph in this process and summarise what was written."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import dagster as dg

from insights.selection import Selection, resolve_selection
from orchestration.build import build_definitions
from orchestration.resources import SparkResource, run_cap_config
from orchestration.source_checks import LANDING
from schemas.environment import Environment

# Dagster's console format, so the file reads like the console did
LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
LOG_DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"


@dataclass(frozen=True)
class TableWritten:
    """One table a run wrote, with the time of the step that wrote it."""

    key: str
    rows: int | None
    seconds: float | None = None
    step: str | None = None  # the Dagster step that wrote it (a step may write several tables)


@dataclass(frozen=True)
class RunSummary:
    """What `insights run` prints: tables written, rows, failures, time."""

    run_id: str
    seconds: float
    tables: list[TableWritten] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    checks_failed: list[str] = field(default_factory=list)
    log_file: str | None = None
    # source -> why nothing landed (file and column); silver was built from its last good bronze
    sources_failed: dict[str, str] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return not self.failures and not self.sources_failed

    def render(self) -> str:
        width = max((len(t.key) for t in self.tables), default=10)
        lines = [f"{'table':<{width}}  {'rows':>10}  {'step s':>7}", f"{'-' * width}  {'-' * 10}  {'-' * 7}"]
        lines += [
            f"{t.key:<{width}}  {t.rows if t.rows is not None else '-':>10}  "
            f"{f'{t.seconds:.1f}' if t.seconds is not None else '-':>7}"
            for t in self.tables
        ]
        total = sum(t.rows or 0 for t in self.tables)
        lines.append(
            f"\n{len(self.tables)} tables written, {total:,} rows, in {self.seconds:.1f} s "
            f"(run {self.run_id[:8]})"
        )
        for step, message in self.failures.items():
            lines.append(f"FAILED {step}: {message}")
        for source, message in self.sources_failed.items():
            lines.append(f"FAILED source {source} (nothing landed; silver kept its last good bronze): {message}")
        for check in self.checks_failed:
            lines.append(f"check failed: {check}")
        if self.log_file:
            lines.append(f"Dagster's log: {self.log_file}")
        return "\n".join(lines)


@dataclass(frozen=True)
class RunPlan:
    """A run ready to start: the job and the assets it will materialise."""

    job: dg.JobDefinition
    selection: Selection
    spark: SparkResource | None = None  # the definitions' Spark resource, which a run's cap goes to


def plan_run(env: Environment, select: str | None = None) -> RunPlan:
    """Validate the workspace and resolve the selection (a SelectionError says what is wrong), before Spark."""
    defs = build_definitions(env.load_workspace(), env)
    return RunPlan(defs.resolve_implicit_global_asset_job_def(), resolve_selection(select, defs.resolve_asset_graph()),
                   defs.resources["spark"])


def run_pipeline(
    env: Environment,
    select: str | None = None,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
    max_executors: int | None = None,
    checks: bool = True,
) -> RunSummary:
    """Validate the workspace, then materialise the selected assets (default: all) in-process.

    max_executors lowers this run's executor cap (never raises the profile's or the workspace's);
    checks=False leaves out the selected assets' checks, their quality gates too (`--no-checks`)."""
    return execute_plan(plan_run(env, select), instance, log_level, max_executors=max_executors, checks=checks)


def execute_plan(
    plan: RunPlan,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
    on_event: Callable[[dg.EventLogEntry], None] | None = None,
    log_dir: Path | None = None,
    max_executors: int | None = None,
    checks: bool = True,
) -> RunSummary:
    """Materialise the plan in-process; each Dagster event goes to on_event as it happens, and
    Dagster's log to <log_dir>/run-<run id>.log instead of the console when log_dir is given."""
    started = time.monotonic()
    instance = instance or dg.DagsterInstance.get()
    run_id = str(uuid.uuid4())
    if on_event is not None:
        instance.add_event_listener(run_id, on_event)
    log_file = None if log_dir is None else Path(log_dir) / f"run-{run_id}.log"
    keys = plan.selection.asset_keys
    selected = plan.job if checks else _without_checks(plan)
    job, loggers, handler = _logging(selected, log_file, log_level)
    try:
        result = job.execute_in_process(
            instance=instance, asset_selection=keys if checks else None, raise_on_error=False,
            run_id=run_id, run_config={"loggers": loggers} | run_cap_config(max_executors, plan.spark or SparkResource()),
        )
    finally:
        if handler is not None:
            handler.close()
    return replace(_summarise(result, instance), seconds=time.monotonic() - started,
                   log_file=None if log_file is None else str(log_file))


def _without_checks(plan: RunPlan) -> dg.JobDefinition:
    """The selected assets' subset of the job without the checks that are steps of their own: those an
    asset's step reports itself (bronze's landing) come with it, as Dagster cannot split that step."""
    assets = {dg.AssetKey.from_user_string(key) for key in plan.selection.keys}
    own = {check for definition in plan.job.asset_layer.asset_graph.assets_defs
           if definition.keys & assets for check in definition.check_keys}
    return plan.job.get_subset(asset_selection=assets, asset_check_selection=own)


def _logging(job: dg.JobDefinition, log_file: Path | None, log_level: str):
    """The job with its logger: Dagster's console, or a file in the console's format."""
    if log_file is None:
        return job, {"console": {"config": {"log_level": log_level}}}, None
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))

    def file_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.Logger("dagster", level=init_context.logger_config["log_level"])
        logger.addHandler(handler)
        return logger

    definition = dg.LoggerDefinition(file_logger, config_schema={"log_level": str},
                                     description="Dagster's log lines, to the run's log file")
    return job.with_logger_defs({"file": definition}), {"file": {"config": {"log_level": log_level}}}, handler


def _summarise(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance) -> RunSummary:
    """Tables written with their rows and step times, failed steps, failed checks (time: the caller's)."""
    step_seconds = {
        s.step_key: s.end_time - s.start_time
        for s in instance.get_run_step_stats(result.run_id)
        if s.start_time and s.end_time
    }
    tables = [
        TableWritten(
            "/".join(event.asset_key.path),
            _rows(event.step_materialization_data.materialization.metadata),
            step_seconds.get(event.step_key),
            event.step_key,
        )
        for event in result.get_asset_materialization_events()
    ]
    failures = {
        event.step_key: root_cause(event.event_specific_data.error)
        for event in result.all_events
        if event.is_step_failure and event.event_specific_data and event.event_specific_data.error
    }
    evaluations = result.get_asset_check_evaluations()
    checks_failed = [f"{'/'.join(c.asset_key.path)}: {c.check_name}" for c in evaluations if not c.passed]
    sources_failed = {
        c.asset_key.path[-1]: c.description or "see the landing check"
        for c in evaluations
        if c.check_name == LANDING and not c.passed
    }
    return RunSummary(result.run_id, 0.0, tables, failures, checks_failed, sources_failed=sources_failed)


def _rows(metadata: dict) -> int | None:
    value = metadata.get("dagster/row_count")
    return None if value is None else int(value.value)


def root_cause(error) -> str:
    """The first line of the innermost error: what went wrong (e.g. the file and column at fault),
    not Dagster's 'error occurred while executing op' wrapper around it."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return error.message.strip().splitlines()[0]
