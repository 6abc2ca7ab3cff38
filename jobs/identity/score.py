"""Match weights of candidate pairs: per-comparison weights, term-frequency adjustments, probability.

Every pair keeps its levels and each comparison's weight in bits, so `insights match explain`
can say why two records are or are not the same person.
"""

from __future__ import annotations

import math

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.identity.blocking import LEFT, RIGHT, RULE
from jobs.identity.compare import gamma_column, with_gammas
from jobs.identity.model import M_FLOOR, MatchModel
from schemas.match import MatchPolicy
from schemas.tables import SOURCE

MATCH_WEIGHT, MATCH_PROBABILITY = "match_weight", "match_probability"
DETERMINISTIC, LINKED = "deterministic", "linked"


def weight_column(attribute: str) -> str:
    return f"weight_{attribute}"


def tf_column(attribute: str) -> str:
    return f"tf_{attribute}"


def tf_attributes(policy: MatchPolicy) -> list[str]:
    return [c.attribute for c in policy.comparisons if any(level.term_frequency for level in c.levels)]


def with_term_frequencies(records: DataFrame, policy: MatchPolicy) -> DataFrame:
    """Records with tf_<attr>: the share of records (with a value) that hold the same value."""
    base = records
    for attribute in tf_attributes(policy):
        counts = base.where(F.col(attribute).isNotNull()).groupBy(attribute).agg(F.count(F.lit(1)).alias("_n"))
        total = counts.agg(F.sum("_n").alias("_total"))
        freq = counts.crossJoin(F.broadcast(total)).select(
            attribute, (F.col("_n") / F.col("_total")).alias(tf_column(attribute)))
        records = records.join(freq, attribute, "left")
    return records


def _lookup(mapping: dict[int, float], key: Column) -> Column:
    expr = None
    for gamma, value in mapping.items():
        expr = F.when(key == gamma, F.lit(value)) if expr is None else expr.when(key == gamma, F.lit(value))
    return expr.otherwise(F.lit(0.0))


def score_pairs(pairs: DataFrame, model: MatchModel, policy: MatchPolicy) -> DataFrame:
    """Pairs with gamma_*, weight_* (bits, tf-adjusted), match_weight, match_probability, linked."""
    scored = with_gammas(pairs, policy.comparisons)
    total = F.lit(model.prior_weight)
    weights = []
    for comparison in model.comparisons:
        a = comparison.attribute
        gamma = F.col(gamma_column(a))
        weight = _lookup({lv.gamma: lv.weight for lv in comparison.levels}, gamma)
        tf_level = comparison.tf_level
        if tf_level is not None:
            tf = F.greatest(F.col(f"{tf_column(a)}_l"), F.col(f"{tf_column(a)}_r"))
            adjustment = F.log2(F.lit(max(tf_level.u, M_FLOOR)) / F.greatest(tf, F.lit(M_FLOOR)))
            weight = F.when((gamma == tf_level.gamma) & tf.isNotNull(), weight + adjustment).otherwise(weight)
        weights.append(weight.cast("double").alias(weight_column(a)))
        total = total + F.col(weight_column(a))
    deterministic = {r.name for r in policy.deterministic}
    scored = scored.select("*", *weights)
    scored = scored.withColumn(MATCH_WEIGHT, total)
    scored = scored.withColumn(MATCH_PROBABILITY, F.lit(1.0) / (F.lit(1.0) + F.pow(F.lit(2.0), -F.col(MATCH_WEIGHT))))
    scored = scored.withColumn(DETERMINISTIC, F.col(RULE).isin(*deterministic) if deterministic else F.lit(False))
    return scored.withColumn(LINKED, F.col(DETERMINISTIC) | (F.col(MATCH_PROBABILITY) >= policy.threshold))


def pair_columns(policy: MatchPolicy) -> list[str]:
    """What gold/identity_pairs keeps of each scored pair."""
    per_comparison = [c for comp in policy.comparisons for c in (gamma_column(comp.attribute), weight_column(comp.attribute))]
    return [LEFT, RIGHT, f"{SOURCE}_l", f"{SOURCE}_r", RULE, *per_comparison,
            MATCH_WEIGHT, MATCH_PROBABILITY, DETERMINISTIC, LINKED]


def threshold_weight(threshold: float) -> float:
    """The match weight that corresponds to a match probability."""
    return math.log2(threshold / (1 - threshold))

