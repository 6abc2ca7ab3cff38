"""The prior from EM sessions: each session's matches over the share of all matches its rule keeps.

Hand-made model and sessions; the expected values are worked out in the comments.
"""

from __future__ import annotations

import logging

import pytest

from jobs.identity.model import ComparisonParams, LevelParams, MatchModel
from jobs.identity.prior import FALLBACK, estimate_prior, session_prior

ALL_PAIRS = 1_000_000


def _comparison(attribute: str, m_exact: float) -> ComparisonParams:
    return ComparisonParams(attribute, [LevelParams(2, "exact", m_exact, 0.01),
                                        LevelParams(1, "jaro_winkler >= 0.9", 0.1, 0.05),
                                        LevelParams(0, "else", 1 - m_exact - 0.1, 0.94)])


MODEL = MatchModel(prior=1e-4, comparisons=[_comparison("name", 0.8), _comparison("birth", 0.9),
                                            _comparison("phone", 0.5)], fingerprint="x")
PRESENCE = {"name": 1.0, "birth": 0.5, "phone": 0.64}
# session "birth": 2,000 pairs share a birth date, 45% of them match -> 900 matches; a match keeps its
# birth date on both records half the time (0.5) and equal 90% of then -> the rule keeps 45% of all
# matches: 2,000 matches in all, prior 2e-3.
BIRTH = {"rule": "birth", "pairs": 2_000, "proportion_matched": 0.45, "fixed": ["birth"],
         "m": {"name": {}, "phone": {}}}
# session "phone": 640 pairs, 80% matching -> 512 matches; kept 0.64 * 0.5 = 0.32 -> 1,600 matches, 1.6e-3
PHONE = {"rule": "phone", "pairs": 640, "proportion_matched": 0.8, "fixed": ["phone"],
         "m": {"name": {}, "birth": {}}}


def test_each_session_implies_its_matches_over_the_share_its_rule_keeps():
    trained = {"name", "birth", "phone"}
    assert session_prior(MODEL, BIRTH, PRESENCE, trained, ALL_PAIRS) == pytest.approx(2e-3)
    assert session_prior(MODEL, PHONE, PRESENCE, trained, ALL_PAIRS) == pytest.approx(1.6e-3)
    # a key no session learnt m for, or a transformed key (soundex equality keeps more than exact): no estimate
    assert session_prior(MODEL, BIRTH, PRESENCE, {"name"}, ALL_PAIRS) is None
    assert session_prior(MODEL, BIRTH | {"transformed": True}, PRESENCE, trained, ALL_PAIRS) is None


def test_the_em_estimate_wins_and_a_disagreeing_rule_estimate_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="jobs.identity.prior"):
        estimate = estimate_prior(MODEL, [BIRTH, PHONE], PRESENCE, ALL_PAIRS, deterministic=2e-4, given=None,
                                  prior_from="em")
    assert estimate.value == pytest.approx(1.8e-3) and estimate.source == "em"  # median of 2e-3 and 1.6e-3
    assert estimate.sessions == pytest.approx({"birth": 2e-3, "phone": 1.6e-3})
    assert "9.0x apart" in estimate.warning and "deterministic_recall" in caplog.text


def test_a_given_prior_or_the_rules_when_asked_and_the_fallback_says_so():
    given = estimate_prior(MODEL, [BIRTH], PRESENCE, ALL_PAIRS, 2e-4, given=5e-3, prior_from="em")
    assert (given.value, given.source) == (5e-3, "given")
    rules = estimate_prior(MODEL, [BIRTH], PRESENCE, ALL_PAIRS, 1.5e-3, given=None, prior_from="deterministic_rules")
    assert (rules.value, rules.source, rules.warning) == (1.5e-3, "deterministic_rules", None)  # 1.33x: no warning
    nothing = estimate_prior(MODEL, [BIRTH | {"proportion_matched": None}], PRESENCE, ALL_PAIRS, None, None, "em")
    assert (nothing.value, nothing.source) == (FALLBACK, "fallback") and "training.prior" in nothing.warning
