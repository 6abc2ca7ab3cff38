"""Bronze: one multi-asset per source, writing bronze/<source> and quarantine/<source>."""


import dagster as dg

from jobs.bronze import land_source
from orchestration.assets.common import asset_key, table_metadata
from orchestration.resources import LakeResource, SparkResource
from schemas.tables import BRONZE, QUARANTINE
from schemas.workspace import Workspace

KINDS = {"spark", "delta"}


def bronze_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """Land each source's new files; bad rows go to quarantine with their reason."""
    return [_bronze_asset(workspace, name) for name in workspace.sources]


def _bronze_asset(workspace: Workspace, name: str) -> dg.AssetsDefinition:
    source = workspace.sources[name]
    bronze_key, quarantine_key = asset_key(BRONZE, name), asset_key(QUARANTINE, name)

    @dg.multi_asset(
        name=f"bronze_{name}",
        specs=[
            dg.AssetSpec(
                bronze_key,
                description=f"{source.description or name}: landed as it came ({source.format}).",
                group_name=BRONZE,
                kinds=KINDS,
                metadata={"source_format": source.format, "location": source.location},
            ),
            dg.AssetSpec(
                quarantine_key,
                description=f"Rows of {name} that could not be read, with the reason.",
                group_name=QUARANTINE,
                kinds=KINDS,
            ),
        ],
        can_subset=False,
    )
    def land(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        session, paths = spark.session(), lake.lake
        location = workspace.source_location(name)
        context.log.info(f"landing {name} from {location}")
        result = land_source(session, name, source, workspace.model, location, paths,
                             region=workspace.settings.defaults.country)
        if result.batch_id is None:
            context.log.info(f"{name}: nothing new ({result.files_already_landed} file(s) already landed)")
        else:
            context.log.info(
                f"{name}: batch {result.batch_id}, {len(result.new_files)} new file(s), "
                f"{result.rows_landed} rows landed, {result.rows_quarantined} quarantined"
            )
        landing = {
            "batch_id": result.batch_id if result.batch_id is not None else -1,
            "new_files": len(result.new_files),
            "files_already_landed": result.files_already_landed,
            "rows_landed": result.rows_landed,
            "rows_quarantined": result.rows_quarantined,
            "rows_suppressed": result.rows_suppressed,
        }
        reasons = "\n".join(f"| {r} | {n} |" for r, n in sorted(result.quarantine_reasons.items()))
        yield dg.MaterializeResult(
            asset_key=bronze_key, metadata=landing | table_metadata(paths.bronze(name))
        )
        yield dg.MaterializeResult(
            asset_key=quarantine_key,
            metadata={
                "rows_quarantined_this_batch": result.rows_quarantined,
                "reasons": dg.MetadataValue.md(
                    f"| reason | rows |\n|---|---|\n{reasons}" if reasons else "no rows quarantined"
                ),
            }
            | table_metadata(paths.quarantine(name)),
        )

    return land
