"""When the pipeline runs: a daily schedule of everything, and a sensor per source folder."""
from __future__ import annotations


import json

import dagster as dg

from orchestration.assets.common import asset_key
from orchestration.file_watch import list_new_files
from schemas.tables import BRONZE, QUARANTINE
from schemas.workspace import Workspace

ALL_ASSETS_JOB = "materialize_all"


def all_assets_job() -> dg.UnresolvedAssetJobDefinition:
    """Every asset, bronze to gold, in one run."""
    return dg.define_asset_job(ALL_ASSETS_JOB, selection=dg.AssetSelection.all(),
                               description="Land every source and rebuild silver and gold.")


def daily_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """The whole pipeline every night at 02:00 UTC."""
    return dg.ScheduleDefinition(
        name="daily_refresh", job=job, cron_schedule="0 2 * * *", execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )


def new_file_sensors(workspace: Workspace) -> list[dg.SensorDefinition]:
    """One sensor per source: new files in its folder trigger its bronze asset and everything below."""
    return [_new_file_sensor(workspace, name) for name in workspace.sources]


def _new_file_sensor(workspace: Workspace, name: str) -> dg.SensorDefinition:
    source = workspace.sources[name]
    # the bronze multi-asset writes bronze/<source> and quarantine/<source> together
    target = dg.AssetSelection.assets(asset_key(BRONZE, name), asset_key(QUARANTINE, name)).downstream()

    @dg.sensor(
        name=f"new_files_{name}",
        target=target,
        minimum_interval_seconds=60,
        description=f"Runs bronze/{name} and its downstream assets when files arrive in {source.location}.",
        default_status=dg.DefaultSensorStatus.STOPPED,
    )
    def watch(context: dg.SensorEvaluationContext):
        after = json.loads(context.cursor)["modified"] if context.cursor else 0.0
        new = list_new_files(workspace.source_location(name), source.format, after)
        if not new:
            return dg.SkipReason(f"no new files in {source.location}")
        newest = max(f.modified for f in new)
        context.update_cursor(json.dumps({"modified": newest}))
        return dg.RunRequest(
            run_key=f"{name}:{newest}",
            tags={"insights/source": name, "insights/new_files": str(len(new))},
        )

    return watch
