"""Asset checks of identity resolution: accuracy against ground truth (with a floor) and ID coverage.

With labels (the generator's truth or quality.labels), `match_quality` computes pairwise and
cluster precision, recall and F1 of gold/customer_ids and fails below quality.min_pairwise_f1.
Without labels it passes and shows the distribution of match weights and cluster sizes instead.
`one_id_per_record` blocks downstream when a silver record has no ID, or more than one.
"""


import dagster as dg
from pyspark.sql import functions as F

from jobs.identity.context import identity_context
from jobs.identity.identity_pairs import weight_distribution
from jobs.identity.quality import match_quality as measured_quality
from orchestration.assets.common import asset_key
from orchestration.plots import bar_chart
from orchestration.resources import LakeResource, SparkResource
from schemas.match import match_profile
from schemas.catalog import CUSTOMER_IDS, IDENTITY_CLUSTERS
from schemas.tables import CUSTOMER_ID, RECORD_ID
from schemas.workspace import Workspace


def identity_checks(workspace: Workspace) -> list[dg.AssetChecksDefinition]:
    """Checks on gold/customer_ids when the workspace resolves identities."""
    policy = workspace.match
    if policy is None or match_profile(policy, workspace) not in workspace.silver_types():
        return []
    target = asset_key(CUSTOMER_IDS.layer, CUSTOMER_IDS.name)
    floor = policy.quality.min_pairwise_f1

    @dg.asset_check(asset=target, name="match_quality",
                    description=f"Pairwise F1 against ground truth at least {floor} (when labels exist)")
    def match_quality(context: dg.AssetCheckExecutionContext, spark: SparkResource, lake: LakeResource):
        ctx = identity_context(spark.session(), workspace, lake.lake)
        metrics = measured_quality(ctx)
        clusters = ctx.read(IDENTITY_CLUSTERS)
        sizes = {}
        if clusters is not None:
            rows = clusters.groupBy("cluster_size").agg(F.countDistinct("cluster").alias("n")).collect()
            sizes = dict(sorted((int(r["cluster_size"]), int(r["n"])) for r in rows))
        weights = weight_distribution(ctx)
        metadata = {
            "cluster_sizes": bar_chart(list(sizes), list(sizes.values()), "Clusters by size", "clusters"),
            "match_weights": bar_chart([f"{b:g}" for b, _ in weights], [n for _, n in weights],
                                       "Candidate pairs by match weight (bits)", "pairs"),
        }
        if metrics is None:
            return dg.AssetCheckResult(passed=True, metadata=metadata | {"labels": "none found"})
        names = ["pairwise_precision", "pairwise_recall", "pairwise_f1", "cluster_precision", "cluster_recall",
                 "cluster_f1"]
        metadata |= {name: round(metrics[name], 4) for name in names}
        metadata |= {"floor": floor, "labels": metrics["labels"], "true_pairs": int(metrics["true_pairs"]),
                     "predicted_pairs": int(metrics["predicted_pairs"])}
        metadata["accuracy"] = bar_chart([n.replace("_", " ") for n in names], [metrics[n] for n in names],
                                         "Accuracy against ground truth", "")
        return dg.AssetCheckResult(passed=metrics["pairwise_f1"] >= floor, metadata=metadata,
                                   severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset_check(asset=target, name="one_id_per_record", blocking=True,
                    description="Every silver record has exactly one customer_id")
    def one_id_per_record(context: dg.AssetCheckExecutionContext, spark: SparkResource, lake: LakeResource):
        ctx = identity_context(spark.session(), workspace, lake.lake)
        id_map, silver = ctx.read(CUSTOMER_IDS), ctx.read_silver(ctx.profile)
        if id_map is None or silver is None:
            return dg.AssetCheckResult(passed=False, metadata={"reason": "table missing"})
        rows = id_map.count()
        distinct = id_map.select(RECORD_ID).distinct().count()
        missing = silver.select(RECORD_ID).join(id_map.select(RECORD_ID), RECORD_ID, "left_anti").count()
        null_ids = id_map.where(F.col(CUSTOMER_ID).isNull()).count()
        passed = rows == distinct and missing == 0 and null_ids == 0
        return dg.AssetCheckResult(passed=passed, metadata={
            "records": rows, "duplicated_records": rows - distinct, "silver_records_without_id": missing,
            "null_customer_ids": null_ids})

    return [match_quality, one_id_per_record]
