"""The trained Fellegi-Sunter model: a prior and, per comparison level, m and u.

m = P(level | same person), u = P(level | different people); a level's weight is log2(m/u)
bits of evidence. The model is plain data (rows in gold/identity_model, a dict for MLflow),
so a run can be repeated exactly from what was stored.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field

from jobs.identity.compare import ELSE_GAMMA, NULL_GAMMA, level_gammas
from schemas.match import MatchPolicy

M_FLOOR = 1e-6


@dataclass
class LevelParams:
    """m and u of one comparison level."""

    gamma: int
    label: str
    m: float
    u: float
    term_frequency: bool = False

    @property
    def weight(self) -> float:
        """Bits of evidence for (positive) or against (negative) the same person."""
        if self.gamma == NULL_GAMMA:
            return 0.0
        return math.log2(max(self.m, M_FLOOR) / max(self.u, M_FLOOR))


@dataclass
class ComparisonParams:
    """The levels of one comparison, most similar first."""

    attribute: str
    levels: list[LevelParams]

    def level(self, gamma: int) -> LevelParams:
        return next(level for level in self.levels if level.gamma == gamma)

    @property
    def tf_level(self) -> LevelParams | None:
        """The exact level whose weight term frequencies adjust, if any."""
        return next((level for level in self.levels if level.term_frequency), None)


@dataclass
class MatchModel:
    """Everything scoring needs, plus where it came from."""

    prior: float
    comparisons: list[ComparisonParams]
    fingerprint: str
    sessions: list[dict] = field(default_factory=list)

    @property
    def prior_weight(self) -> float:
        """log2 of the prior odds: the starting point of every pair's match weight."""
        return math.log2(self.prior / (1 - self.prior))

    def comparison(self, attribute: str) -> ComparisonParams:
        return next(c for c in self.comparisons if c.attribute == attribute)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> MatchModel:
        comparisons = [
            ComparisonParams(c["attribute"], [LevelParams(**level) for level in c["levels"]])
            for c in data["comparisons"]
        ]
        return cls(data["prior"], comparisons, data["fingerprint"], data.get("sessions", []))


def policy_fingerprint(policy: MatchPolicy) -> str:
    """A hash of what the parameters depend on (normalisation, rules, comparisons, training)."""
    relevant = policy.model_dump(
        include={"normalize", "deterministic", "blocking", "comparisons", "training", "link_within_source"},
        mode="json",
    )
    relevant["training"].pop("retrain", None)
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def default_m(n_levels: int) -> list[float]:
    """Starting m for EM: most of the mass on the most similar level."""
    if n_levels == 0:
        return [1.0]
    raw = [0.9 * (0.2 ** i) for i in range(n_levels)] + [0.05]
    total = sum(raw)
    return [value / total for value in raw]


def initial_model(policy: MatchPolicy, u: dict[str, dict[int, float]], prior: float) -> MatchModel:
    """A model with the estimated u, starting m and the prior, before EM."""
    comparisons = []
    for comparison in policy.comparisons:
        gammas = [g for g, _ in level_gammas(comparison) if g != NULL_GAMMA]
        m_start = default_m(len(comparison.levels))
        levels = []
        for (gamma, label), m in zip(level_gammas(comparison), [*m_start, 1.0], strict=True):
            level_def = comparison.levels[len(comparison.levels) - gamma] if gamma > 0 else None
            levels.append(LevelParams(
                gamma=gamma, label=label, m=m if gamma != NULL_GAMMA else 1.0,
                u=u.get(comparison.attribute, {}).get(gamma, 1.0 / len(gammas)) if gamma != NULL_GAMMA else 1.0,
                term_frequency=bool(level_def and level_def.term_frequency),
            ))
        comparisons.append(ComparisonParams(comparison.attribute, levels))
    return MatchModel(prior=prior, comparisons=comparisons, fingerprint=policy_fingerprint(policy))


def model_rows(model: MatchModel, version: int, trained_at, policy_json: str) -> list[dict]:
    """The model as rows of gold/identity_model (one per level, plus the prior)."""
    rows = [dict(version=version, trained_at=trained_at, fingerprint=model.fingerprint, comparison="__prior__",
                 gamma=None, label="prior", m=model.prior, u=None, match_weight=model.prior_weight,
                 term_frequency=False, model_json=json.dumps(model.to_dict()), policy_json=policy_json)]
    for comparison in model.comparisons:
        for level in comparison.levels:
            rows.append(dict(version=version, trained_at=trained_at, fingerprint=model.fingerprint,
                             comparison=comparison.attribute, gamma=level.gamma, label=level.label,
                             m=level.m, u=level.u, match_weight=level.weight,
                             term_frequency=level.term_frequency, model_json=None, policy_json=None))
    return rows


MODEL_SCHEMA = (
    "version long, trained_at timestamp, fingerprint string, comparison string, gamma int, label string, "
    "m double, u double, match_weight double, term_frequency boolean, model_json string, policy_json string"
)

__all__ = ["ELSE_GAMMA", "NULL_GAMMA", "LevelParams", "ComparisonParams", "MatchModel", "MODEL_SCHEMA"]
