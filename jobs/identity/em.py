"""Expectation maximisation of m (u fixed) on a small table of comparison patterns and counts.

Spark reduces millions of pairs to one row per distinct pattern of levels (a few hundred at
most); EM then runs on the driver in numpy, which is exact and takes milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jobs.identity.compare import NULL_GAMMA
from jobs.identity.model import M_FLOOR, MatchModel


@dataclass(frozen=True)
class EMResult:
    """m per (attribute, gamma) for the comparisons that were trained, and the session's lambda."""

    m: dict[str, dict[int, float]]
    proportion_matched: float
    iterations: int
    converged: bool


def run_em(
    patterns: np.ndarray,
    counts: np.ndarray,
    model: MatchModel,
    trained: list[str],
    max_iterations: int = 25,
    tolerance: float = 1e-4,
    start_lambda: float = 0.3,
) -> EMResult:
    """Estimate m of the `trained` comparisons (columns of `patterns`, in model order) with u fixed.

    Comparisons not in `trained` (those the session's blocking rule fixes) are left out of the
    likelihood, as Splink does, because every pair of the session agrees on them by design.
    """
    attributes = [c.attribute for c in model.comparisons]
    columns = [attributes.index(a) for a in trained]
    m = {a: {lv.gamma: lv.m for lv in model.comparison(a).levels if lv.gamma != NULL_GAMMA} for a in trained}
    u = {a: {lv.gamma: lv.u for lv in model.comparison(a).levels if lv.gamma != NULL_GAMMA} for a in trained}
    lam = start_lambda
    counts = counts.astype(float)
    converged, iteration = False, 0
    for iteration in range(1, max_iterations + 1):
        log_m = np.zeros(len(counts))
        log_u = np.zeros(len(counts))
        for a, col in zip(trained, columns, strict=True):
            g = patterns[:, col]
            present = g != NULL_GAMMA
            log_m[present] += np.log([max(m[a][int(x)], M_FLOOR) for x in g[present]])
            log_u[present] += np.log([max(u[a][int(x)], M_FLOOR) for x in g[present]])
        odds = np.exp(np.clip(np.log(lam) - np.log1p(-lam) + log_m - log_u, -700, 700))
        p = odds / (1 + odds)
        weighted = counts * p
        new_lam = float(weighted.sum() / counts.sum())
        change = abs(new_lam - lam)
        new_m = {}
        for a, col in zip(trained, columns, strict=True):
            g = patterns[:, col]
            present = g != NULL_GAMMA
            total = weighted[present].sum()
            new_m[a] = {}
            for gamma in m[a]:
                share = weighted[g == gamma].sum() / total if total > 0 else m[a][gamma]
                new_m[a][gamma] = max(float(share), M_FLOOR)
                change = max(change, abs(new_m[a][gamma] - m[a][gamma]))
        m, lam = new_m, min(max(new_lam, 1e-9), 1 - 1e-9)
        if change < tolerance:
            converged = True
            break
    return EMResult(m=m, proportion_matched=lam, iterations=iteration, converged=converged)
