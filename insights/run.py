"""Materialise a workspace's asset graph in this process and summarise what was written."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import dagster as dg

from orchestration.build import build_definitions
from schemas.environment import Environment


@dataclass(frozen=True)
class TableWritten:
    """One table a run wrote, with the time of the step that wrote it."""

    key: str
    rows: int | None
    seconds: float | None = None


@dataclass(frozen=True)
class RunSummary:
    """What `insights run` prints: tables written, rows, failures, time."""

    run_id: str
    seconds: float
    tables: list[TableWritten] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    checks_failed: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failures

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
        for check in self.checks_failed:
            lines.append(f"check failed: {check}")
        return "\n".join(lines)


def run_pipeline(
    env: Environment,
    select: str | None = None,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
) -> RunSummary:
    """Validate the workspace, then materialise the selected assets (default: all) in-process."""
    started = time.monotonic()
    defs = build_definitions(env.load_workspace(), env)
    job = defs.resolve_implicit_global_asset_job_def()
    keys = None
    if select:
        keys = list(dg.AssetSelection.from_string(select).resolve(defs.resolve_asset_graph()))
    instance = instance or dg.DagsterInstance.get()
    result = job.execute_in_process(
        instance=instance,
        asset_selection=keys,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
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
        )
        for event in result.get_asset_materialization_events()
    ]
    failures = {
        event.step_key: _root_cause(event.event_specific_data.error)
        for event in result.all_events
        if event.is_step_failure and event.event_specific_data and event.event_specific_data.error
    }
    checks_failed = [
        f"{'/'.join(c.asset_key.path)}: {c.check_name}"
        for c in result.get_asset_check_evaluations()
        if not c.passed
    ]
    return RunSummary(result.run_id, time.monotonic() - started, tables, failures, checks_failed)


def _rows(metadata: dict) -> int | None:
    value = metadata.get("dagster/row_count")
    return None if value is None else int(value.value)


def _root_cause(error) -> str:
    """The first line of the innermost error: what went wrong (e.g. the file and column at fault),
    not Dagster's 'error occurred while executing op' wrapper around it."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return error.message.strip().splitlines()[0]
