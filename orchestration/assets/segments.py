"""Gold segment assets: membership, entered/left events, sizes over time and overlap, one run."""

import dagster as dg
import pandas as pd

from jobs.delta import read_table
from jobs.segments.conditions import event_kpis
from orchestration.assets.common import asset_key, table_metadata
from orchestration.assets.kpis import upstream
from orchestration.plots import heatmap, lines
from orchestration.resources import LakeResource, SparkResource
from schemas.catalog import KPIS_CUSTOMER, SEGMENT_EVENTS, SEGMENT_MEMBERSHIP, SEGMENT_OVERLAP, SEGMENT_SIZES
from schemas.segments import SegmentFile
from schemas.catalog import GOLDEN_CUSTOMER
from schemas.tables import GOLD
from schemas.workspace import Workspace

KINDS = {"spark", "delta"}
DESCRIPTIONS = {
    SEGMENT_MEMBERSHIP.name: "Who is in each segment now, and since when.",
    SEGMENT_EVENTS.name: "Every entry into and exit from a segment, with the run time.",
    SEGMENT_SIZES.name: "Segment sizes, entries and exits per run: sizes over time.",
    SEGMENT_OVERLAP.name: "Customers shared by each pair of segments, with share and Jaccard index.",
}


def segment_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """One multi-asset writing the four segment tables, when segments.yaml exists."""
    segments: SegmentFile | None = workspace.segments
    if segments is None:
        return []
    interactions = sorted({k.interaction for k in event_kpis(segments).values()})
    deps = upstream(workspace, interactions, with_profiles=True)
    if workspace.kpis is not None and workspace.kpis.of_grain("customer"):
        deps.append(asset_key(GOLD, KPIS_CUSTOMER.name))
    if workspace.match is not None:  # attributes come from the golden record then
        deps.append(asset_key(GOLD, GOLDEN_CUSTOMER.name))

    @dg.multi_asset(
        name="segments",
        specs=[
            dg.AssetSpec(asset_key(GOLD, name), description=text, group_name=GOLD, kinds=KINDS, deps=deps)
            for name, text in DESCRIPTIONS.items()
        ],
        can_subset=False,
    )
    def build_segments(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        from jobs.segments.refresh import refresh_segments

        session, paths = spark.session(), lake.lake
        run = refresh_segments(session, workspace, paths)
        summary = pd.DataFrame({"size": run.sizes, "entered": run.entered, "left": run.left})
        context.log.info(f"segments at {run.as_of.isoformat()}:\n{summary.to_string()}")
        yield dg.MaterializeResult(
            asset_key=asset_key(GOLD, SEGMENT_MEMBERSHIP.name),
            metadata={"as_of": run.as_of.isoformat(),
                      "sizes": dg.MetadataValue.md(summary.rename_axis("segment").to_markdown())}
            | table_metadata(paths.gold(SEGMENT_MEMBERSHIP.name)),
        )
        yield dg.MaterializeResult(
            asset_key=asset_key(GOLD, SEGMENT_EVENTS.name),
            metadata={"entered_this_run": sum(run.entered.values()), "left_this_run": sum(run.left.values())}
            | table_metadata(paths.gold(SEGMENT_EVENTS.name)),
        )
        sizes = read_table(session, paths.gold(SEGMENT_SIZES.name)).select("segment", "at", "size").toPandas()
        yield dg.MaterializeResult(
            asset_key=asset_key(GOLD, SEGMENT_SIZES.name),
            metadata={"sizes_over_time": lines(sizes, "at", "size", "segment", "segment sizes over time")}
            | table_metadata(paths.gold(SEGMENT_SIZES.name)),
        )
        yield dg.MaterializeResult(
            asset_key=asset_key(GOLD, SEGMENT_OVERLAP.name),
            metadata={"overlap": _overlap_plot(session, paths.gold(SEGMENT_OVERLAP.name), list(run.sizes))}
            | table_metadata(paths.gold(SEGMENT_OVERLAP.name)),
        )

    return [build_segments]


def _overlap_plot(session, path: str, names: list[str]) -> dg.MetadataValue:
    """Share of each row segment's members who are also in the column segment."""
    pairs = read_table(session, path).select("segment_a", "segment_b", "share_of_a").toPandas()
    matrix = (
        pairs.pivot(index="segment_a", columns="segment_b", values="share_of_a")
        .reindex(index=names, columns=names)
        .fillna(0.0)
    )
    return heatmap(matrix, "segment overlap (share of row segment)")
