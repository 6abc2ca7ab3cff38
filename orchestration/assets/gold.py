"""Gold: outputs built on silver (the first one: basic measures per customer record)."""


import dagster as dg

from jobs.delta import read_table
from jobs.measures import customer_measures
from orchestration.assets.common import asset_key, table_metadata
from orchestration.resources import LakeResource, SparkResource
from schemas.tables import GOLD, SILVER
from schemas.workspace import Workspace

MEASURES = "customer_measures"


def gold_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """Gold assets the workspace asks for."""
    measures = workspace.settings.basic_measures
    if measures is None:
        return []
    profile = workspace.model.interactions[measures.interaction].links[measures.role].profile
    if profile not in workspace.silver_types() or measures.interaction not in workspace.silver_types():
        return []

    @dg.asset(
        key=asset_key(GOLD, MEASURES),
        deps=[asset_key(SILVER, profile), asset_key(SILVER, measures.interaction)],
        description=f"Order count, spend and last {measures.interaction} per {profile} record.",
        group_name=GOLD,
        kinds={"spark", "delta"},
    )
    def basic_measures(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        session, paths = spark.session(), lake.lake
        profiles = read_table(session, paths.silver(profile))
        interactions = read_table(session, paths.silver(measures.interaction))
        table = customer_measures(profiles, interactions, measures.role, measures.amount)
        table.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(
            paths.gold(MEASURES)
        )
        return dg.MaterializeResult(metadata=table_metadata(session, paths.gold(MEASURES)))

    return [basic_measures]
