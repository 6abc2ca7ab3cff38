"""The prior (how likely two random records match), estimated from the data, not from an assumed recall.

Each EM session on the pairs of one blocking rule learns the share of its pairs that match. The rule
keeps only matches whose keys are present on both sides and equal, so the number of matches in all
the data is the session's matches divided by that share: for each key, how often both records carry
it (from the random pairs that estimate u, assuming a value goes missing regardless of who it belongs
to) times how often matches agree on it exactly (its exact-level m, learnt by another session). This
is Fellegi-Sunter's conditional independence again; each usable session gives one estimate and the
median is taken. The deterministic rules' estimate (their pairs over an assumed recall, Splink's
estimator) is kept as a check: a warning says when the two disagree by more than a factor of two.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field

from jobs.identity.model import MatchModel

log = logging.getLogger(__name__)
DISAGREEMENT = 2.0  # a factor between the two estimates worth a warning
FALLBACK = 1e-4  # when nothing estimates the prior (no usable session, no deterministic pairs)


@dataclass(frozen=True)
class PriorEstimate:
    """The prior chosen and where it came from, with every estimate that was considered."""

    value: float
    source: str  # given | em | deterministic_rules | fallback
    sessions: dict[str, float] = field(default_factory=dict)  # per EM session: the prior it implies
    deterministic: float | None = None  # deterministic pairs / deterministic_recall / all pairs
    warning: str | None = None

    def metrics(self) -> dict:
        """What training reports (MLflow logs the numbers, Dagster shows all)."""
        out = {"prior": self.value, "prior_source": self.source,
               "prior_sessions": {k: float(f"{v:.4g}") for k, v in self.sessions.items()}}
        if self.deterministic is not None:
            out["prior_deterministic"] = self.deterministic
        if self.warning:
            out["prior_warning"] = self.warning
        return out


def session_prior(model: MatchModel, session: dict, presence: dict[str, float], trained: set[str],
                  all_pairs: int) -> float | None:
    """The prior one EM session implies, or None when its rule's share of matches cannot be told."""
    if session.get("proportion_matched") is None or not session.get("fixed") or session.get("transformed"):
        return None
    kept = 1.0
    for attribute in session["fixed"]:
        comparison = next((c for c in model.comparisons if c.attribute == attribute), None)
        if comparison is None or attribute not in trained or comparison.levels[0].label != "exact":
            return None  # no learnt m for an exact agreement on this key
        kept *= presence.get(attribute, 1.0) * comparison.levels[0].m
    if kept <= 1e-6:
        return None
    return session["proportion_matched"] * session["pairs"] / kept / all_pairs


def estimate_prior(model: MatchModel, sessions: list[dict], presence: dict[str, float], all_pairs: int,
                   deterministic: float | None, given: float | None, prior_from: str) -> PriorEstimate:
    """The prior of a trained model: the given one, else the EM sessions' median, else the rules'."""
    trained = {a for s in sessions for a in s.get("m", {})}
    implied = {s["rule"]: p for s in sessions
               if (p := session_prior(model, s, presence, trained, all_pairs)) is not None and p > 0}
    em = statistics.median(implied.values()) if implied else None
    if given is not None:
        return PriorEstimate(given, "given", implied, deterministic)
    if prior_from == "em" and em is not None:
        value, source = em, "em"
    elif deterministic:
        value, source = deterministic, "deterministic_rules"
    elif em is not None:
        value, source = em, "em"
    else:
        value, source = FALLBACK, "fallback"
    value = min(max(value, 1e-12), 0.5)
    warning = _disagreement(em, deterministic)
    if source == "fallback":
        warning = (f"no EM session could estimate the prior and no deterministic rule linked a pair: "
                   f"using {FALLBACK:g}; set training.prior or add an em_rule on plain exact keys")
    if warning:
        log.warning("match prior: %s", warning)
    return PriorEstimate(value, source, implied, deterministic, warning)


def _disagreement(em: float | None, deterministic: float | None) -> str | None:
    if not em or not deterministic:
        return None
    ratio = max(em, deterministic) / min(em, deterministic)
    if ratio <= DISAGREEMENT:
        return None
    return (f"the EM sessions estimate the prior at {em:.3g}, the deterministic rules at {deterministic:.3g} "
            f"({ratio:.1f}x apart): training.deterministic_recall may not be the share of matches they catch")
