"""Lake maintenance: a daily VACUUM, so forgotten people's old file versions go once retention passes.

`insights forget` vacuums at once, but files it removed less than privacy.retention_hours ago
stay for time travel; this schedule deletes them when they come of age.
"""

import dagster as dg

from jobs.lake import lake_tables, vacuum_tables
from orchestration.resources import LakeResource, SparkResource
from schemas.privacy import privacy_settings
from schemas.workspace import Workspace

VACUUM_JOB = "lake_vacuum"


def vacuum_schedules(workspace: Workspace) -> list[dg.ScheduleDefinition]:
    """A stopped-by-default daily schedule vacuuming every table with the workspace's retention."""
    retention = privacy_settings(workspace.privacy).retention_hours

    @dg.op(name="vacuum_every_table",
           description=f"VACUUM every Delta table of the lake (retention {retention:g} h).")
    def vacuum_every_table(context: dg.OpExecutionContext, spark: SparkResource, lake: LakeResource):
        session = spark.session()
        done = vacuum_tables(session, lake_tables(session, lake.lake), retention)
        context.log.info(f"vacuumed {len(done)} tables with retention {retention:g} h")

    @dg.job(name=VACUUM_JOB, description="Delete file versions older than the privacy retention.")
    def lake_vacuum():
        vacuum_every_table()

    return [
        dg.ScheduleDefinition(
            name="lake_vacuum_daily", job=lake_vacuum, cron_schedule="0 4 * * *",
            execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.STOPPED,
        )
    ]
