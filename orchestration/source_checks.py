"""Each source's own health, as asset checks on bronze/<source>: did its landing succeed, and how
stale is it.

Dagster abandons every step downstream of a failed step in a run, and has no "run anyway"
trigger rule (dagster-io/dagster#15761); a step that emits no output (optional outputs) skips
its downstream steps just the same. So a source whose files break its contract (a required
column missing, a refused schema drift: a `SourceError`) does not fail its step. The step lands
nothing, still reports bronze/<source> as it is (its last good landing, in
`dagster/last_updated_timestamp`), and fails its `landing` check: severity ERROR, non-blocking,
naming the file and the column. The silver table of its type is then built in the same run from
the other sources and this source's last good bronze. `insights run` fails at the end naming the
source, and the run carries the tag `insights/source_failed/<source>`. Any other error (Spark,
storage) still fails the step, and Dagster stops what depends on it.

`freshness` reads the ingest log (the lake's own record, not Dagster's event log, so it is true
whichever instance ran the landing): how long since the source's last good landing; it warns
past the source's `stale_after_hours`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from jobs.ingest_log import last_landed_at
from orchestration.assets.common import asset_key
from orchestration.resources import LakeResource
from schemas.tables import BRONZE
from schemas.workspace import Workspace

LANDING, FRESHNESS = "landing", "freshness"
FAILED_TAG = "insights/source_failed/"
LAST_UPDATED = "dagster/last_updated_timestamp"  # what Dagster's freshness tooling reads
ERROR_KEY = "error"


def landing_spec(name: str) -> dg.AssetCheckSpec:
    """The check the bronze step itself evaluates: it never blocks silver (see the module's docstring)."""
    return dg.AssetCheckSpec(
        LANDING, asset=asset_key(BRONZE, name), blocking=False,
        description="the source's new files landed; fails (error) naming the file and column when they "
        "break the source's contract, while silver is built from its last good bronze",
    )


def landing_result(name: str, error: str | None) -> dg.AssetCheckResult:
    """Passed, or failed with the source's error (file and column) as description and metadata."""
    return dg.AssetCheckResult(
        check_name=LANDING, asset_key=asset_key(BRONZE, name), passed=error is None,
        severity=dg.AssetCheckSeverity.ERROR,
        description=error or "landed (or nothing new to land)",
        metadata={ERROR_KEY: error} if error else {},
    )


def last_updated(landed_at: datetime | None) -> dict[str, dg.MetadataValue]:
    """Bronze's materialisation metadata: when its data last changed (absent if it never landed)."""
    return {} if landed_at is None else {LAST_UPDATED: dg.MetadataValue.timestamp(landed_at)}


def source_freshness_checks(workspace: Workspace) -> list[dg.AssetChecksDefinition]:
    """One freshness check per source, on bronze/<source>."""
    return [_freshness_check(name, workspace.sources[name].stale_after_hours) for name in workspace.sources]


def _freshness_check(name: str, stale_after_hours: float) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset_key(BRONZE, name), name=FRESHNESS, blocking=False,
        description=f"hours since {name}'s last good landing; warns past {stale_after_hours:g} h",
    )
    def check(lake: LakeResource) -> dg.AssetCheckResult:
        landed_at = last_landed_at(lake.lake, name)
        return freshness_result(landed_at, stale_after_hours, datetime.now(UTC))

    return check


def freshness_result(landed_at: datetime | None, stale_after_hours: float, now: datetime) -> dg.AssetCheckResult:
    """How stale the source is, as a warning past its limit."""
    limit = {"stale_after_hours": stale_after_hours}
    if landed_at is None:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=limit,
                                   description="never landed: no good landing in the ingest log")
    hours = (now - landed_at).total_seconds() / 3600
    return dg.AssetCheckResult(
        passed=hours <= stale_after_hours,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"last good landing {_ago(hours)} ago, at {landed_at:%Y-%m-%d %H:%M} UTC "
        f"(stale after {stale_after_hours:g} h)",
        metadata=limit | last_updated(landed_at) | {"stale_for_hours": round(hours, 2)},
    )


def _ago(hours: float) -> str:
    days, rest = divmod(int(hours * 60), 24 * 60)
    return (f"{days} d " if days else "") + f"{rest // 60} h {rest % 60} min"
