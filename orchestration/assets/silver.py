"""Silver: one asset per profile and interaction type, merged from its sources' bronze tables."""

from typing import Any

import dagster as dg

from jobs.silver import SilverResult, build_silver
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
        issues = issue_metadata(result)
        context.log.info(
            f"silver/{type_name}: {result.rows_inserted} inserted, {result.rows_updated} updated, "
            f"{result.rows_total} rows, {issues[NOT_NORMALISED]} values not normalised"
        )
        return dg.MaterializeResult(
            metadata={
                "rows_read": result.rows_read,
                "rows_inserted": result.rows_inserted,
                "rows_updated": result.rows_updated,
            }
            | issues
            | table_metadata(paths.silver(type_name))
        )

    return conform


NOT_NORMALISED = "values_not_normalised"
NOT_NORMALISED_BY = "values_not_normalised_by_reason"


def issue_metadata(result: SilverResult) -> dict[str, Any]:
    """How many values the table holds as null because they could not be normalised, and why.

    Over the whole table (as rows_total), from its `_issues` column: the total and
    {attribute: {reason: values}}; the values themselves are in bronze.
    """
    by_attribute: dict[str, dict[str, int]] = {}
    for attribute, reason, count in result.issues:
        by_attribute.setdefault(attribute, {})[reason] = count
    return {
        NOT_NORMALISED: sum(count for _, _, count in result.issues),
        NOT_NORMALISED_BY: dg.MetadataValue.json(by_attribute),
    }
