"""gold/identity_pairs: the candidate pairs of the blocking rules, scored, with whether each links.

Cannot-link overrides keep a pair from linking (its `override` column says so). Skipped when
silver, the model and the policy are as the last build found them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.built_from import built_from
from jobs.identity.blocking import LEFT, RIGHT, RULE, candidate_pairs, check_pair_budget
from jobs.identity.context import IdentityContext, StepResult
from jobs.identity.identity_model import StoredModel
from jobs.identity.model import policy_fingerprint
from jobs.identity.overrides import override_frame
from jobs.identity.score import LINKED, MATCH_WEIGHT, pair_columns, score_pairs
from jobs.writes import overwrite
from schemas.catalog import IDENTITY_PAIRS

OVERRIDE = "override"
WEIGHT_BIN = 2.0  # bits per bar of the match-weight chart


@dataclass(frozen=True, kw_only=True)
class PairsResult(StepResult):
    """Candidate and linked pairs, in all and per blocking rule, and the pair budget's counts."""

    candidate_pairs: int
    linked_pairs: int
    by_rule: dict[str, dict[str, int]] = field(default_factory=dict)  # rule -> {pairs, linked}
    budget: dict[str, int] = field(default_factory=dict)


def _with_cannot_links(ctx: IdentityContext, scored: DataFrame) -> DataFrame:
    """Pairs a cannot-link override names do not link, and say why in `override`."""
    cannot = ctx.overrides.cannot_link
    if not cannot:
        return scored.withColumn(OVERRIDE, F.lit(None).cast("string"))
    blocked = override_frame(ctx.spark, cannot).select(
        F.col("a").alias(LEFT), F.col("b").alias(RIGHT), F.lit("cannot_link").alias(OVERRIDE))
    scored = scored.join(blocked, [LEFT, RIGHT], "left")
    return scored.withColumn(LINKED, F.col(LINKED) & F.col(OVERRIDE).isNull())


def build_identity_pairs(ctx: IdentityContext, stored: StoredModel) -> PairsResult:
    """Score the candidate pairs with the stored model and overwrite gold/identity_pairs."""
    path = ctx.path(IDENTITY_PAIRS)
    built = built_from(ctx.spark, ctx.lake, [ctx.silver_path], model_version=stored.version,
                       fingerprint=policy_fingerprint(ctx.policy), threshold=ctx.policy.threshold,
                       cannot_link=ctx.overrides.cannot_link)
    done = PairsResult.previous(ctx, IDENTITY_PAIRS, built)
    if done is not None:
        return done
    budget = check_pair_budget(ctx.records, ctx.policy)
    pairs = candidate_pairs(ctx.records, ctx.policy.rules(), ctx.policy.link_within_source)
    scored = _with_cannot_links(ctx, score_pairs(pairs, stored.model, ctx.policy).select(*pair_columns(ctx.policy)))
    scored = scored.withColumn("model_version", F.lit(stored.version).cast("long")).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        by_rule = scored.groupBy(RULE).agg(
            F.count(F.lit(1)).alias("pairs"), F.sum(F.col(LINKED).cast("int")).alias("linked")).collect()
        result = PairsResult(
            candidate_pairs=sum(r["pairs"] for r in by_rule),
            linked_pairs=sum(r["linked"] or 0 for r in by_rule),
            by_rule={r[RULE]: {"pairs": r["pairs"], "linked": r["linked"] or 0} for r in by_rule},
            budget=budget,
        )
        overwrite(scored, path, built=result.record(built))
    finally:
        scored.unpersist()
    return result


def weight_distribution(ctx: IdentityContext) -> list[tuple[float, int]]:
    """Counts of candidate pairs per match-weight bin (for charts when there are no labels)."""
    pairs = ctx.read(IDENTITY_PAIRS)
    if pairs is None:
        return []
    rows = pairs.groupBy(F.floor(F.col(MATCH_WEIGHT) / WEIGHT_BIN).alias("b")).count().collect()
    return sorted((float(r["b"]) * WEIGHT_BIN, int(r["count"])) for r in rows
                  if r["b"] is not None and not math.isnan(r["b"]))
