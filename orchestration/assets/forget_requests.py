"""meta/forget_requests: apply every queued forget request in one batch (on demand or on its schedule)."""

from __future__ import annotations

import dagster as dg

from jobs.privacy.forget import forget_pending
from orchestration.assets.common import asset_key
from orchestration.resources import LakeResource, SparkResource
from schemas.catalog import FORGET_REQUESTS
from schemas.workspace import Workspace

FORGET_JOB = "forget_requests"


def forget_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """The batch that erases every pending request from the tables concerned."""

    @dg.asset(key=asset_key(FORGET_REQUESTS.layer, FORGET_REQUESTS.name), group_name="privacy",
              description="Erase every queued forget request from the latest version of each table that "
                          "holds personal data or person keys, one MERGE per table.")
    def forget_requests(spark: SparkResource, lake: LakeResource) -> dg.MaterializeResult:
        from jobs.privacy.forget_status import counts, statuses

        session = spark.session()
        batch = forget_pending(session, workspace, lake.lake)
        table = session.read.format("delta").load(lake.lake.meta(FORGET_REQUESTS.name)) if batch.batch_id else None
        tally = counts(statuses([r.asDict() for r in table.collect()])) if table is not None else {}
        return dg.MaterializeResult(metadata={
            "requests_applied": len(batch.subjects),
            "people_found": sum(s.found for s in batch.subjects.values()),
            "rows_removed": batch.total,
            "tables_touched": len(batch.rows_removed),
            **{f"requests_{status}": n for status, n in tally.items()},
        })

    return [forget_requests]


def forget_schedules(workspace: Workspace) -> list[dg.ScheduleDefinition]:
    """A stopped-by-default hourly batch of the queued requests."""
    job = dg.define_asset_job(FORGET_JOB, selection=[asset_key(FORGET_REQUESTS.layer, FORGET_REQUESTS.name)],
                              description="Apply every queued forget request.")
    return [dg.ScheduleDefinition(name="forget_requests_hourly", job=job, cron_schedule="15 * * * *",
                                  execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.STOPPED)]
