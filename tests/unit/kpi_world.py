"""A hand-made world for KPI and segment tests: a small model, silver tables written as silver does."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml
from pyspark.sql import SparkSession

from jobs.silver import create_silver_table, merge_into, silver_columns, silver_schema
from schemas.loader import load_workspace
from schemas.tables import Lake

MODEL = {
    "profiles": {
        "customer": {"primary": True, "attributes": {"tier": {"type": "string"}}},
        "store": {"attributes": {"code": {"type": "string"}}},
    },
    "interactions": {
        "purchase": {
            "attributes": {"amount": {"type": "double"}, "status": {"type": "string"},
                           "channel": {"type": "string"}},
            "links": {"customer": {"profile": "customer"}, "store": {"profile": "store"}},
        },
        "web_visit": {
            "attributes": {"page": {"type": "string"}},
            "links": {"customer": {"profile": "customer"}},
        },
    },
}

KPIS = {
    "as_of": "2026-06-30",
    "kpis": {
        "spend": {"interaction": "purchase", "expr": "sum(amount)", "filter": "status = 'completed'"},
        "orders": {"interaction": "purchase", "expr": "count(*)", "filter": "status = 'completed'"},
        "orders_30d": {"interaction": "purchase", "expr": "count(*)", "window": {"last_days": 30}},
        "spend_last_month": {"interaction": "purchase", "expr": "coalesce(sum(amount), 0)",
                             "window": {"calendar": "month", "periods_back": 1}},
        "avg_order": {"interaction": "purchase", "expr": "avg(amount)"},
        "channels": {"interaction": "purchase", "expr": "count(distinct channel)"},
        "last_channel": {"interaction": "purchase", "expr": "max_by(channel, occurred_at)"},
        "days_since_last": {"interaction": "purchase", "expr": "datediff(as_of, max(occurred_at))"},
        "visits": {"interaction": "web_visit", "expr": "count(*)"},
        "spend_per_visit": {"expr": "spend / nullif(visits, 0)"},
        "revenue": {"interaction": "purchase", "grain": "business", "time_grain": "month",
                    "expr": "sum(amount)", "filter": "status = 'completed'"},
        "orders_by_channel": {"interaction": "purchase", "grain": "business", "time_grain": "month",
                              "dimension": "channel", "expr": "count(*)"},
        "buyers": {"interaction": "purchase", "grain": "business", "time_grain": "week",
                   "expr": "count(distinct customer_id)"},
        "business_aov": {"grain": "business", "time_grain": "month", "expr": "revenue / nullif(orders_m, 0)"},
        "orders_m": {"interaction": "purchase", "grain": "business", "time_grain": "month", "expr": "count(*)",
                     "filter": "status = 'completed'"},
    },
}

SEGMENTS = {
    "segments": {
        "big": {"kpi": "spend", "op": ">=", "value": 100},
        "gold": {"attribute": "tier", "op": "=", "value": "gold"},
        "recent": {"event": {"interaction": "purchase", "within_days": 30}},
        "browsers": {"all": [{"event": {"interaction": "web_visit", "where": "page = '/sale'", "at_least": 2}},
                             {"not": {"segment": "big"}}]},
    }
}


def make_workspace(folder: Path, kpis: dict | None = None, segments: dict | None = None):
    """A workspace folder with the model, KPIs and segments above (no sources: silver is written directly)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"workspace.yaml": {"name": "world"}, "model.yaml": MODEL, "sources.yaml": {"sources": {}},
             "kpis.yaml": kpis or KPIS, "segments.yaml": segments or SEGMENTS}
    for name, content in files.items():
        (folder / name).write_text(yaml.safe_dump(content, sort_keys=False))
    return load_workspace(folder)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def write_silver(spark: SparkSession, workspace, lake: Lake, type_name: str, rows: list[dict], batch: int = 1) -> None:
    """Upsert rows (record_id and attributes; links as <role>_record_id) into a silver table, as silver does."""
    model = workspace.model
    schema = silver_schema(model, type_name)
    columns = silver_columns(model, type_name)
    now = datetime.now(UTC)
    full = []
    for row in rows:
        values = {c: row.get(c) for c in columns}
        values.update(source="test", source_key=row["record_id"], _batch_id=batch, _ingested_at=now, _updated_at=now)
        values["_row_hash"] = hashlib.sha256(json.dumps(row, default=str, sort_keys=True).encode()).hexdigest()
        full.append(tuple(values[c] for c in columns))
    path = lake.silver(type_name)
    create_silver_table(spark, path, schema)
    merge_into(spark, spark.createDataFrame(full, schema), path, type_name)


def silver_pandas(spark: SparkSession, lake: Lake, type_name: str) -> pd.DataFrame:
    """A silver table as pandas with UTC-aware timestamps."""
    frame = spark.read.format("delta").load(lake.silver(type_name)).toPandas()
    if "occurred_at" in frame:
        frame["occurred_at"] = pd.to_datetime(frame["occurred_at"]).dt.tz_localize("UTC")
    return frame


CUSTOMERS = [{"record_id": f"c:{i}", "tier": "gold" if i % 3 == 0 else "silver"} for i in range(1, 8)]
PURCHASES = [
    # customer 1: steady buyer, one cancelled order
    {"record_id": "p:1", "customer_record_id": "c:1", "amount": 60.0, "status": "completed", "channel": "web",
     "occurred_at": ts("2026-01-10 10:00")},
    {"record_id": "p:2", "customer_record_id": "c:1", "amount": 45.5, "status": "completed", "channel": "store",
     "store_record_id": "s:1", "occurred_at": ts("2026-05-20 09:00")},
    {"record_id": "p:3", "customer_record_id": "c:1", "amount": 12.0, "status": "cancelled", "channel": "web",
     "occurred_at": ts("2026-06-25 18:30")},
    # customer 2: one big order last month, a future one (after as_of) that must not count
    {"record_id": "p:4", "customer_record_id": "c:2", "amount": 150.0, "status": "completed", "channel": "store",
     "store_record_id": "s:2", "occurred_at": ts("2026-05-31 23:59")},
    {"record_id": "p:5", "customer_record_id": "c:2", "amount": 999.0, "status": "completed", "channel": "web",
     "occurred_at": ts("2026-07-02 08:00")},
    # customer 3: null amount
    {"record_id": "p:6", "customer_record_id": "c:3", "amount": None, "status": "completed", "channel": "web",
     "occurred_at": ts("2026-06-29 23:59")},
    # anonymous purchase: business KPIs only
    {"record_id": "p:7", "customer_record_id": None, "amount": 30.0, "status": "completed", "channel": "store",
     "store_record_id": "s:1", "occurred_at": ts("2026-06-01 12:00")},
    # customer 4: old only
    {"record_id": "p:8", "customer_record_id": "c:4", "amount": 20.0, "status": "returned", "channel": "web",
     "occurred_at": ts("2025-02-01 12:00")},
]
VISITS = [
    {"record_id": f"v:{i}", "customer_record_id": cid, "page": page, "occurred_at": ts(at)}
    for i, (cid, page, at) in enumerate([
        ("c:1", "/sale", "2026-06-01 10:00"), ("c:5", "/sale", "2026-06-02 10:00"), ("c:5", "/sale", "2026-06-03 10:00"),
        ("c:5", "/", "2026-06-04 10:00"), ("c:6", "/sale", "2026-06-05 10:00"), (None, "/sale", "2026-06-06 10:00"),
    ])
]


def build(spark: SparkSession, folder: Path):
    """The workspace and its lake with customers, purchases and visits."""
    workspace = make_workspace(folder / "ws")
    lake = Lake(str(folder / "lake"))
    write_silver(spark, workspace, lake, "customer", CUSTOMERS)
    write_silver(spark, workspace, lake, "purchase", PURCHASES)
    write_silver(spark, workspace, lake, "web_visit", VISITS)
    return workspace, lake
