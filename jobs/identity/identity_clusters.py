"""gold/identity_clusters: connected components of the links, with the giant-cluster guard and cuts.

Links are the linked pairs plus must-link overrides; an oversized cluster keeps only its strong
(deterministic, must-link) links, and cannot-link pairs are cut apart. Skipped when the pairs,
silver and the clustering policy are as the last build found them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.built_from import built_from
from jobs.identity.blocking import LEFT, RIGHT
from jobs.identity.components import LABEL, NODE, connected_components
from jobs.identity.context import IdentityContext, StepResult
from jobs.identity.overrides import DETERMINISTIC_CAPACITY, MUST_LINK_CAPACITY, cut_cannot_links, override_frame
from jobs.identity.score import DETERMINISTIC, LINKED, MATCH_WEIGHT
from jobs.identity.stable_ids import CLUSTER
from jobs.writes import overwrite
from schemas.catalog import IDENTITY_CLUSTERS, IDENTITY_PAIRS
from schemas.tables import RECORD_ID, SOURCE


@dataclass(frozen=True, kw_only=True)
class ClustersResult(StepResult):
    """Records and clusters by size, the clusters refused as too big, and the cannot-link cuts."""

    records: int
    clusters: int
    size_distribution: dict[str, int] = field(default_factory=dict)  # size -> clusters of that size
    oversized: list[dict[str, object]] = field(default_factory=list)  # {cluster, size}
    cannot_link_applied: list[list[str]] = field(default_factory=list)
    cut_edges: list[list[str]] = field(default_factory=list)


def _edges(ctx: IdentityContext) -> DataFrame:
    """(src, dst, capacity, strong) of every link: linked pairs and must-link overrides."""
    linked = ctx.read(IDENTITY_PAIRS).where(F.col(LINKED)).select(
        F.col(LEFT).alias("src"), F.col(RIGHT).alias("dst"),
        F.when(F.col(DETERMINISTIC), F.lit(DETERMINISTIC_CAPACITY))
        .otherwise(F.greatest(F.col(MATCH_WEIGHT), F.lit(0.01))).alias("capacity"),
        F.col(DETERMINISTIC).alias("strong"),
    )
    must = ctx.overrides.must_link
    if must:
        known = ctx.profiles().select(F.col(RECORD_ID).alias("src"))
        forced = override_frame(ctx.spark, must).select(
            F.col("a").alias("src"), F.col("b").alias("dst"),
            F.lit(MUST_LINK_CAPACITY).alias("capacity"), F.lit(True).alias("strong"))
        forced = forced.join(known, "src").join(known.withColumnRenamed("src", "dst"), "dst")
        linked = linked.unionByName(forced.select("src", "dst", "capacity", "strong"))
    return linked


def _guard(ctx: IdentityContext, components: DataFrame, edges: DataFrame, big: list[str]) -> tuple[DataFrame, DataFrame]:
    """Oversized clusters keep only strong (deterministic, must-link) edges; still too big: singletons."""
    limit, iterations = ctx.policy.clustering.max_cluster_size, ctx.policy.clustering.max_iterations
    members = components.where(F.col(LABEL).isin(big)).select(NODE)
    strong = (
        edges.where(F.col("strong"))
        .join(members.withColumnRenamed(NODE, "src"), "src")
        .join(members.withColumnRenamed(NODE, "dst"), "dst")
    )
    kept = ctx.spark.createDataFrame([], f"{NODE} string, {LABEL} string")
    if strong.limit(1).count():
        again = connected_components(strong, max_iterations=iterations)
        sizes = again.groupBy(LABEL).agg(F.count(F.lit(1)).alias("size"))
        kept = again.join(sizes.where(F.col("size") <= limit).select(LABEL), LABEL).select(NODE, LABEL)
    rest = components.join(members, NODE, "left_anti")
    notes = members.select(NODE, F.lit("oversized_not_merged").alias("note"))
    return rest.unionByName(kept), notes


def _table(ctx: IdentityContext, components: DataFrame, notes: DataFrame) -> DataFrame:
    """(record_id, source, cluster, cluster_size, note) for every silver record; singletons are their own cluster."""
    records = ctx.profiles().select(RECORD_ID, SOURCE).where(F.col(RECORD_ID).isNotNull())
    clusters = (
        records.join(components.withColumnRenamed(NODE, RECORD_ID), RECORD_ID, "left")
        .withColumn(CLUSTER, F.coalesce(F.col(LABEL), F.col(RECORD_ID)))
        .join(notes.withColumnRenamed(NODE, RECORD_ID).dropDuplicates([RECORD_ID]), RECORD_ID, "left")
    )
    size = clusters.groupBy(CLUSTER).agg(F.count(F.lit(1)).alias("cluster_size"))
    return clusters.join(size, CLUSTER).select(RECORD_ID, SOURCE, CLUSTER, "cluster_size", "note")


def _cluster(ctx: IdentityContext, edges: DataFrame) -> tuple[DataFrame, list[tuple[str, int]], list, list]:
    """(clusters table, oversized (cluster, size), cut edges, cannot-links applied) of the edges."""
    limit = ctx.policy.clustering.max_cluster_size
    components = connected_components(edges, max_iterations=ctx.policy.clustering.max_iterations)
    sizes = components.groupBy(LABEL).agg(F.count(F.lit(1)).alias("size"))
    oversized = [(r[LABEL], r["size"]) for r in sizes.where(F.col("size") > limit)
                 .orderBy(F.col("size").desc()).collect()]
    notes = ctx.spark.createDataFrame([], f"{NODE} string, note string")
    if oversized:
        components, notes = _guard(ctx, components, edges, [c for c, _ in oversized])
    relabelled, cut, applied = cut_cannot_links(ctx.spark, components, edges, ctx.overrides.cannot_link)
    if relabelled is not None:
        components = components.join(relabelled.select(NODE), NODE, "left_anti").unionByName(relabelled)
        notes = notes.unionByName(relabelled.select(NODE, F.lit("cannot_link_cut").alias("note")))
    return _table(ctx, components, notes).localCheckpoint(eager=True), oversized, cut, applied


def build_identity_clusters(ctx: IdentityContext) -> ClustersResult:
    """Cluster the links and overwrite gold/identity_clusters."""
    built = built_from(ctx.spark, ctx.lake, [ctx.path(IDENTITY_PAIRS), ctx.silver_path],
                       clustering=ctx.policy.clustering.model_dump(), must_link=ctx.overrides.must_link,
                       cannot_link=ctx.overrides.cannot_link)
    done = ClustersResult.previous(ctx, IDENTITY_CLUSTERS, built)
    if done is not None:
        return done
    edges = _edges(ctx).persist()
    try:
        clusters, oversized, cut, applied = _cluster(ctx, edges)
        distribution = {int(r["cluster_size"]): int(r["clusters"]) for r in clusters.groupBy("cluster_size").agg(
            F.countDistinct(CLUSTER).alias("clusters")).collect()}
        result = ClustersResult(
            records=sum(k * v for k, v in distribution.items()),
            clusters=sum(distribution.values()),
            size_distribution={str(k): v for k, v in sorted(distribution.items())},
            oversized=[{"cluster": c, "size": n} for c, n in oversized],
            cannot_link_applied=[list(p) for p in applied],
            cut_edges=[list(e) for e in cut],
        )
        overwrite(clusters, ctx.path(IDENTITY_CLUSTERS), built=result.record(built))
    finally:
        edges.unpersist()
    return result
