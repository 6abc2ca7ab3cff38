"""gold/interaction_customers: the customer of each interaction, by source key or else by matching.

Interactions whose link names a source key reach the customer through gold/customer_ids.
Interactions that carry only attributes (an email on a web event, a phone on a support case)
are matched to the profile records with the same policy: deterministic rules first (a rule
applies when the interaction has all its attributes), then the probabilistic model over the
blocking rules it can use, with a prior of one customer in all customers. Skipped when the ID
map, silver, the model and the interactions policy are as the last build found them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from jobs.built_from import built_from
from jobs.identity.blocking import RULE, candidate_pairs
from jobs.identity.context import IdentityContext, StepResult
from jobs.identity.model import MatchModel
from jobs.identity.prepare import normalised
from jobs.identity.score import MATCH_PROBABILITY, score_pairs
from jobs.writes import overwrite
from schemas.catalog import CUSTOMER_IDS, INTERACTION_CUSTOMERS
from schemas.match import Comparison, MatchPolicy
from schemas.tables import CUSTOMER_ID, RECORD_ID, SOURCE, link_column
from schemas.workspace import Workspace

LINKED_BY, MATCHED_RECORD = "linked_by", "matched_record_id"


@dataclass(frozen=True)
class MatchedLink:
    """One role of one interaction type whose rows may be matched by attributes."""

    interaction_type: str
    role: str
    sources: list[str]  # sources of the type that declare match for the role
    attributes: dict[str, str]  # profile attribute -> interaction attribute


def matched_links(workspace: Workspace, profile: str) -> list[MatchedLink]:
    """Roles whose sources declare `match`, with the interaction attribute for each profile attribute."""
    found = []
    for type_name, role in workspace.model.roles_linking_to(profile, workspace.silver_types()):
        attrs: dict[str, str] = {}
        sources = []
        interaction_attrs = workspace.model.attributes_of(type_name)
        for name, source in workspace.sources_for(type_name).items():
            link = source.links.get(role)
            if link is None or not link.match:
                continue
            sources.append(name)
            mappings = source.column_mappings()
            for profile_attr, column in link.match.items():
                target = next((a for a, m in mappings.items() if m.column == column), None)
                if target is None and profile_attr in interaction_attrs:
                    target = profile_attr
                if target is not None:
                    attrs.setdefault(profile_attr, target)
        if sources and attrs:
            found.append(MatchedLink(type_name, role, sources, attrs))
    return found


def key_linked(interactions: DataFrame, type_name: str, role: str, id_map: DataFrame) -> DataFrame:
    """Every interaction of one role with the customer its key points at (null if none)."""
    link = link_column(role)
    ids = id_map.select(F.col(RECORD_ID).alias(link), CUSTOMER_ID)
    return interactions.select(RECORD_ID, SOURCE, link).join(ids, link, "left").select(
        F.lit(type_name).alias("interaction_type"), RECORD_ID, F.lit(role).alias("role"), CUSTOMER_ID,
        F.when(F.col(CUSTOMER_ID).isNotNull(), F.lit("key")).alias(LINKED_BY),
        F.lit(None).cast("double").alias(MATCH_PROBABILITY),
        F.when(F.col(CUSTOMER_ID).isNotNull(), F.col(link)).alias(MATCHED_RECORD),
    )


def _pseudo_records(interactions: DataFrame, link: MatchedLink, policy: MatchPolicy, columns: list[str]) -> DataFrame:
    """Attribute-only interactions shaped like prepared profile records (missing attributes null)."""
    rows = interactions.where(F.col(link_column(link.role)).isNull() & F.col(SOURCE).isin(*link.sources))
    select = [F.col(RECORD_ID), F.lit("__interaction__").alias(SOURCE)]
    for attr in columns:
        if attr in (RECORD_ID, SOURCE):
            continue
        if attr in link.attributes:
            select.append(normalised(F.col(link.attributes[attr]), policy.normalize.get(attr, [])).alias(attr))
        else:
            select.append(F.lit(None).alias(attr))
    return rows.select(*select)


def attribute_matched(
    interactions: DataFrame,
    link: MatchedLink,
    records: DataFrame,
    id_map: DataFrame,
    model: MatchModel,
    policy: MatchPolicy,
) -> DataFrame:
    """Attribute-only interactions with the best customer at or above interactions.threshold."""
    available = set(link.attributes)
    rules = [r for r in policy.rules() if {k.attribute for k in r.block_keys()} <= available]
    profile_attrs = [c for c in records.columns if not c.startswith("tf_")]
    pseudo = _pseudo_records(interactions, link, policy, profile_attrs)
    if not rules:
        return pseudo.select(RECORD_ID).limit(0)
    # Term frequencies come from the profile records: an interaction's value is as rare as theirs.
    for column in [c for c in records.columns if c.startswith("tf_")]:
        attribute = column.removeprefix("tf_")
        freq = records.select(attribute, column).where(F.col(attribute).isNotNull()).dropDuplicates([attribute])
        pseudo = pseudo.join(freq, attribute, "left") if attribute in available else pseudo.withColumn(column, F.lit(None).cast("double"))
    pairs = candidate_pairs(pseudo, rules, link_within_source=False, other=records.select(*pseudo.columns))
    oriented = pairs.withColumn("interaction_id", F.col(f"{RECORD_ID}_l")).withColumn(
        "profile_id", F.col(f"{RECORD_ID}_r"))
    comparisons: list[Comparison] = [c for c in policy.comparisons if c.attribute in available]
    local = policy.model_copy(update={"comparisons": comparisons})
    scored = score_pairs(oriented, _restricted(model, comparisons), local)
    customers = id_map.select(CUSTOMER_ID).distinct().count()
    shift = math.log2(1.0 / max(customers, 2)) - _restricted(model, comparisons).prior_weight
    probability = 1.0 / (1.0 + F.pow(F.lit(2.0), -(F.col("match_weight") + F.lit(shift))))
    scored = scored.withColumn(MATCH_PROBABILITY, probability)
    best = (
        scored.join(id_map.select(F.col(RECORD_ID).alias("profile_id"), CUSTOMER_ID), "profile_id")
        .withColumn("_rank", F.row_number().over(
            Window.partitionBy("interaction_id").orderBy(
                F.col("deterministic").desc(), F.col(MATCH_PROBABILITY).desc(), F.col("profile_id"))))
        .where("_rank = 1")
    )
    accepted = best.where(F.col("deterministic") | (F.col(MATCH_PROBABILITY) >= policy.interactions.threshold))
    return accepted.select(
        F.col("interaction_id").alias(RECORD_ID), CUSTOMER_ID,
        F.when(F.col("deterministic"), F.concat(F.lit("deterministic:"), F.col(RULE)))
        .otherwise(F.lit("probabilistic")).alias(LINKED_BY),
        MATCH_PROBABILITY, F.col("profile_id").alias(MATCHED_RECORD),
    )


def _restricted(model: MatchModel, comparisons: list[Comparison]) -> MatchModel:
    names = {c.attribute for c in comparisons}
    return MatchModel(model.prior, [c for c in model.comparisons if c.attribute in names], model.fingerprint)


def link_interactions(
    silver: dict[str, DataFrame],
    workspace: Workspace,
    profile: str,
    records: DataFrame,
    id_map: DataFrame,
    model: MatchModel,
    policy: MatchPolicy,
) -> DataFrame | None:
    """(interaction_type, record_id, role, customer_id, linked_by, match_probability, matched_record_id)."""
    frames = []
    matchable = {(m.interaction_type, m.role): m for m in matched_links(workspace, profile)}
    for type_name, role in workspace.model.roles_linking_to(profile, workspace.silver_types()):
        interactions = silver[type_name]
        by_key = key_linked(interactions, type_name, role, id_map)
        link = matchable.get((type_name, role))
        if link is not None and policy.interactions.enabled:
            matched = attribute_matched(interactions, link, records, id_map, model, policy)
            matched = matched.select(
                RECORD_ID, *[F.col(c).alias(f"m_{c}") for c in (CUSTOMER_ID, LINKED_BY, MATCH_PROBABILITY, MATCHED_RECORD)]
            )
            by_key = by_key.join(matched, RECORD_ID, "left").select(
                "interaction_type", RECORD_ID, "role",
                *[F.coalesce(F.col(c), F.col(f"m_{c}")).alias(c)
                  for c in (CUSTOMER_ID, LINKED_BY, MATCH_PROBABILITY, MATCHED_RECORD)],
            )
        frames.append(by_key)
    if not frames:
        return None
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


@dataclass(frozen=True, kw_only=True)
class InteractionCustomersResult(StepResult):
    """Interactions per type and how they were linked (key, a rule, the model, or unlinked)."""

    by_type: dict[str, dict[str, int]] = field(default_factory=dict)  # type -> linked_by -> interactions
    interactions: int = 0
    linked: int = 0
    share_linked: float = 0.0

    @classmethod
    def of(cls, table: DataFrame) -> InteractionCustomersResult:
        """The counts of a written gold/interaction_customers frame."""
        stats: dict[str, dict[str, int]] = {}
        for r in table.groupBy("interaction_type", LINKED_BY).count().collect():
            stats.setdefault(r["interaction_type"], {})[r[LINKED_BY] or "unlinked"] = r["count"]
        total = sum(sum(v.values()) for v in stats.values())
        linked = sum(n for v in stats.values() for k, n in v.items() if k != "unlinked")
        return cls(by_type=stats, interactions=total, linked=linked, share_linked=linked / total if total else 0.0)


def _silver_interactions(ctx: IdentityContext) -> dict[str, DataFrame]:
    """The silver tables of the model's interaction types that exist, by type."""
    silver = {}
    for type_name in ctx.workspace.silver_types():
        if type_name in ctx.workspace.model.interactions:
            table = ctx.read_silver(type_name)
            if table is not None:
                silver[type_name] = table
    return silver


def build_interaction_customers(ctx: IdentityContext, model: MatchModel) -> InteractionCustomersResult | None:
    """Overwrite gold/interaction_customers; None when no interaction links to the matched profile."""
    silver = _silver_interactions(ctx)
    built = built_from(ctx.spark, ctx.lake,
                       [ctx.path(CUSTOMER_IDS), ctx.silver_path, *(ctx.lake.silver(t) for t in sorted(silver))],
                       fingerprint=model.fingerprint, prior=model.prior,
                       interactions=ctx.policy.interactions.model_dump())
    done = InteractionCustomersResult.previous(ctx, INTERACTION_CUSTOMERS, built)
    if done is not None:
        return done
    table = link_interactions(silver, ctx.workspace, ctx.profile, ctx.records, ctx.read(CUSTOMER_IDS), model,
                              ctx.policy)
    if table is None:
        return None
    table = table.localCheckpoint(eager=True)
    result = InteractionCustomersResult.of(table)
    overwrite(table, ctx.path(INTERACTION_CUSTOMERS), built=result.record(built))
    return result
