"""The KPI benchmark's independent reference: the 50-KPI set as DuckDB SQL written by hand.

The engine under test compiles kpis.yaml with sqlglot (jobs/kpis/compile.py) and computes window
bounds in Python (jobs/kpis/windows.py). A reference that reused either could not catch a bug in
them, so this one uses neither: every KPI of `kpi_set(50)` is spelt out below as DuckDB SQL, with
its window written from docs/workspace.md ("the N days before as_of", "the month as_of falls in, up
to as_of", "the last complete month before it"; as_of exclusive) in DuckDB's own date arithmetic,
and its value for a customer without purchases written out too (counts 0, sums and averages NULL).
"""

from __future__ import annotations

import os

AS_OF = "TIMESTAMP '2026-06-30 00:00:00'"  # kpi_sets.AS_OF at UTC midnight
WINDOWS = {  # the condition on occurred_at, besides occurred_at < as_of
    "all": "true",
    "30d": f"occurred_at >= {AS_OF} - INTERVAL 30 DAY",
    "90d": f"occurred_at >= {AS_OF} - INTERVAL 90 DAY",
    "365d": f"occurred_at >= {AS_OF} - INTERVAL 365 DAY",
    "this_month": f"occurred_at >= date_trunc('month', {AS_OF})",
    "last_month": f"occurred_at >= date_trunc('month', {AS_OF}) - INTERVAL 1 MONTH "
                  f"AND occurred_at < date_trunc('month', {AS_OF})",
}
FILTERS = {"": "true", "_web": "channel = 'web'"}
# name -> (aggregate over the rows a condition admits, value without purchases); {c} is the condition
AGGREGATES = {
    "orders": ("count(*) FILTER (WHERE {c})", "0"),
    "returns": ("count(*) FILTER (WHERE {c} AND status = 'returned')", "0"),
    "spend": ("coalesce(sum(amount) FILTER (WHERE {c}), 0)", "0"),
    "avg_amount": ("avg(amount) FILTER (WHERE {c})", "NULL"),
}
FIXED = {
    "lifetime_spend": ("sum(amount) FILTER (WHERE status = 'completed')", "NULL"),
    "orders_last_90_days": (f"count(*) FILTER (WHERE {WINDOWS['90d']})", "0"),
    "average_order_value": ("avg(amount) FILTER (WHERE status = 'completed')", "NULL"),
    "days_since_last_purchase": ("date_diff('day', CAST(max(occurred_at) AS DATE), DATE '2026-06-30')", "NULL"),
    "last_channel": ("arg_max(channel, occurred_at)", "NULL"),
    "stores_visited": ("count(DISTINCT store_record_id)", "0"),
    "first_channel": ("arg_min(channel, occurred_at)", "NULL"),
}
RATIOS = {
    "return_rate": "returns_all / nullif(orders_all, 0)",
    "web_share": "orders_all_web / nullif(orders_all, 0)",
}


def reference_kpis(names: list[str]) -> dict[str, tuple[str, str]]:
    """The aggregate KPIs among `names` as (DuckDB aggregate, value without purchases)."""
    written = dict(FIXED)
    for agg, (template, empty) in AGGREGATES.items():
        for win, window in WINDOWS.items():
            for suffix, where in FILTERS.items():
                written[f"{agg}_{win}{suffix}"] = (template.format(c=f"({window}) AND ({where})"), empty)
    missing = [n for n in names if n not in written and n not in RATIOS]
    if missing:
        raise ValueError(f"no hand-written reference for KPIs {missing}: add them to insights/bench/kpi_reference.py")
    return {n: written[n] for n in names if n in written}


def reference_query(names: list[str]) -> str:
    """One DuckDB query: every customer of silver/customer with the KPIs `names`, over `purchases`."""
    aggregates = reference_kpis(names)
    computed = ",\n  ".join(f'{sql} AS "{n}"' for n, (sql, _) in aggregates.items())
    filled = ",\n  ".join(f'coalesce(a."{n}", {empty}) AS "{n}"' if empty != "NULL" else f'a."{n}"'
                          for n, (_, empty) in aggregates.items())
    ratios = "".join(f',\n  {RATIOS[n]} AS "{n}"' for n in names if n in RATIOS)
    return f"""
WITH agg AS (
  SELECT customer_record_id AS customer_id,
  {computed}
  FROM purchases
  WHERE customer_record_id IS NOT NULL AND occurred_at < {AS_OF}
  GROUP BY customer_record_id
),
filled AS (
  SELECT p.customer_id,
  {filled}
  FROM (SELECT DISTINCT record_id AS customer_id FROM customers) p
  LEFT JOIN agg a ON a.customer_id = p.customer_id
)
SELECT *{ratios} FROM filled"""


def duckdb_reference(purchases, customers, names: list[str]):
    """The KPIs `names` of every customer, as an Arrow table, from pyarrow datasets of silver/purchase and silver/customer."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET threads = {os.cpu_count()}")
    con.register("purchases", purchases)
    con.register("customers", customers)
    return con.sql(reference_query(names)).to_arrow_table()
