"""A table nobody changed, checked by an unchanged suite, passes again: reuse the last pass.

A run with no new data re-checks every silver and gold table, and on a lake that is most of
such a run's Spark work. What a validation's outcome depends on is written into its
metadata (`validation_key`): the table's path, its newest commit (version and when that
commit was written, so a table rebuilt from scratch is not mistaken for the old one), the
newest commits of the tables its queries read, and the suite itself. When the last completed
evaluations of the check passed with the same key, the check reports that pass again
(`reused_from_run` names the run that validated). Expectations that read the clock ("now+1d",
SQL with current_timestamp()) depend on when they run: they are left out of the key and
validated again on every run (`clock_part`), alone; anything that failed is validated whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from pyspark.sql import SparkSession

from expectations import TableSuite
from jobs.built_from import definition_hash
from jobs.delta import latest_commit

VALIDATION_KEY = "validation_key"
REUSED_FROM = "reused_from_run"
CLOCK_REVALIDATED = "clock_expectations_revalidated"
_COMPLETED = {AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}


@dataclass(frozen=True)
class Reusable:
    """The metadata each check reported last time, by check name, and the run that validated."""

    metadata: dict[str, dict[str, Any]]
    run_id: str


def clock_part(suite: TableSuite) -> TableSuite | None:
    """The suite's expectations that read the clock (validated on every run), None if it has none."""
    clock = [e for e in suite.expectations if e.needs_clock]
    return suite.model_copy(update={"expectations": clock}) if clock else None


def validation_key(spark: SparkSession, path: str, suite: TableSuite, reads: list[str]) -> str | None:
    """What the outcome of the suite's expectations that do not read the clock depends on, hashed;
    None when the table has no commit."""
    timeless = [e for e in suite.expectations if not e.needs_clock]
    commits = {p: latest_commit(spark, p) for p in [path, *reads]}
    if commits[path] is None:
        return None
    return definition_hash({
        "path": path,
        "commits": {p: (c.version, c.written_at_ms) if c else None for p, c in commits.items()},
        "suite": suite.model_copy(update={"expectations": timeless}).model_dump(mode="json"),
    })


def last_pass(instance: dg.DagsterInstance, keys: list[dg.AssetCheckKey], key: str | None) -> Reusable | None:
    """The last completed evaluations of these checks, when every one passed under this key."""
    if key is None:
        return None
    found: dict[str, dict[str, Any]] = {}
    runs = set()
    for check in keys:
        records = instance.event_log_storage.get_asset_check_execution_history(check, limit=1, status=_COMPLETED)
        if not records or records[0].status != AssetCheckExecutionRecordStatus.SUCCEEDED:
            return None
        evaluation = records[0].event.dagster_event.event_specific_data
        metadata = {name: value.value for name, value in evaluation.metadata.items()}
        if metadata.get(VALIDATION_KEY) != key:
            return None
        found[check.name] = evaluation.metadata
        runs.add(metadata.get(REUSED_FROM) or records[0].run_id)
    if len(runs) != 1:
        return None
    return Reusable(found, runs.pop())


def previous_pass(context: dg.AssetCheckExecutionContext, spark: SparkSession, path: str, suite: TableSuite,
                  checks: list[dg.AssetCheckKey], reads: list[str]) -> tuple[str | None, Reusable | None]:
    """This validation's key, and the last pass under it when there is one (said in the log)."""
    key = validation_key(spark, path, suite, reads)
    last = last_pass(context.instance, checks, key)
    if last is not None:
        context.log.info(f"{path} and {len(reads)} tables it reads: unchanged, as is the suite, "
                         f"since run {last.run_id}, which passed")
    return key, last


def reused(check: dg.AssetCheckKey, last: Reusable, revalidated: int = 0) -> dg.AssetCheckResult:
    """The pass reported again, saying which run validated it (and how many clock-reading
    expectations this run validated again, and passed)."""
    metadata = dict(last.metadata[check.name]) | {REUSED_FROM: dg.MetadataValue.text(last.run_id)}
    if revalidated:
        metadata[CLOCK_REVALIDATED] = dg.MetadataValue.int(revalidated)
    return dg.AssetCheckResult(check_name=check.name, asset_key=check.asset_key, passed=True, metadata=metadata)
