"""Unsupervised training: u from random pairs, m by EM per blocking rule, the prior from rules.

This is the estimation Splink popularised: u is what agreement looks like between random
(almost surely different) people; m comes from EM sessions, each on the pairs of one blocking
rule, leaving out the comparisons that rule fixes; the prior is the share of all pairs that
match, from what the EM sessions learnt (jobs/identity/prior.py), checked against the
deterministic rules and their assumed recall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.identity.blocking import candidate_pairs, pair_filter, rule_pairs, sides
from jobs.identity.compare import NULL_GAMMA, gamma_column, with_gammas
from jobs.identity.em import run_em
from jobs.identity.errors import IdentityError
from jobs.identity.model import MatchModel, initial_model
from jobs.identity.prior import FALLBACK, estimate_prior
from schemas.match import MATCH_FILE, MatchPolicy, Rule
from schemas.tables import RECORD_ID, SOURCE


def total_pairs(records: DataFrame, link_within_source: bool) -> int:
    """How many pairs the records form (all, or across sources only)."""
    per_source = [r["n"] for r in records.groupBy(SOURCE).agg(F.count(F.lit(1)).alias("n")).collect()]
    n = sum(per_source)
    if link_within_source:
        return n * (n - 1) // 2
    return (n * n - sum(k * k for k in per_source)) // 2


def pattern_counts(pairs: DataFrame, policy: MatchPolicy) -> tuple[np.ndarray, np.ndarray]:
    """(distinct gamma patterns, their counts): what EM and u estimation work on."""
    names = [gamma_column(c.attribute) for c in policy.comparisons]
    rows = with_gammas(pairs, policy.comparisons).groupBy(*names).count().collect()
    if not rows:
        return np.zeros((0, len(names)), dtype=int), np.zeros(0, dtype=int)
    patterns = np.array([[r[n] for n in names] for r in rows], dtype=int)
    return patterns, np.array([r["count"] for r in rows], dtype=int)


def random_pairs(records: DataFrame, policy: MatchPolicy) -> DataFrame:
    """About u_sample_pairs pairs of a deterministic pseudo-random sample of records."""
    training = policy.training
    k = int(math.ceil(math.sqrt(2 * training.u_sample_pairs))) + 1
    if not policy.link_within_source:
        k = int(k * 1.5)
    sample = records.orderBy(F.xxhash64(F.col(RECORD_ID), F.lit(training.seed))).limit(k).persist()
    left, right = sides(sample)
    return left.crossJoin(right).where(pair_filter(policy.link_within_source)), sample


@dataclass(frozen=True)
class RandomPairs:
    """What random pairs tell: u per comparison level, and how often both records carry each attribute."""

    u: dict[str, dict[int, float]]
    presence: dict[str, float]
    sampled: int


def estimate_u(records: DataFrame, policy: MatchPolicy) -> RandomPairs:
    """u per comparison level from random pairs (at least one count per level, so no u is 0)."""
    pairs, sample = random_pairs(records, policy)
    try:
        patterns, counts = pattern_counts(pairs, policy)
    finally:
        sample.unpersist()
    u, presence = {}, {}
    for i, comparison in enumerate(policy.comparisons):
        g = patterns[:, i] if len(counts) else np.zeros(0, dtype=int)
        present = g != NULL_GAMMA
        total = counts[present].sum()
        gammas = [len(comparison.levels) - j for j in range(len(comparison.levels))] + [0]
        u[comparison.attribute] = {
            gamma: max(float(counts[g == gamma].sum()), 1.0) / max(float(total), 1.0) for gamma in gammas
        }
        presence[comparison.attribute] = float(total) / max(float(counts.sum()), 1.0)
    return RandomPairs(u, presence, int(counts.sum()))


def deterministic_pair_count(records: DataFrame, policy: MatchPolicy) -> int:
    """Distinct pairs that any deterministic rule links."""
    if not policy.deterministic:
        return 0
    return candidate_pairs(records, policy.deterministic, policy.link_within_source).count()


def em_session(records: DataFrame, policy: MatchPolicy, rule: Rule, model: MatchModel) -> dict:
    """One EM session on the pairs of one blocking rule; the comparisons it fixes are left out."""
    fixed = {k.attribute for k in rule.block_keys()}
    trained = [c.attribute for c in policy.comparisons if c.attribute not in fixed]
    pairs = rule_pairs(records, rule, policy.link_within_source)
    patterns, counts = pattern_counts(pairs, policy)
    session = {"rule": rule.name, "pairs": int(counts.sum()), "trained": trained, "m": {},
               "transformed": any(k.transform != "value" for k in rule.block_keys())}
    if not trained or counts.sum() == 0:
        return session
    result = run_em(patterns, counts, model, trained, policy.training.em_max_iterations,
                    policy.training.em_tolerance)
    session.update(m=result.m, proportion_matched=result.proportion_matched,
                   iterations=result.iterations, converged=result.converged, fixed=sorted(fixed))
    return session


def combine_sessions(model: MatchModel, sessions: list[dict]) -> None:
    """m of each comparison: the mean over the sessions that trained it (start values otherwise)."""
    for comparison in model.comparisons:
        estimates = [s["m"][comparison.attribute] for s in sessions if comparison.attribute in s["m"]]
        if not estimates:
            continue
        for level in comparison.levels:
            if level.gamma != NULL_GAMMA:
                level.m = float(np.mean([e[level.gamma] for e in estimates]))


def train_model(records: DataFrame, policy: MatchPolicy) -> tuple[MatchModel, dict]:
    """Estimate u, the prior and m on prepared records; returns the model and training metrics."""
    training = policy.training
    random = estimate_u(records, policy)
    all_pairs = max(total_pairs(records, policy.link_within_source), 1)
    det_pairs = deterministic_pair_count(records, policy)
    deterministic = det_pairs / training.deterministic_recall / all_pairs if det_pairs else None
    model = initial_model(policy, random.u, min(max(training.prior or deterministic or FALLBACK, 1e-12), 0.5))
    names = training.em_rules or [r.name for r in policy.blocking]
    rules = {r.name: r for r in policy.blocking}
    sessions = [em_session(records, policy, rules[name], model) for name in names]
    if not any(s["m"] for s in sessions):
        raise IdentityError(
            f"{MATCH_FILE}: training.em_rules produced no pairs to learn m from; "
            "add a blocking rule that pairs records on an attribute not compared, or check the data"
        )
    combine_sessions(model, sessions)
    prior = estimate_prior(model, sessions, random.presence, all_pairs, deterministic, training.prior,
                           training.prior_from)
    model.prior = prior.value
    model.sessions = [{k: v for k, v in s.items() if k != "m"} for s in sessions]
    metrics = {"u_sample_pairs": random.sampled, "all_pairs": all_pairs, "deterministic_pairs": det_pairs}
    return model, metrics | prior.metrics()

