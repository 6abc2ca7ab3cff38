"""A tiny gold/customer_360 and gold/customer_timeline (plus silver/customer, gold/customer_ids), written by delta-rs.

The tables have gold/customer_360's columns and types (as jobs/customer_360.py writes them on
Spark); `insights customer` tests read them without Spark.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

TS = pa.timestamp("us", tz="UTC")
ATTRIBUTES = {  # the retail model's customer attributes and their Arrow types
    "first_name": pa.string(), "last_name": pa.string(), "email": pa.string(), "phone": pa.string(),
    "birth_date": pa.date32(), "street": pa.string(), "city": pa.string(), "postcode": pa.string(),
    "country": pa.string(), "loyalty_number": pa.string(), "loyalty_tier": pa.string(),
    "home_store": pa.string(), "created_at": TS,
}
KPIS = {"lifetime_spend": pa.float64(), "order_count": pa.int64(), "last_channel": pa.string(),
        "latest_nps": pa.float64()}
TYPES = ["purchase", "purchase_line", "support_case", "survey_response", "web_visit"]
RECORDS = pa.list_(pa.struct([("record_id", pa.string()), ("source", pa.string()), ("source_key", pa.string())]))
SEGMENTS = pa.list_(pa.struct([("segment", pa.string()), ("since", TS)]))
SCORES = pa.list_(pa.struct([("prediction", pa.string()), ("score", pa.float64()), ("model_name", pa.string()),
                             ("model_version", pa.int64()), ("grade", pa.string()), ("scored_at", TS)]))
EVENT = pa.struct([("occurred_at", TS), ("interaction_type", pa.string()), ("record_id", pa.string()),
                   ("source", pa.string()), ("channel", pa.string()), ("amount", pa.float64())])
STORE = pa.struct([("record_id", pa.string()), ("store_code", pa.string()), ("name", pa.string()),
                   ("city", pa.string()), ("country", pa.string()), ("opened_on", pa.date32())])
AT = datetime(2026, 6, 28, tzinfo=UTC)
TIMELINE_LENGTH = 3  # the nested timeline keeps the newest three (the workspace key, small for the test)

PEOPLE = [  # customer_id, first, last, email, phone, postcode, crm key, a second (web) record's email or None
    ("C0001", "Joshua", "Williams", "williams.joshua@btinternet.com", "+447356951766", "LS1 4AB", "C01",
     "josh.w@gmail.com"),
    ("C0002", "Stuart", "Lee", "s.lee@outlook.com", "+447285958086", "EH1 1AA", "C02", None),
    ("C0003", "Margaret", "Thompson", "maggie.t@yahoo.co.uk", "+447700900123", "M1 2CD", "C03", None),
    ("C0004", "Joshua", "Wilson", "jwilson@example.com", None, "LS2 9ZZ", "C04", "s.lee@outlook.com"),  # shared
    ("C0005", "Priya", "Patel", "priya.patel@gmail.com", "+447911123456", "B1 1AA", "C05", "priya.p@work.co.uk"),
]


def _events(i: int) -> list[dict]:
    """Customer i's interactions: 2 to 8 of them, a day apart, the newest two at the same time."""
    base, count = AT - timedelta(days=30), i % 7 + 2
    rows = []
    for n in range(count):
        kind = TYPES[n % len(TYPES)]
        rows.append({"occurred_at": base + timedelta(days=min(n, count - 2)), "interaction_type": kind,
                     "record_id": f"pos:{i}-{n}", "source": "pos_transactions", "source_key": f"{i}-{n}",
                     "channel": "store" if kind == "purchase" else None,
                     "amount": 10.0 * (n + 1) if kind == "purchase" else None})
    return rows


def newest(events: list[dict], length: int) -> list[dict]:
    """Newest first, ties by type then record_id descending (as jobs/customer_360.py orders them)."""
    return sorted(events, key=lambda e: (e["occurred_at"], e["interaction_type"], e["record_id"]), reverse=True)[:length]


def _row(i: int, person: tuple) -> dict:
    cid, first, last, email, phone, postcode, crm, second = person
    crm_id = f"crm_contacts:{crm}"
    values = {"first_name": first, "last_name": last, "email": email, "phone": phone,
              "birth_date": date(1950 + i % 50, 1 + i % 12, 10), "street": f"{i} Mill Lane", "city": "Leeds",
              "postcode": postcode, "country": "GB", "loyalty_number": f"L{i:04d}" if i % 2 else None,
              "loyalty_tier": "gold" if i % 2 else None, "home_store": "S01" if i < 3 else None,
              "created_at": AT - timedelta(days=400 + i)}
    row = {"customer_id": cid, "record_count": 2 if second else 1,
           "sources": ["crm_contacts", "webshop_accounts"] if second else ["crm_contacts"], "last_updated": AT}
    for name, value in values.items():
        row[name], row[f"{name}_source"] = value, (crm_id if value is not None else None)
    records = [{"record_id": crm_id, "source": "crm_contacts", "source_key": crm}]
    if second:
        records.append({"record_id": f"webshop_accounts:W{i}", "source": "webshop_accounts", "source_key": f"W{i}"})
    row["records"] = records
    row |= {"kpi_lifetime_spend": 100.5 * i if i else float("nan"), "kpi_order_count": i,
            "kpi_last_channel": "store" if i else None, "kpi_latest_nps": None if i == 2 else float(i), "kpis_as_of": AT}
    row["segments"] = [{"segment": "loyal", "since": AT - timedelta(days=i)}] if i % 2 == 0 else []
    row["scores"] = [{"prediction": "churn_90d", "score": 0.1 * (i + 1), "model_name": "retail.churn_90d",
                      "model_version": 3, "grade": "beats_baseline", "scored_at": AT}]
    events = _events(i)
    row |= {f"{t}_count": sum(e["interaction_type"] == t for e in events) for t in TYPES}
    row["related_home_store"] = ({"record_id": "stores:S01", "store_code": "S01", "name": "Leeds Briggate",
                                  "city": "Leeds", "country": "GB", "opened_on": date(2010, 5, 1)}
                                 if row["home_store"] else None)
    row["timeline"] = [{k: e[k] for k in EVENT.names} for e in newest(events, TIMELINE_LENGTH)]
    row |= {"_row_hash": f"h{i}", "updated_at": AT}
    return row


def customer_360_schema() -> pa.Schema:
    fields = [("customer_id", pa.string()), ("record_count", pa.int64()), ("sources", pa.list_(pa.string())),
              ("last_updated", TS)]
    for name, kind in ATTRIBUTES.items():
        fields += [(name, kind), (f"{name}_source", pa.string())]
    fields += [("records", RECORDS), *[(f"kpi_{k}", t) for k, t in KPIS.items()], ("kpis_as_of", TS),
               ("segments", SEGMENTS), ("scores", SCORES), *[(f"{t}_count", pa.int64()) for t in TYPES],
               ("related_home_store", STORE), ("timeline", pa.list_(EVENT)), ("_row_hash", pa.string()),
               ("updated_at", TS)]
    return pa.schema(fields)


def write_customer_lake(lake: Path, people: list[tuple] = PEOPLE) -> None:
    """gold/customer_360, gold/customer_timeline, gold/customer_ids and silver/customer for these people."""
    rows = [_row(i, p) for i, p in enumerate(people)]
    write_deltalake(str(lake / "gold" / "customer_360"), pa.Table.from_pylist(rows, customer_360_schema()))
    timeline = [{"customer_id": p[0], **e} for i, p in enumerate(people) for e in _events(i)]
    timeline_schema = pa.schema([("customer_id", pa.string()), ("interaction_type", pa.string()),
                                 ("record_id", pa.string()), ("source", pa.string()), ("source_key", pa.string()),
                                 ("occurred_at", TS), ("channel", pa.string()), ("amount", pa.float64())])
    write_deltalake(str(lake / "gold" / "customer_timeline"), pa.Table.from_pylist(timeline, timeline_schema))
    ids, profiles = [], []
    for row, person in zip(rows, people, strict=True):
        for record in row["records"]:
            web = record["source"] == "webshop_accounts"
            ids.append({"record_id": record["record_id"], "customer_id": row["customer_id"], "source": record["source"]})
            profiles.append({"record_id": record["record_id"], "source": record["source"],
                             "source_key": record["source_key"], "first_name": row["first_name"],
                             "last_name": row["last_name"], "email": person[7] if web else row["email"],
                             "phone": None if web else row["phone"]})
    write_deltalake(str(lake / "gold" / "customer_ids"), pa.Table.from_pylist(ids))
    write_deltalake(str(lake / "silver" / "customer"), pa.Table.from_pylist(profiles))
