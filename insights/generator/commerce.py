"""Purchases: web orders with their lines, and till transactions in stores.

Spend follows the person's value tier; orders come from web-shop accounts, card-carrying
transactions from loyalty members, the rest of the till is anonymous.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from insights.generator.activity import STORE_HOURS, WEB_HOURS, Activity, draw_times
from insights.generator.badrows import json_truncated, required_empty
from insights.generator.catalog import Products, Stores
from insights.generator.chunks import KeySequence, plan_chunks
from insights.generator.countries import COUNTRIES, GB
from insights.generator.people import People
from insights.generator.profiles import LOYALTY, WEB, Registry
from insights.generator.scales import AS_OF_S, HISTORY_START_S, MIX, Scale
from insights.generator.streams import spread, stream, weighted
from insights.generator.text import cat, keys, money, numbers, strings, take, timestamps
from insights.generator.truth import Truth
from insights.generator.writers import json_line, json_members, json_raw, json_string, merge, part_name
from insights.generator.writers import write_lines, write_parquet

ORDERS, LINES, POS = "web_orders", "web_order_lines", "pos_transactions"
CURRENCY = strings([c.currency for c in COUNTRIES])
FX = np.array([c.fx for c in COUNTRIES])
STATUSES = strings(["completed", "returned", "cancelled"])
STATUS_SHARE = np.array([0.90, 0.06, 0.04])
EXTRA_LINES = np.array([0.7, 1.1, 1.7])  # mean extra lines per order by value tier
PRICE_TILT = np.array([-0.6, 0.0, 0.6])  # low tiers buy cheaper products, high tiers dearer
QTY_SHARE = np.array([0.80, 0.14, 0.04, 0.02])
BASKET_MEDIAN_GBP = np.array([12.0, 25.0, 55.0])
SECOND_ACCOUNT_USE = 0.4  # orders placed on a person's second account once it exists


def ts_us(seconds: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(seconds, dtype=np.int64) * 1_000_000, pa.timestamp("us", tz="UTC"))


def _which_key(rng: np.random.Generator, registry: Registry, source: str, person: np.ndarray,
               ts: np.ndarray, second_share: float) -> np.ndarray:
    """The person's record a row points at: the second one sometimes, once it exists."""
    second = registry.second_key[source][person]
    use = (second >= 0) & (ts >= registry.second_created_s[source][person]) & (rng.random(len(person)) < second_share)
    return np.where(use, second, registry.first_key[source][person])


@dataclass(frozen=True)
class Basket:
    """Lines of a set of orders (line arrays are grouped by order, in order)."""

    order: np.ndarray  # order index per line
    line_no: np.ndarray
    product: np.ndarray
    qty: np.ndarray
    unit_cents: np.ndarray
    lines_per_order: np.ndarray
    total_cents: np.ndarray


def _product_choice(products: Products) -> list[np.ndarray]:
    """Product weights per value tier: popularity tilted towards cheaper or dearer products."""
    price = products.price_cents / products.price_cents.mean()
    return [products.popularity * price**tilt for tilt in PRICE_TILT]


def make_baskets(rng: np.random.Generator, tier: np.ndarray, country: np.ndarray, products: Products) -> Basket:
    """Lines per order by tier; unit price in the order's currency, some lines discounted."""
    n = len(tier)
    lines = 1 + np.minimum(rng.poisson(EXTRA_LINES[tier]), 9)
    order = np.repeat(np.arange(n), lines)
    starts = np.cumsum(lines) - lines
    line_no = np.arange(len(order)) - np.repeat(starts, lines) + 1
    product = np.zeros(len(order), dtype=np.int64)
    line_tier = tier[order]
    for t, w in enumerate(_product_choice(products)):
        sel = np.flatnonzero(line_tier == t)
        product[sel] = weighted(rng, w, len(sel))
    qty = 1 + weighted(rng, QTY_SHARE, len(order))
    discount = np.where(rng.random(len(order)) < 0.10, rng.uniform(0.7, 0.9, len(order)), 1.0)
    unit = np.round(products.price_cents[product] * FX[country[order]] * discount).astype(np.int64)
    total = np.bincount(order, weights=qty * unit, minlength=n).astype(np.int64)
    return Basket(order, line_no, product, qty, unit, lines, total)


def write_web_orders(out: Path, seed: int, scale: Scale, people: People, activity: Activity,
                     registry: Registry, products: Products, truth: Truth,
                     progress: Callable[[str], None]) -> None:
    """webshop/orders/orders_NNNN.jsonl and webshop/order_lines/lines_NNNN.parquet, part by part."""
    rng = stream(seed, f"{ORDERS}/plan")
    since = registry.first_created_s[WEB]
    weight = np.where(since >= 0, activity.weight(since), 0.0)
    counts = spread(rng, weight, MIX.web_orders * scale.people * scale.interactions_per_person)
    bad_total = scale.bad_rows(counts.sum())
    chunks = plan_chunks(rng, counts, 0, 1.0 + EXTRA_LINES.mean(), scale.part_rows, bad_total)
    lo_all, hi_all = activity.window(since)
    seq = KeySequence()
    total_orders = total_lines = 0
    for ch in chunks:
        rng = stream(seed, ORDERS, ch.part)
        person = np.repeat(ch.persons, counts[ch.persons])
        ts = draw_times(rng, lo_all[person], hi_all[person], WEB_HOURS)
        order = np.argsort(ts, kind="stable")
        person, ts = person[order], ts[order]
        n = len(person)
        account = _which_key(rng, registry, WEB, person, ts, SECOND_ACCOUNT_USE)
        country = people.country[person]
        basket = make_baskets(rng, activity.tier[person], country, products)
        status = weighted(rng, STATUS_SHARE, n)
        good_keys, bad_keys, bad_at = seq.allocate(rng, n, ch.bad)
        order_id = keys("O", good_keys, 9)
        account_id = registry.key_text(WEB, account)
        when = timestamps(ts, "%Y-%m-%dT%H:%M:%SZ")
        members = json_members([
            ("order_id", json_string(order_id)),
            ("account_id", json_string(account_id)),
            ("ordered_at", json_string(when)),
            ("total", json_raw(money(basket.total_cents))),
            ("currency", json_string(take(CURRENCY, country))),
            ("items", json_raw(numbers(basket.lines_per_order))),
            ("status", json_string(take(STATUSES, status))),
        ])
        template = rng.integers(0, n, len(bad_keys))
        bad_id = keys("O", bad_keys, 9)
        bad_members = [cat('"order_id": ', json_string(bad_id))] + [take(m, template) for m in members[1:]]
        bad_lines, problems = json_truncated(rng, bad_members)
        rel = f"webshop/orders/{part_name('orders', ch.part, 'jsonl')}"
        write_lines(out / rel, merge(json_line(members), bad_lines, bad_at))
        truth.bad(ORDERS, rel, bad_id, problems)

        line_order = basket.order
        lines = pa.table({
            "order_id": take(order_id, line_order),
            "line_no": pa.array(basket.line_no.astype(np.int32)),
            "account_id": take(account_id, line_order),
            "ordered_at": ts_us(ts[line_order]),
            "sku": take(products.sku, basket.product),
            "qty": pa.array(basket.qty.astype(np.int32)),
            "unit_price": pa.array(basket.unit_cents / 100.0),
        })
        write_parquet(out / "webshop/order_lines" / part_name("lines", ch.part, "parquet"), lines)

        person_ids = people.ids(person)
        truth.interactions(ORDERS, order_id, person_ids)
        truth.interactions(LINES, cat(take(order_id, line_order), "|", numbers(basket.line_no)),
                           take(person_ids, line_order))
        total_orders += n
        total_lines += len(line_order)
    truth.count(ORDERS, total_orders)
    truth.count(LINES, total_lines)
    progress(f"{ORDERS}: {total_orders:,} rows")
    progress(f"{LINES}: {total_lines:,} rows")


def write_pos(out: Path, seed: int, scale: Scale, people: People, activity: Activity, registry: Registry,
              stores: Stores, truth: Truth, progress: Callable[[str], None]) -> None:
    """pos/transactions/transactions_NNNN.parquet: members (card shown or not) and walk-ins."""
    rng = stream(seed, f"{POS}/plan")
    total = MIX.pos_transactions * scale.people * scale.interactions_per_person
    since = registry.first_created_s[LOYALTY]
    weight = np.where(since >= 0, activity.weight(since), 0.0)
    counts = spread(rng, weight, total * (1 - MIX.pos_walk_in_share))
    walk_ins = int(round(total * MIX.pos_walk_in_share))
    bad_total = scale.bad_rows(counts.sum() + walk_ins)
    chunks = plan_chunks(rng, counts, walk_ins, 1.0, scale.part_rows, bad_total)
    lo_all, hi_all = activity.window(since)
    store_codes = strings(stores.code)
    seq = KeySequence()
    written = 0
    for ch in chunks:
        rng = stream(seed, POS, ch.part)
        member = np.repeat(ch.persons, counts[ch.persons])
        m = len(member)
        # members mostly shop at their home store, otherwise at another store in their country
        store = registry.home_store[member].copy()
        away = np.flatnonzero(rng.random(m) < 0.3)
        for ci in range(len(COUNTRIES)):
            sel = away[people.country[member[away]] == ci]
            pool = stores.in_country(ci) if len(stores.in_country(ci)) else stores.in_country(GB)
            store[sel] = pool[weighted(rng, stores.traffic[pool], len(sel))]
        member_ts = draw_times(rng, lo_all[member], hi_all[member], STORE_HOURS)
        shown = rng.random(m) < MIX.card_shown
        card = np.where(shown, _which_key(rng, registry, LOYALTY, member, member_ts, 0.3), -1)

        a = ch.anonymous
        walk_store = weighted(rng, stores.traffic, a)
        walk_ts = draw_times(rng, np.full(a, HISTORY_START_S), np.full(a, AS_OF_S - 60), STORE_HOURS)
        walk_tier = weighted(rng, np.array([0.5, 0.35, 0.15]), a)

        person = np.concatenate([np.where(shown, member, -1), np.full(a, -1)])
        store = np.concatenate([store, walk_store])
        ts = np.concatenate([member_ts, walk_ts])
        card = np.concatenate([card, np.full(a, -1)])
        tier = np.concatenate([activity.tier[member], walk_tier])
        order = np.argsort(ts, kind="stable")
        person, store, ts, card, tier = person[order], store[order], ts[order], card[order], tier[order]
        n = len(ts)
        gbp = rng.lognormal(np.log(BASKET_MEDIAN_GBP[tier]), 0.6)
        store_country = stores.country[store]
        cents = np.maximum(99, np.round(gbp * FX[store_country] * 100)).astype(np.int64)
        items = np.maximum(1, np.round(gbp / rng.uniform(6, 18, n))).astype(np.int32)

        good_keys, bad_keys, bad_at = seq.allocate(rng, n, ch.bad)
        txn_id = keys("T", good_keys, 9)
        template = np.concatenate([np.arange(n), rng.integers(0, n, len(bad_keys))])
        columns = {
            "txn_id": pa.concat_arrays([txn_id, pa.nulls(len(bad_keys), pa.string())]),
            "store_code": take(store_codes, store[template]),
            "member_no": registry.key_text(LOYALTY, card[template]),
            "ts": ts_us(ts[template]),
            "amount": pa.array(cents[template] / 100.0),
            "currency": take(CURRENCY, store_country[template]),
            "items": pa.array(items[template]),
        }
        # file order: bad rows (no txn_id) interleaved at their positions
        index = np.empty(n + len(bad_keys), dtype=np.int64)
        is_bad = np.zeros(n + len(bad_keys), dtype=bool)
        is_bad[bad_at] = True
        index[~is_bad] = np.arange(n)
        index[bad_at] = n + np.arange(len(bad_keys))
        table = pa.table(columns).take(pa.array(index))
        rel = f"pos/transactions/{part_name('transactions', ch.part, 'parquet')}"
        write_parquet(out / rel, table)
        truth.bad(POS, rel, pa.repeat(pa.scalar("", pa.string()), len(bad_keys)), required_empty(len(bad_keys), "txn_id"))
        truth.interactions(POS, txn_id, people.ids(person))
        written += n
    truth.count(POS, written)
    progress(f"{POS}: {written:,} rows")
