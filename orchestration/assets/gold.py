"""Gold: outputs built on silver (the first one: basic measures per customer record)."""


import dagster as dg

from jobs.customer_measures import build_customer_measures
from orchestration.assets.common import asset_key, table_metadata
from orchestration.resources import LakeResource, SparkResource
from schemas.catalog import CUSTOMER_MEASURES
from schemas.tables import GOLD, SILVER
from schemas.workspace import Workspace


def gold_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """Gold assets the workspace asks for."""
    measures = workspace.settings.basic_measures
    if measures is None:
        return []
    profile = workspace.model.interactions[measures.interaction].links[measures.role].profile
    if profile not in workspace.silver_types() or measures.interaction not in workspace.silver_types():
        return []

    @dg.asset(
        key=asset_key(GOLD, CUSTOMER_MEASURES.name),
        deps=[asset_key(SILVER, profile), asset_key(SILVER, measures.interaction)],
        description=f"Order count, spend and last {measures.interaction} per {profile} record.",
        group_name=GOLD,
        kinds={"spark", "delta"},
    )
    def basic_measures(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        session = spark.session()
        path = build_customer_measures(session, lake.lake, profile, measures)
        return dg.MaterializeResult(metadata=table_metadata(path))

    return [basic_measures]
