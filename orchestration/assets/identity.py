"""Gold identity assets: model -> pairs -> clusters -> customer IDs (+ history) -> golden record,
interaction customers. Thin: each calls the build function of its table's module in jobs/identity/."""


import json

import dagster as dg

from jobs.identity.context import IdentityContext, identity_context
from jobs.identity.customer_ids import build_customer_ids
from jobs.identity.golden_customer import build_golden_customer
from jobs.identity.identity_clusters import build_identity_clusters
from jobs.identity.identity_model import ModelResult, build_identity_model, stored_model
from jobs.identity.identity_pairs import build_identity_pairs, weight_distribution
from jobs.identity.interaction_customers import build_interaction_customers
from orchestration.assets.common import asset_key, table_metadata
from orchestration.plots import bar_chart
from orchestration.resources import LakeResource, MLflowResource, SparkResource
from schemas.catalog import (
    CUSTOMER_ID_HISTORY,
    CUSTOMER_IDS,
    GOLDEN_CUSTOMER,
    IDENTITY_CLUSTERS,
    IDENTITY_MODEL,
    IDENTITY_PAIRS,
    INTERACTION_CUSTOMERS,
    Table,
)
from schemas.match import match_profile
from schemas.tables import SILVER
from schemas.workspace import Workspace

GROUP = "identity"


def _key(table: Table) -> dg.AssetKey:
    return asset_key(table.layer, table.name)


def _open(workspace: Workspace, spark: SparkResource, lake: LakeResource) -> IdentityContext:
    """The step context of one materialisation."""
    return identity_context(spark.session(), workspace, lake.lake)


def _metadata(ctx: IdentityContext, table: Table, preview_rows: int = 0) -> dict:
    return table_metadata(ctx.path(table), preview_rows)


def _model_metadata(workspace: Workspace, ctx: IdentityContext, result: ModelResult,
                    mlflow: MLflowResource) -> dict:
    """Version, prior and the parameters table; the MLflow run when the model was trained now."""
    model = result.model
    metadata = {"model_version": result.version, "trained_this_run": result.trained,
                "fingerprint": model.fingerprint, "prior": model.prior}
    if result.trained:
        from ml.identity_tracking import log_match_model

        mlflow.uri()
        metadata["mlflow_run_id"] = log_match_model(workspace.name, ctx.lake.root, model.to_dict(),
                                                    json.loads(ctx.policy.model_dump_json()), result.version,
                                                    result.training)
        metadata["training"] = dg.MetadataValue.json(result.training | {"sessions": model.sessions})
    rows = [{"comparison": c.attribute, "level": lv.label, "m": round(lv.m, 5), "u": round(lv.u, 6),
             "weight (bits)": round(lv.weight, 2)} for c in model.comparisons for lv in c.levels if lv.gamma >= 0]
    import pandas as pd

    metadata["parameters"] = dg.MetadataValue.md(pd.DataFrame(rows).to_markdown(index=False))
    return metadata


def _model_asset(workspace: Workspace, silver_profile: dg.AssetKey) -> dg.AssetsDefinition:
    """gold/identity_model, trained from silver."""
    @dg.asset(key=_key(IDENTITY_MODEL), deps=[silver_profile], group_name=GROUP, kinds={"spark", "delta", "mlflow"},
              description="Match parameters (prior, m and u per comparison level), trained without labels; "
                          "retrained when match.yaml changes, logged to MLflow.")
    def identity_model(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource,
                       mlflow: MLflowResource):
        ctx = _open(workspace, spark, lake)
        try:
            result = build_identity_model(ctx)
        finally:
            ctx.release()
        return dg.MaterializeResult(metadata=_model_metadata(workspace, ctx, result, mlflow)
                                    | _metadata(ctx, IDENTITY_MODEL))

    return identity_model


def _pairs_asset(workspace: Workspace, silver_profile: dg.AssetKey) -> dg.AssetsDefinition:
    """gold/identity_pairs, scored with the stored model."""
    @dg.asset(key=_key(IDENTITY_PAIRS), deps=[silver_profile, _key(IDENTITY_MODEL)], group_name=GROUP,
              kinds={"spark", "delta"},
              description="Candidate pairs from the blocking rules, with each comparison's level and weight, "
                          "the match probability and whether the pair links.")
    def identity_pairs(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        ctx = _open(workspace, spark, lake)
        try:
            result = build_identity_pairs(ctx, stored_model(ctx))
            histogram = weight_distribution(ctx)
        finally:
            ctx.release()
        return dg.MaterializeResult(metadata={
            "candidate_pairs": result.candidate_pairs,
            "linked_pairs": result.linked_pairs,
            "pairs_by_rule": dg.MetadataValue.json(result.by_rule),
            "match_weights": bar_chart([f"{b:g}" for b, _ in histogram], [n for _, n in histogram],
                                       "Candidate pairs by match weight (bits)", "pairs"),
        } | _metadata(ctx, IDENTITY_PAIRS))

    return identity_pairs


def _clusters_asset(workspace: Workspace) -> dg.AssetsDefinition:
    """gold/identity_clusters, from the linked pairs."""
    @dg.asset(key=_key(IDENTITY_CLUSTERS), deps=[_key(IDENTITY_PAIRS)], group_name=GROUP, kinds={"spark", "delta"},
              description="Connected components of the linked pairs (and must-link overrides), oversized clusters "
                          "refused, cannot-link pairs cut apart.")
    def identity_clusters(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        ctx = _open(workspace, spark, lake)
        try:
            result = build_identity_clusters(ctx)
        finally:
            ctx.release()
        if result.oversized:
            context.log.warning(f"{len(result.oversized)} clusters larger than "
                                 f"{ctx.policy.clustering.max_cluster_size} were not merged: {result.oversized[:5]}")
        sizes = result.size_distribution
        return dg.MaterializeResult(metadata={
            "clusters": result.clusters,
            "records": result.records,
            "oversized_clusters": dg.MetadataValue.json(result.oversized),
            "cannot_link_applied": dg.MetadataValue.json(result.cannot_link_applied),
            "cluster_sizes": bar_chart(list(sizes), list(sizes.values()), "Clusters by size (records)", "clusters"),
        } | _metadata(ctx, IDENTITY_CLUSTERS))

    return identity_clusters


def _customer_ids_asset(workspace: Workspace) -> dg.AssetsDefinition:
    """gold/customer_ids and its history: one step writes both."""
    @dg.multi_asset(
        specs=[
            dg.AssetSpec(_key(CUSTOMER_IDS), deps=[_key(IDENTITY_CLUSTERS)], group_name=GROUP,
                         kinds={"spark", "delta"},
                         description="The stable customer ID of every record (record_id -> customer_id)."),
            dg.AssetSpec(_key(CUSTOMER_ID_HISTORY), deps=[_key(IDENTITY_CLUSTERS)], group_name=GROUP,
                         kinds={"spark", "delta"},
                         description="Every change of the ID map: new, merged, split, moved, removed."),
        ],
        name="gold_customer_ids",
    )
    def customer_ids(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        ctx = _open(workspace, spark, lake)
        result = build_customer_ids(ctx, context.run_id)
        yield dg.MaterializeResult(asset_key=_key(CUSTOMER_IDS), metadata={
            "customers": result.customers, "records": result.records,
        } | _metadata(ctx, CUSTOMER_IDS))
        yield dg.MaterializeResult(asset_key=_key(CUSTOMER_ID_HISTORY), metadata={
            "changes_this_run": dg.MetadataValue.json(result.changes),
        } | _metadata(ctx, CUSTOMER_ID_HISTORY))

    return customer_ids


def _golden_asset(workspace: Workspace, silver_profile: dg.AssetKey) -> dg.AssetsDefinition:
    """gold/golden_customer, from silver and the ID map."""
    @dg.asset(key=_key(GOLDEN_CUSTOMER), deps=[_key(CUSTOMER_IDS), silver_profile], group_name=GROUP,
              kinds={"spark", "delta"},
              description="One row per customer: each attribute chosen by the merge policy, with the record it came from.")
    def golden_customer(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        ctx = _open(workspace, spark, lake)
        result = build_golden_customer(ctx)
        return dg.MaterializeResult(metadata={"customers": result.customers} | _metadata(ctx, GOLDEN_CUSTOMER, 3))

    return golden_customer


def _interactions_asset(workspace: Workspace, interaction_types: list[str]) -> dg.AssetsDefinition:
    """gold/interaction_customers, from the interaction types that link to the matched profile."""
    @dg.asset(key=_key(INTERACTION_CUSTOMERS),
              deps=[_key(CUSTOMER_IDS), *[asset_key(SILVER, t) for t in interaction_types]],
              group_name=GROUP, kinds={"spark", "delta"},
              description="The customer of every interaction: by source key through the ID map, or matched "
                          "by its attributes (email, phone) with the match policy.")
    def interaction_customers(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        ctx = _open(workspace, spark, lake)
        try:
            result = build_interaction_customers(ctx, stored_model(ctx).model)
        finally:
            ctx.release()
        if result is None:
            return dg.MaterializeResult(metadata={"interactions": 0})
        shares = {t: sum(n for k, n in v.items() if k != "unlinked") / max(sum(v.values()), 1)
                  for t, v in result.by_type.items()}
        return dg.MaterializeResult(metadata={
            "interactions": result.interactions,
            "share_linked": round(result.share_linked, 4),
            "linked_by": dg.MetadataValue.json(result.by_type),
            "share_linked_by_type": bar_chart(list(shares), list(shares.values()), "Share of interactions linked", "share"),
        } | _metadata(ctx, INTERACTION_CUSTOMERS))

    return interaction_customers


def identity_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """The identity assets, when the workspace has match.yaml and its profile has a silver table."""
    policy = workspace.match
    if policy is None:
        return []
    profile = match_profile(policy, workspace)
    if profile not in workspace.silver_types():
        return []
    silver_profile = asset_key(SILVER, profile)
    assets = [_model_asset(workspace, silver_profile), _pairs_asset(workspace, silver_profile),
              _clusters_asset(workspace), _customer_ids_asset(workspace), _golden_asset(workspace, silver_profile)]
    interaction_types = [
        t for t in workspace.silver_types()
        if t in workspace.model.interactions
        and any(link.profile == profile for link in workspace.model.interactions[t].links.values())
    ]
    if interaction_types:
        assets.append(_interactions_asset(workspace, interaction_types))
    return assets
