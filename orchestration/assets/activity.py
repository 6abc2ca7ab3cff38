"""gold/daily_activity: one Dagster partition per day; a backfill rewrites only its days."""

from datetime import date

import dagster as dg

from jobs.daily_activity import build_daily_activity
from orchestration.assets.common import asset_key, identity_deps, table_metadata
from orchestration.resources import LakeResource, SparkResource
from schemas.activity import DailyActivity, activity_types
from schemas.catalog import DAILY_ACTIVITY
from schemas.tables import GOLD, SILVER
from schemas.workspace import Workspace


def activity_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """The daily activity asset, when the workspace has an activity.yaml."""
    section: DailyActivity | None = workspace.activity
    if section is None:
        return []
    types = activity_types(section, workspace)
    if not types:
        return []
    partitions = dg.DailyPartitionsDefinition(start_date=section.start_date.isoformat())

    @dg.asset(
        key=asset_key(GOLD, DAILY_ACTIVITY.name),
        deps=[asset_key(SILVER, t) for t in types] + identity_deps(workspace),
        partitions_def=partitions,
        description=(
            f"Interactions and distinct customers per day, type and {section.dimension} "
            f"({', '.join(types)}). A run without a partition rebuilds every day; a partition "
            "(or a backfill of several) replaces only its days."
        ),
        group_name=GOLD,
        kinds={"spark", "delta"},
    )
    def daily_activity(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        session, paths = spark.session(), lake.lake
        if context.has_partition_key:
            days = [date.fromisoformat(k) for k in context.partition_keys]
        else:
            days = [None]
        written = 0
        for day in days:
            written += build_daily_activity(
                session, paths, workspace.model, types, section.dimension, day
            )
        scope = "all days" if days == [None] else ", ".join(d.isoformat() for d in days)
        context.log.info(f"{DAILY_ACTIVITY.key}: {written} rows written for {scope}")
        return dg.MaterializeResult(
            metadata={"rows_written": written, "days": scope}
            | table_metadata(paths.gold(DAILY_ACTIVITY.name))
        )

    return [daily_activity]
