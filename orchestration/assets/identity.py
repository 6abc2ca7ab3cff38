"""Gold identity assets: model -> pairs -> clusters -> customer IDs (+ history) -> golden record,
interaction customers. Thin: each calls one step of jobs.identity.pipeline.Identity."""


import json

import dagster as dg

from jobs.identity.pipeline import Identity
from orchestration.assets.common import asset_key, table_metadata
from orchestration.plots import bar_chart
from orchestration.resources import LakeResource, MLflowResource, SparkResource
from schemas.match import match_profile
from schemas.tables import (
    GOLD,
    GOLDEN_RECORD,
    IDENTITY_CLUSTERS,
    IDENTITY_HISTORY,
    IDENTITY_MAP,
    IDENTITY_MODEL,
    IDENTITY_PAIRS,
    INTERACTION_CUSTOMERS,
    SILVER,
)
from schemas.workspace import Workspace

GROUP = "identity"


def identity_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """The identity assets, when the workspace has match.yaml and its profile has a silver table."""
    policy = workspace.match
    if policy is None:
        return []
    profile = match_profile(policy, workspace)
    if profile not in workspace.silver_types():
        return []
    silver_profile = asset_key(SILVER, profile)
    key = {name: asset_key(GOLD, name) for name in (
        IDENTITY_MODEL, IDENTITY_PAIRS, IDENTITY_CLUSTERS, IDENTITY_MAP, IDENTITY_HISTORY, GOLDEN_RECORD,
        INTERACTION_CUSTOMERS)}

    def identity(spark: SparkResource, lake: LakeResource) -> Identity:
        return Identity(spark.session(), workspace, lake.lake)

    @dg.asset(key=key[IDENTITY_MODEL], deps=[silver_profile], group_name=GROUP, kinds={"spark", "delta", "mlflow"},
              description="Match parameters (prior, m and u per comparison level), trained without labels; "
                          "retrained when match.yaml changes, logged to MLflow.")
    def identity_model(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource,
                       mlflow: MLflowResource):
        resolver = identity(spark, lake)
        try:
            model, version, trained, training = resolver.model()
        finally:
            resolver.release()
        metadata = {"model_version": version, "trained_this_run": trained, "fingerprint": model.fingerprint,
                    "prior": model.prior}
        if trained:
            from ml.identity_tracking import log_match_model

            mlflow.uri()
            run_id = log_match_model(workspace.name, lake.root, model.to_dict(),
                                     json.loads(resolver.policy.model_dump_json()), version, training)
            metadata["mlflow_run_id"] = run_id
            metadata["training"] = dg.MetadataValue.json(training | {"sessions": model.sessions})
        rows = [{"comparison": c.attribute, "level": lv.label, "m": round(lv.m, 5), "u": round(lv.u, 6),
                 "weight (bits)": round(lv.weight, 2)} for c in model.comparisons for lv in c.levels if lv.gamma >= 0]
        import pandas as pd

        metadata["parameters"] = dg.MetadataValue.md(pd.DataFrame(rows).to_markdown(index=False))
        return dg.MaterializeResult(metadata=metadata | table_metadata(spark.session(), lake.lake.gold(IDENTITY_MODEL), 0))

    @dg.asset(key=key[IDENTITY_PAIRS], deps=[silver_profile, key[IDENTITY_MODEL]], group_name=GROUP,
              kinds={"spark", "delta"},
              description="Candidate pairs from the blocking rules, with each comparison's level and weight, "
                          "the match probability and whether the pair links.")
    def identity_pairs(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        resolver = identity(spark, lake)
        try:
            model, version = resolver.stored_model()
            summary = resolver.pairs(model, version)
            histogram = resolver.weight_distribution()
        finally:
            resolver.release()
        metadata = {
            "candidate_pairs": summary["candidate_pairs"],
            "linked_pairs": summary["linked_pairs"],
            "pairs_by_rule": dg.MetadataValue.json(summary["by_rule"]),
            "match_weights": bar_chart([f"{b:g}" for b, _ in histogram], [n for _, n in histogram],
                                       "Candidate pairs by match weight (bits)", "pairs"),
        }
        return dg.MaterializeResult(metadata=metadata | table_metadata(spark.session(), lake.lake.gold(IDENTITY_PAIRS), 0))

    @dg.asset(key=key[IDENTITY_CLUSTERS], deps=[key[IDENTITY_PAIRS]], group_name=GROUP, kinds={"spark", "delta"},
              description="Connected components of the linked pairs (and must-link overrides), oversized clusters "
                          "refused, cannot-link pairs cut apart.")
    def identity_clusters(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        resolver = identity(spark, lake)
        try:
            summary = resolver.clusters()
        finally:
            resolver.release()
        if summary["oversized"]:
            context.log.warning(f"{len(summary['oversized'])} clusters larger than "
                                f"{resolver.policy.clustering.max_cluster_size} were not merged: {summary['oversized'][:5]}")
        sizes = summary["size_distribution"]
        metadata = {
            "clusters": summary["clusters"],
            "records": summary["records"],
            "oversized_clusters": dg.MetadataValue.json(summary["oversized"]),
            "cannot_link_applied": dg.MetadataValue.json(summary["cannot_link_applied"]),
            "cluster_sizes": bar_chart(list(sizes), list(sizes.values()), "Clusters by size (records)", "clusters"),
        }
        return dg.MaterializeResult(metadata=metadata | table_metadata(spark.session(), lake.lake.gold(IDENTITY_CLUSTERS), 0))

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(key[IDENTITY_MAP], deps=[key[IDENTITY_CLUSTERS]], group_name=GROUP, kinds={"spark", "delta"},
                         description="The stable customer ID of every record (record_id -> customer_id)."),
            dg.AssetSpec(key[IDENTITY_HISTORY], deps=[key[IDENTITY_CLUSTERS]], group_name=GROUP,
                         kinds={"spark", "delta"},
                         description="Every change of the ID map: new, merged, split, moved, removed."),
        ],
        name="gold_customer_ids",
    )
    def customer_ids(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        resolver = identity(spark, lake)
        summary = resolver.customer_ids(context.run_id)
        session, paths = spark.session(), lake.lake
        yield dg.MaterializeResult(asset_key=key[IDENTITY_MAP], metadata={
            "customers": summary["customers"], "records": summary["records"],
        } | table_metadata(session, paths.gold(IDENTITY_MAP), 0))
        yield dg.MaterializeResult(asset_key=key[IDENTITY_HISTORY], metadata={
            "changes_this_run": dg.MetadataValue.json(summary["changes"]),
        } | table_metadata(session, paths.gold(IDENTITY_HISTORY), 0))

    @dg.asset(key=key[GOLDEN_RECORD], deps=[key[IDENTITY_MAP], silver_profile], group_name=GROUP,
              kinds={"spark", "delta"},
              description="One row per customer: each attribute chosen by the merge policy, with the record it came from.")
    def golden_customer(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        summary = identity(spark, lake).golden()
        return dg.MaterializeResult(metadata={"customers": summary["customers"]}
                                    | table_metadata(spark.session(), lake.lake.gold(GOLDEN_RECORD), 3))

    interaction_types = [
        t for t in workspace.silver_types()
        if t in workspace.model.interactions
        and any(link.profile == profile for link in workspace.model.interactions[t].links.values())
    ]
    assets = [identity_model, identity_pairs, identity_clusters, customer_ids, golden_customer]
    if not interaction_types:
        return assets

    @dg.asset(key=key[INTERACTION_CUSTOMERS], deps=[key[IDENTITY_MAP], *[asset_key(SILVER, t) for t in interaction_types]],
              group_name=GROUP, kinds={"spark", "delta"},
              description="The customer of every interaction: by source key through the ID map, or matched "
                          "by its attributes (email, phone) with the match policy.")
    def interaction_customers(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        resolver = identity(spark, lake)
        try:
            model, _ = resolver.stored_model()
            summary = resolver.interactions(model)
        finally:
            resolver.release()
        if summary is None:
            return dg.MaterializeResult(metadata={"interactions": 0})
        shares = {t: sum(n for k, n in v.items() if k != "unlinked") / max(sum(v.values()), 1)
                  for t, v in summary["by_type"].items()}
        return dg.MaterializeResult(metadata={
            "interactions": summary["interactions"],
            "share_linked": round(summary["share_linked"], 4),
            "linked_by": dg.MetadataValue.json(summary["by_type"]),
            "share_linked_by_type": bar_chart(list(shares), list(shares.values()), "Share of interactions linked", "share"),
        } | table_metadata(spark.session(), lake.lake.gold(INTERACTION_CUSTOMERS), 0))

    return [*assets, interaction_customers]
