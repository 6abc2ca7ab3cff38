"""Lake maintenance: a daily VACUUM, so forgotten people's old file versions go once retention passes.

Only the tables that forget batches touched are vacuumed (jobs/privacy/completion.py); the
requests whose retention has passed are then marked complete in meta/forget_requests.
"""

import dagster as dg

from jobs.privacy.completion import complete_requests
from orchestration.resources import LakeResource, SparkResource
from schemas.privacy import privacy_settings
from schemas.workspace import Workspace

VACUUM_JOB = "lake_vacuum"


def vacuum_schedules(workspace: Workspace) -> list[dg.ScheduleDefinition]:
    """A stopped-by-default daily schedule vacuuming the tables forget touched, with the workspace's retention."""
    retention = privacy_settings(workspace.privacy).retention_hours

    @dg.op(name="vacuum_forgotten_tables",
           description=f"VACUUM the tables forget requests touched (retention {retention:g} h) and mark "
                       "the requests whose retention has passed complete.")
    def vacuum_forgotten_tables(context: dg.OpExecutionContext, spark: SparkResource, lake: LakeResource):
        done = complete_requests(spark.session(), lake.lake, retention)
        context.log.info(done.render())

    @dg.job(name=VACUUM_JOB, description="Delete file versions older than the privacy retention.")
    def lake_vacuum():
        vacuum_forgotten_tables()

    return [
        dg.ScheduleDefinition(
            name="lake_vacuum_daily", job=lake_vacuum, cron_schedule="0 4 * * *",
            execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.STOPPED,
        )
    ]
