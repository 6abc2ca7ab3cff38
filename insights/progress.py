"""How far a run is, from Dagster's event stream: a live rich display on a terminal, plain lines elsewhere."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TextIO

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from insights.run import root_cause
from orchestration.source_checks import LANDING

Kind = dg.DagsterEventType


@dataclass
class RunState:
    """What the events said so far: assets written, steps running, assets failed or skipped."""

    total: int
    done: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    sources_failed: set[str] = field(default_factory=set)
    running: dict[str, str] = field(default_factory=dict)
    step_assets: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    step_checks: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def label(self, step: str) -> str:
        """A step by the assets it writes, a check step by the assets it checks."""
        if self.step_assets.get(step):
            return ", ".join(self.step_assets[step])
        checked = list(dict.fromkeys(self.step_checks.get(step, [])))
        return f"checks of {', '.join(checked)}" if checked else step

    def apply(self, event: dg.DagsterEvent) -> str | None:
        """Take one event in; the line worth printing about it, if any."""
        step, kind = event.step_key, event.event_type
        if kind == Kind.ASSET_MATERIALIZATION_PLANNED and step:
            self.step_assets[step].append(event.asset_key.to_user_string())
        elif kind == Kind.ASSET_CHECK_EVALUATION_PLANNED and step:
            self.step_checks[step].append(event.event_specific_data.asset_key.to_user_string())
        elif kind == Kind.STEP_START and step:
            self.running[step] = self.label(step)
            return f"running {self.running[step]}"
        elif kind == Kind.ASSET_MATERIALIZATION:
            self.done.add(event.asset_key.to_user_string())
            return f"wrote {event.asset_key.to_user_string()}"
        elif kind == Kind.STEP_SUCCESS and step:
            self.running.pop(step, None)
        elif kind == Kind.STEP_FAILURE and step:
            self.running.pop(step, None)
            self.failed.update(set(self.step_assets.get(step, [])) - self.done)
            error = event.event_specific_data.error if event.event_specific_data else None
            return f"FAILED {self.label(step)}: {root_cause(error) if error else 'see the log'}"
        elif kind == Kind.ASSET_CHECK_EVALUATION:
            return self._check(event.event_specific_data)
        elif kind == Kind.STEP_SKIPPED and step:
            self.skipped.update(self.step_assets.get(step, []))
            return f"skipped {self.label(step)} (an upstream step failed or a quality gate blocked it)"
        return None

    def _check(self, evaluation) -> str | None:
        """A source whose landing failed (its step did not: silver still runs), said when it happens."""
        if evaluation.check_name != LANDING or evaluation.passed:
            return None
        source = evaluation.asset_key.path[-1]
        self.sources_failed.add(source)
        return f"FAILED source {source} (silver keeps its last good bronze): {evaluation.description}"

    def status(self) -> str:
        """Counts beyond done/total, and what is running now."""
        counts = [(self.failed, "failed"), (self.skipped, "skipped"), (self.sources_failed, "source(s) failed")]
        extra = [f"{len(s)} {word}" for s, word in counts if s]
        now = "; ".join(self.running.values())
        return "  ".join([*extra, now] if now else extra)


class RunProgress:
    """Follows one run: call it with each EventLogEntry (instance.add_event_listener); use as a context."""

    def __init__(self, total: int, console: Console | None = None, plain: TextIO | None = None):
        self.state = RunState(total)
        self.console = console or Console()
        live = plain is None and self.console.is_terminal
        self.plain = None if live else (plain or sys.stdout)
        self.started = time.monotonic()
        self.bar = Progress(
            SpinnerColumn(), TextColumn("assets"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[status]}"), console=self.console, disable=not live,
        )
        self.task = self.bar.add_task("run", total=total, status="starting")

    def __enter__(self) -> RunProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def __call__(self, entry: dg.EventLogEntry) -> None:
        if entry.dagster_event is None:
            return
        line = self.state.apply(entry.dagster_event)
        state = self.state
        self.bar.update(self.task, completed=len(state.done), status=state.status())
        if line is None:
            return
        if self.plain is not None:
            seconds = time.monotonic() - self.started
            print(f"[{seconds:6.1f}s] {len(state.done)}/{state.total} assets  {line}", file=self.plain, flush=True)
        elif line.startswith(("FAILED", "skipped")):
            self.bar.console.print(line, markup=False, highlight=False)
