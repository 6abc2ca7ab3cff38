"""Typed configuration: data set sizes per scale, the fixed as-of date and variation rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

GENERATOR_VERSION = "1.0.0"

# Fixed, so that the same scale and seed give the same bytes on any day.
AS_OF = datetime(2026, 6, 30, tzinfo=UTC)
AS_OF_S = int(AS_OF.timestamp())
DAY_S = 86_400
HISTORY_DAYS = 730  # interactions are spread over the two years before AS_OF
HISTORY_START_S = AS_OF_S - HISTORY_DAYS * DAY_S
FIRST_SEEN_FLOOR_S = int(datetime(2015, 1, 1, tzinfo=UTC).timestamp())
CHURN_QUIET_DAYS = 183  # churned people have no activity in the last six months


@dataclass(frozen=True)
class Scale:
    """How big one generated data set is and how it is split into part files."""

    name: str
    people: int
    interactions_per_person: float  # all interaction rows (every interaction source) per person
    products: int
    stores: int
    part_rows: int  # target rows per part file for the big sources
    bad_row_rate: float  # share of rows deliberately broken in each affected source
    min_bad_rows: int  # at least this many broken rows per affected source

    def bad_rows(self, expected_rows: float) -> int:
        """Broken rows to inject into a source of about `expected_rows` rows."""
        return max(self.min_bad_rows, round(self.bad_row_rate * expected_rows))


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 300, 10.0, 60, 12, 1_000, 0.0005, 2),
    "small": Scale("small", 10_000, 25.0, 200, 30, 100_000, 0.0005, 1),
    "medium": Scale("medium", 1_000_000, 5.0, 1_000, 50, 1_000_000, 0.0005, 1),
    "large": Scale("large", 1_000_000, 50.0, 2_000, 50, 2_000_000, 0.0005, 1),
}


@dataclass(frozen=True)
class InteractionMix:
    """Share of all interaction rows each interaction source gets (order lines follow orders)."""

    web_events: float = 0.47
    pos_transactions: float = 0.20
    web_orders: float = 0.09  # about 2.2 lines per order on top
    support_cases: float = 0.025
    survey_responses: float = 0.02
    logged_in_event_share: float = 0.60  # of web events; the rest are anonymous
    emailed_event_share: float = 0.05  # of web events: anonymous but carrying an email
    pos_walk_in_share: float = 1 / 7  # of POS rows: non-members (with 30% no-card: ~40% null)
    card_shown: float = 0.70  # a member shows the loyalty card


@dataclass(frozen=True)
class PresenceRates:
    """Who is in which customer source (before 'at least one' is enforced)."""

    crm: float = 0.55
    webshop: float = 0.50
    loyalty: float = 0.35
    duplicate_in_source: float = 0.03
    moved: float = 0.15


@dataclass(frozen=True)
class VariationRates:
    """How often a source record differs from the person's true attributes."""

    typo: float = 0.05
    nickname: float = 0.10
    swapped_names: float = 0.02
    missing_email: float = 0.10
    missing_phone: float = 0.20
    missing_birth_date: float = 0.30
    other_email: float = 0.30  # of people with a second address, records that use it
    email_upper: float = 0.02
    email_capitalised: float = 0.04
    email_spaces: float = 0.03
    gmail_no_dots: float = 0.15
    gmail_tag: float = 0.05
    googlemail_alias: float = 0.05
    day_month_swap: float = 0.01
    postcode_no_space: float = 0.08
    postcode_lower: float = 0.04


MIX = InteractionMix()
PRESENCE = PresenceRates()
VARIATION = VariationRates()
