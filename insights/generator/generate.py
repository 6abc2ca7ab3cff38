"""generate(): write the example workspace's source files and their ground truth."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from insights.generator.activity import make_activity
from insights.generator.catalog import make_products, make_stores, write_catalog
from insights.generator.commerce import write_pos, write_web_orders
from insights.generator.engagement import write_support_cases, write_survey_responses, write_web_events
from insights.generator.lookups import lookups
from insights.generator.people import make_people
from insights.generator.profiles import make_registry, plan_presence, plan_records, write_profiles
from insights.generator.scales import SCALES
from insights.generator.truth import Truth

# Folders the generator owns under OUT (emptied first, so a smaller run leaves no stale parts).
OWNED = ("crm/contacts", "webshop/accounts", "webshop/orders", "webshop/order_lines", "loyalty/members",
         "catalog/products", "catalog/stores", "pos/transactions", "web/events", "support/cases",
         "surveys/responses", "_truth")
SOURCES = ("crm_contacts", "webshop_accounts", "loyalty_members", "products", "stores", "web_orders",
           "web_order_lines", "pos_transactions", "web_events", "support_cases", "survey_responses")


@dataclass(frozen=True)
class GenerationReport:
    """What a run produced: counts of good and deliberately bad rows per source, and time taken."""

    scale: str
    seed: int
    out: Path
    people: int
    rows: dict[str, int] = field(default_factory=dict)
    bad_rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def generate(scale: str, seed: int, out: str | Path,
             progress: Callable[[str], None] | None = None) -> GenerationReport:
    """Generate the retail example at `scale` ('tiny', 'small', 'medium', 'large') into `out`.

    Same scale and seed give byte-identical files. Folders the generator owns under `out` are
    replaced; anything else there is left alone.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    cfg = SCALES[scale]
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    out = Path(out)
    for folder in OWNED:
        shutil.rmtree(out / folder, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)

    lk = lookups()
    truth = Truth(out)
    stores = make_stores(cfg, seed, lk)
    products = make_products(cfg, seed, lk)
    for source, n in write_catalog(out, stores, products).items():
        truth.count(source, n)
        say(f"{source}: {n:,} rows")

    presence = plan_presence(cfg, seed)
    people = make_people(cfg, seed, lk, needs_second_email=presence.any_second)
    say(f"people: {people.n:,}")
    activity = make_activity(seed, people)
    records = plan_records(cfg, seed, people, presence)
    registry = make_registry(seed, people, records, activity, stores)
    write_profiles(out, seed, cfg, people, records, activity, registry, stores, lk, truth, say)

    write_web_orders(out, seed, cfg, people, activity, registry, products, truth, say)
    write_pos(out, seed, cfg, people, activity, registry, stores, truth, say)
    write_web_events(out, seed, cfg, people, activity, registry, products, lk, truth, say)
    write_support_cases(out, seed, cfg, people, activity, registry, truth, say)
    write_survey_responses(out, seed, cfg, people, activity, lk, truth, say)

    for source in SOURCES:
        truth.rows.setdefault(source, 0)
        truth.bad_rows.setdefault(source, 0)
    truth.finish(cfg, seed, people, lk, {
        "value_tier": activity.tier.astype("int8"),
        "churned": activity.churned,
    })
    return GenerationReport(
        scale=scale,
        seed=seed,
        out=out,
        people=people.n,
        rows=dict(sorted(truth.rows.items())),
        bad_rows=dict(sorted(truth.bad_rows.items())),
        seconds=round(time.perf_counter() - started, 3),
    )
