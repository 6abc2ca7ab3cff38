"""The benchmark's KPI sets: 5 and 50 realistic customer KPIs over purchases, as kpis.yaml would hold them."""

from __future__ import annotations

from itertools import product

from schemas.kpis import Kpi, KpiFile, Window

INTERACTION = "purchase"
AS_OF = "2026-06-30"  # the generator's fixed end of data, so every run sees the same windows

FIRST_FIVE = {
    "lifetime_spend": Kpi(interaction=INTERACTION, expr="sum(amount)", filter="status = 'completed'"),
    "orders_last_90_days": Kpi(interaction=INTERACTION, expr="count(*)", window=Window(last_days=90)),
    "average_order_value": Kpi(interaction=INTERACTION, expr="avg(amount)", filter="status = 'completed'"),
    "days_since_last_purchase": Kpi(interaction=INTERACTION, expr="datediff(as_of, max(occurred_at))"),
    "last_channel": Kpi(interaction=INTERACTION, expr="max_by(channel, occurred_at)"),
}

AGGREGATES = {
    "orders": "count(*)",
    "returns": "count_if(status = 'returned')",
    "spend": "coalesce(sum(amount), 0)",
    "avg_amount": "avg(amount)",
    "max_amount": "max(amount)",
    "items": "sum(item_count)",
}
WINDOWS = {
    "all": "all_time",
    "30d": Window(last_days=30),
    "90d": Window(last_days=90),
    "365d": Window(last_days=365),
    "this_month": Window(calendar="month"),
    "last_month": Window(calendar="month", periods_back=1),
}
FILTERS = {"": None, "_web": "channel = 'web'"}


def kpi_set(size: int) -> KpiFile:
    """`size` KPIs (5 or 50): the first five of every set, then aggregates x windows x filters and ratios."""
    kpis = dict(FIRST_FIVE)
    if size > len(kpis):
        kpis["stores_visited"] = Kpi(interaction=INTERACTION, expr="count(distinct store)")
        kpis["first_channel"] = Kpi(interaction=INTERACTION, expr="min_by(channel, occurred_at)")
        kpis["return_rate"] = Kpi(expr="returns_all / nullif(orders_all, 0)")
        kpis["web_share"] = Kpi(expr="orders_all_web / nullif(orders_all, 0)")
        for (agg, expr), (win, window), (suffix, where) in product(AGGREGATES.items(), WINDOWS.items(), FILTERS.items()):
            if len(kpis) >= size:
                break
            kpis[f"{agg}_{win}{suffix}"] = Kpi(interaction=INTERACTION, expr=expr, window=window, filter=where)
    chosen = dict(list(kpis.items())[:size])
    missing = {"returns_all", "orders_all", "orders_all_web"} - set(chosen)
    if size > len(FIRST_FIVE) and missing:
        raise ValueError(f"the {size}-KPI set lacks inputs of its ratios: {missing}")
    return KpiFile(as_of=AS_OF, kpis=chosen)
