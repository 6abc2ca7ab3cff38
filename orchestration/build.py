"""Build the asset graph, checks, schedule and sensors of a workspace for one environment."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from orchestration.assets.bronze import bronze_assets
from orchestration.assets.customer_360 import customer_360_assets
from orchestration.assets.exports import export_assets
from orchestration.assets.forget_requests import forget_assets, forget_schedules
from orchestration.assets.gold import gold_assets
from orchestration.assets.kpis import kpi_assets
from orchestration.assets.segments import segment_assets
from orchestration.assets.identity import identity_assets
from orchestration.assets.silver import silver_assets
from orchestration.assets.predictions import prediction_assets, retrain_schedules
from orchestration.automation import all_assets_job, daily_schedule, new_file_sensors
from orchestration.kpi_checks import kpi_range_checks
from orchestration.checks import gold_checks, silver_checks
from orchestration.identity_checks import identity_checks
from orchestration.assets.activity import activity_assets
from orchestration.maintenance import vacuum_schedules
from orchestration.resources import environment_resources
from orchestration.source_checks import source_freshness_checks
from schemas.environment import Environment
from schemas.workspace import Workspace

# Each capability contributes its factories here: workspace -> definitions.
ASSET_FACTORIES: list[Callable[[Workspace], list[dg.AssetsDefinition]]] = [
    bronze_assets,
    silver_assets,
    gold_assets,
    activity_assets,
    identity_assets,
    kpi_assets,
    segment_assets,
    prediction_assets,
    customer_360_assets,
    forget_assets,
    export_assets,
]
CHECK_FACTORIES: list[Callable[[Workspace], list[dg.AssetChecksDefinition]]] = [
    source_freshness_checks,
    silver_checks,
    gold_checks,
    identity_checks,
    kpi_range_checks,
]
SCHEDULE_FACTORIES: list[Callable[[Workspace], list[dg.ScheduleDefinition]]] = [
    vacuum_schedules,
    retrain_schedules,
    forget_schedules,
]
SENSOR_FACTORIES: list[Callable[[Workspace], list[dg.SensorDefinition]]] = [
    new_file_sensors,
]


def build_definitions(workspace: Workspace, env: Environment) -> dg.Definitions:
    """Assets, checks, schedules and sensors for one workspace; one process, one JVM."""
    job = all_assets_job()
    return dg.Definitions(
        assets=[a for factory in ASSET_FACTORIES for a in factory(workspace)],
        asset_checks=[c for factory in CHECK_FACTORIES for c in factory(workspace)],
        jobs=[job],
        schedules=[daily_schedule(job), *[s for f in SCHEDULE_FACTORIES for s in f(workspace)]],
        sensors=[s for factory in SENSOR_FACTORIES for s in factory(workspace)],
        resources=environment_resources(env, workspace.settings.compute.max_executors),
        executor=dg.in_process_executor,
    )


def load_definitions(env: Environment | None = None) -> dg.Definitions:
    """Definitions for the environment's workspace (environment and workspace validated before anything starts)."""
    env = env or Environment.from_env()
    return build_definitions(env.load_workspace(), env)

