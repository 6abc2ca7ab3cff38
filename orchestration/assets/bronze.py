"""Bronze: one multi-asset per source, writing bronze/<source> and quarantine/<source>.

A source whose files break its contract fails its `landing` check, not its step, so that silver
is still built (orchestration/source_checks.py says why).
"""


import dagster as dg

from jobs.bronze import LandingResult, land_source
from jobs.conform import SourceError
from jobs.ingest_log import last_landed_at
from orchestration.assets.common import asset_key, table_metadata
from orchestration.resources import LakeResource, SparkResource
from orchestration.source_checks import FAILED_TAG, landing_result, landing_spec, last_updated
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
        check_specs=[landing_spec(name)],
        can_subset=False,
    )
    def land(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        session, paths = spark.session(), lake.lake
        location = workspace.source_location(name)
        context.log.info(f"landing {name} from {location}")
        try:
            result, error = land_source(session, name, source, workspace.model, location, paths,
                                        region=workspace.settings.defaults.country), None
        except SourceError as exc:  # the source's data, not the pipeline: this source fails alone
            result, error = LandingResult(name, None), str(exc)
            context.log.error(f"{name}: nothing landed, silver keeps its last good bronze: {error}")
            context.instance.add_run_tags(context.run_id, {FAILED_TAG + name: error[:200]})
        _log_landing(context, result, error)
        landing = {
            "batch_id": result.batch_id if result.batch_id is not None else -1,
            "new_files": len(result.new_files),
            "files_already_landed": result.files_already_landed,
            "rows_landed": result.rows_landed,
            "rows_quarantined": result.rows_quarantined,
            "rows_suppressed": result.rows_suppressed,
        } | ({"landing_failed": error} if error else {})
        reasons = "\n".join(f"| {r} | {n} |" for r, n in sorted(result.quarantine_reasons.items()))
        yield dg.MaterializeResult(
            asset_key=bronze_key,
            metadata=landing | last_updated(last_landed_at(paths, name)) | table_metadata(paths.bronze(name)),
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
        yield landing_result(name, error)

    return land


def _log_landing(context: dg.AssetExecutionContext, result: LandingResult, error: str | None) -> None:
    if error is not None:
        return
    if result.batch_id is None:
        context.log.info(f"{result.source}: nothing new ({result.files_already_landed} file(s) already landed)")
    else:
        context.log.info(
            f"{result.source}: batch {result.batch_id}, {len(result.new_files)} new file(s), "
            f"{result.rows_landed} rows landed, {result.rows_quarantined} quarantined"
            + (" here; the batch had committed already (an earlier try or a concurrent landing), once"
               if result.committed_before else "")
        )
