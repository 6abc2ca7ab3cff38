"""Silver: one asset per profile and interaction type, merged from its sources' bronze tables."""


import dagster as dg

from jobs.silver import build_silver
from orchestration.assets.common import asset_key, table_metadata
from orchestration.resources import LakeResource, SparkResource
from schemas.tables import BRONZE, SILVER
from schemas.workspace import Workspace


def silver_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """Conform, deduplicate and upsert each type's records."""
    return [_silver_asset(workspace, type_name) for type_name in workspace.silver_types()]


def _silver_asset(workspace: Workspace, type_name: str) -> dg.AssetsDefinition:
    entity = workspace.model.entity(type_name)
    kind = "profile" if type_name in workspace.model.profiles else "interaction"
    sources = list(workspace.sources_for(type_name))

    @dg.asset(
        key=asset_key(SILVER, type_name),
        deps=[asset_key(BRONZE, s) for s in sources],
        description=f"{entity.description or type_name} ({kind}; from {', '.join(sources)}).",
        group_name=SILVER,
        kinds={"spark", "delta"},
        metadata={"entity_kind": kind},
    )
    def conform(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        session, paths = spark.session(), lake.lake
        result = build_silver(session, workspace, type_name, paths)
        context.log.info(
            f"silver/{type_name}: {result.rows_inserted} inserted, {result.rows_updated} updated, "
            f"{result.rows_total} rows"
        )
        return dg.MaterializeResult(
            metadata={
                "rows_read": result.rows_read,
                "rows_inserted": result.rows_inserted,
                "rows_updated": result.rows_updated,
            }
            | table_metadata(paths.silver(type_name))
        )

    return conform
