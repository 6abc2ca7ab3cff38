"""What the KPI refreshes share: the plan a run makes, its typed result, and when to recompute all.

A run compares what the table was last built from (jobs/kpis/state.py) with now. Same
definitions and as_of, and only new versions of the inputs: it reads the change data feed of
the changed silver interaction tables and compares the two versions of identity
resolution's interaction -> customer map, recomputes only the customers (and periods) those
rows touch, and MERGEs them in, giving the values a full recompute gives. Anything else
(first run, changed definitions, a moved as_of, an unreadable feed or version) is a full
recompute. The plan is made in jobs/kpis/customer_run.py and business_run.py; the table's own
module (kpis_customer, kpis_business, segments.segment_event_counts) writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from delta.tables import DeltaMergeBuilder, DeltaTable
from pyspark.sql import DataFrame, SparkSession

from jobs.built_from import BuiltFrom
from jobs.delta import read_table, stats_only_on
from jobs.kpis.asof import resolve_as_of
from schemas.catalog import CUSTOMER_IDS, INTERACTION_CUSTOMERS
from schemas.kpis import KpiFile
from schemas.tables import Lake
from schemas.workspace import Workspace

COMPUTED_AT = "computed_at"
Mode = Literal["full", "incremental", "unchanged"]


@dataclass(frozen=True)
class KpiRun:
    """What one refresh did."""

    table: str
    mode: Mode
    reason: str
    as_of: datetime
    recomputed: int  # customers (or periods) recomputed
    rows: int


@dataclass(frozen=True)
class KpiPlan:
    """What a refresh is about to write: the whole table (frame), a MERGE (merge), or nothing."""

    mode: Mode
    reason: str
    as_of: datetime
    built: BuiltFrom
    recomputed: int = 0  # incremental: customers (or periods) recomputed
    frame: DataFrame | None = None
    merge: Callable[[DeltaTable], DeltaMergeBuilder] | None = None
    stats_columns: tuple[str, ...] = ()  # full: the only columns with per-file statistics

    def properties(self) -> dict[str, str]:
        """Per-file statistics only on the key columns (set when the table is created).

        Min/max statistics on 50 KPI columns cost more to collect than they save: nobody prunes
        files of a one-row-per-customer table by a KPI's value.
        """
        return stats_only_on(list(self.stats_columns))

    def result(self, spark: SparkSession, path: str) -> KpiRun:
        """The run's outcome once the plan is written."""
        rows = row_count(spark, path)
        recomputed = rows if self.mode == "full" else self.recomputed
        return KpiRun(path, self.mode, self.reason, self.as_of, recomputed, rows)


class FeedUnavailable(RuntimeError):
    """The change data feed cannot say what changed: recompute everything."""


def kpi_interactions(definitions: KpiFile, grain: str | None = None) -> list[str]:
    """Interaction types the (customer or business) KPIs aggregate."""
    kpis = definitions.kpis if grain is None else definitions.of_grain(grain)
    return sorted({k.interaction for k in kpis.values() if k.interaction})


def workspace_as_of(spark: SparkSession, workspace: Workspace, lake: Lake, definitions: KpiFile | None = None) -> datetime:
    """The as_of of the workspace's kpis.yaml, resolved against the lake now."""
    definitions = definitions or workspace.kpis or KpiFile(kpis={})
    return resolve_as_of(spark, lake, definitions.as_of, kpi_interactions(definitions))


# Identity resolution's outputs a KPI run reads, by name in the lake (as built-from records key them).
IDENTITY_INPUTS = (CUSTOMER_IDS.key, INTERACTION_CUSTOMERS.key)


def identity_paths(lake: Lake) -> list[str]:
    """Identity resolution's outputs a KPI run reads (customer map, interaction -> customer)."""
    return [lake.gold(CUSTOMER_IDS.name), lake.gold(INTERACTION_CUSTOMERS.name)]


def full_reason(previous: BuiltFrom | None, now: BuiltFrom, full: bool) -> str | None:
    """Why the run must recompute everything, or None when an incremental run can do."""
    if full:
        return "full recompute asked for"
    if previous is None:
        return "first run"
    if previous.definitions.get("kpis") != now.definitions.get("kpis"):
        return "KPI definitions changed"
    if previous.definitions.get("as_of") != now.definitions.get("as_of"):
        return f"as_of moved from {previous.definitions.get('as_of')} to {now.definitions.get('as_of')}"
    if set(previous.inputs) != set(now.inputs):
        return "the input tables changed: " + "; ".join(now.differences(previous))
    for name in IDENTITY_INPUTS:
        before, after = previous.inputs.get(name), now.inputs.get(name)
        if before is None and after is not None:
            return f"identity resolution output {name} appeared (version {after}; absent at the last run)"
        if before is not None and after is None:
            return f"identity resolution output {name} vanished (version {before} at the last run)"
    return None


def versions(previous: BuiltFrom, now: BuiltFrom, lake: Lake, path: str) -> tuple[int | None, int | None]:
    """An input table's Delta version at the last build and now (records name tables, not paths)."""
    name = lake.name_of(path)
    return previous.inputs.get(name), now.inputs.get(name)


def changed_inputs(previous: BuiltFrom, now: BuiltFrom, lake: Lake, paths: tuple[str, ...] | list[str]) -> bool:
    """Whether any of these input tables has another version now than at the last build."""
    return any(before != after for before, after in (versions(previous, now, lake, p) for p in paths))


def row_count(spark: SparkSession, path: str) -> int:
    table = read_table(spark, path)
    return 0 if table is None else table.count()
