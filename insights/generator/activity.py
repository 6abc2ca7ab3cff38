"""How active and valuable each person is, and when: the signal behind KPIs, segments and churn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from insights.generator.people import People
from insights.generator.scales import AS_OF_S, CHURN_QUIET_DAYS, DAY_S, HISTORY_DAYS, HISTORY_START_S
from insights.generator.streams import stream, weighted

TIERS = ("low", "mid", "high")
TIER_SHARE = np.array([0.50, 0.35, 0.15])
TIER_ACTIVITY = np.array([1.0, 1.6, 2.6])
CHURN_SHARE = np.array([0.30, 0.20, 0.12])  # low-value people churn more often


@dataclass(frozen=True)
class Activity:
    """Per person: value tier, relative activity and the active time window."""

    tier: np.ndarray  # 0 low, 1 mid, 2 high
    rate: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    churned: np.ndarray  # no activity in the last six months

    def window(self, since_s: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Active window, starting no earlier than `since_s` (e.g. when an account was opened)."""
        lo = self.start_s if since_s is None else np.maximum(self.start_s, since_s)
        return lo, np.maximum(lo, self.end_s)

    def weight(self, since_s: np.ndarray | None = None, power: float = 1.0) -> np.ndarray:
        """Expected activity in the window: rate**power times the window's share of the history."""
        lo, hi = self.window(since_s)
        return self.rate**power * (hi - lo) / (HISTORY_DAYS * DAY_S)


def make_activity(seed: int, people: People) -> Activity:
    """Heavy-tailed activity (a few very active, many occasional), some churned."""
    rng = stream(seed, "activity")
    n = people.n
    tier = weighted(rng, TIER_SHARE, n).astype(np.int8)
    rate = rng.lognormal(0.0, 0.9, n) * TIER_ACTIVITY[tier]
    start = np.maximum(people.first_seen_s, HISTORY_START_S)
    quiet_from = AS_OF_S - CHURN_QUIET_DAYS * DAY_S
    can_churn = start < quiet_from - 30 * DAY_S
    churned = can_churn & (rng.random(n) < CHURN_SHARE[tier])
    churn_end = start + 30 * DAY_S + rng.random(n) * np.maximum(quiet_from - start - 30 * DAY_S, 0)
    end = np.where(churned, churn_end, AS_OF_S - 60).astype(np.int64)
    return Activity(tier, rate, start.astype(np.int64), end, churned)


def draw_times(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray,
               hour_weights: np.ndarray | None = None) -> np.ndarray:
    """Epoch seconds uniform in [lo, hi), optionally at a realistic hour of the day."""
    t = lo + (rng.random(len(lo)) * (hi - lo)).astype(np.int64)
    if hour_weights is None:
        return t
    hour = weighted(rng, hour_weights, len(lo))
    t = t - t % DAY_S + hour * 3600 + rng.integers(0, 3600, len(lo))
    return np.clip(t, lo, np.maximum(hi - 1, lo))


WEB_HOURS = np.array([2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 9, 8, 8, 8, 9, 10, 12, 13, 12, 9, 5], dtype=float)
STORE_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 0, 3, 6, 8, 9, 11, 11, 9, 8, 9, 10, 8, 5, 3, 0, 0, 0], dtype=float)
OFFICE_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 1, 6, 10, 10, 9, 8, 9, 9, 8, 7, 5, 3, 2, 1, 1, 0, 0], dtype=float)
