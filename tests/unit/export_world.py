"""A tiny gold lake written with delta-rs (no Spark) and a retail workspace whose access.yaml has a masked role with identity."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime
from pathlib import Path

import deltalake
import pandas as pd
import pyarrow as pa

from schemas.tables import Lake
from tests.unit.access_world import ADMIN, READER
from tests.unit.workspace_edits import copy_retail, edit

SALT = "retail-example-salt-change-me"  # examples/retail/access.yaml's salt
PARTNER = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b"  # reads identity tables, email hashed, phone null
PARTNER_360 = "6d7e8f9a-0b1c-4d2e-9f3a-4b5c6d7e8f9a"  # everything; email, home store's name, purchase amount hashed
__all__ = ["ADMIN", "PARTNER", "PARTNER_360", "READER", "SALT", "hashed", "gold_lake", "partner_workspace"]


def hashed(value: str) -> str:
    """HMAC-SHA256 of the value with the example's salt, computed here, not by schemas/masking.py."""
    return hmac.new(SALT.encode(), value.encode(), hashlib.sha256).hexdigest()


def partner_workspace(tmp: Path) -> Path:
    """The retail workspace with a `partner` role: identity tables, email hashed, phone nulled."""
    folder = copy_retail(tmp)

    def add_partner(access: dict) -> None:
        access["roles"]["partner"] = {"profiles": ["*"], "interactions": ["purchase"], "identity": True,
                                      "masks": {"email": "hash", "phone": "null"}}
        access["principals"][PARTNER] = {"kind": "service_principal", "role": "partner", "name": "Partner feed"}
        every = {k: ["*"] for k in ("profiles", "interactions", "kpis", "segments", "predictions")}
        access["roles"]["partner_360"] = {**every, "identity": True, "customer_360": True,
                                          "masks": {"email": "hash", "store.name": "hash", "phone": "null",
                                                    "purchase.amount": "hash", "channel": "null"}}
        access["principals"][PARTNER_360] = {"kind": "service_principal", "role": "partner_360"}

    edit(folder, "access.yaml", add_partner)
    return folder


def golden_frame(n: int) -> pd.DataFrame:
    ids = [f"C{i:04d}" for i in range(n)]
    return pd.DataFrame({
        "customer_id": ids, "record_count": [1 + i % 3 for i in range(n)],
        "first_name": [f"Ann{i}" for i in range(n)], "first_name_source": ["crm_contacts"] * n,
        "email": [None if i == 3 else f"ann{i}@example.com" for i in range(n)], "email_source": ["crm_contacts"] * n,
        "phone": [f"+4420794600{i:02d}" for i in range(n)], "phone_source": ["webshop_accounts"] * n,
        "last_updated": [datetime(2026, 11, 1, 12, i % 60) for i in range(n)],
    })


def gold_lake(root: Path, customers: int = 7) -> Lake:
    """gold/golden_customer (two commits), customer_ids, segment_sizes, customer_360, customer_timeline, daily_activity."""
    lake = Lake(str(root))
    golden = golden_frame(customers)
    deltalake.write_deltalake(lake.gold("golden_customer"), golden.iloc[:3])
    deltalake.write_deltalake(lake.gold("golden_customer"), golden.iloc[3:], mode="append")
    ids = pd.DataFrame({"record_id": [f"crm_contacts:{c}" for c in golden.customer_id], "customer_id": golden.customer_id,
                        "source": ["crm_contacts"] * customers})
    deltalake.write_deltalake(lake.gold("customer_ids"), ids)
    sizes = pa.table({"segment": ["vip", "lapsed"], "size": pa.array([2, 5], pa.int64()),
                      "members": [["C0001", "C0002"], ["C0003"]]})
    deltalake.write_deltalake(lake.gold("segment_sizes"), sizes)
    deltalake.write_deltalake(lake.gold("customer_360"), customer_360(golden))
    deltalake.write_deltalake(lake.gold("customer_timeline"), pa.Table.from_pylist(
        [{"customer_id": c, **e} for c in golden.customer_id[:2] for e in EVENTS], TIMELINE_ROW))
    deltalake.write_deltalake(lake.gold("daily_activity"), pd.DataFrame({  # web_visit has no channel: 'unknown'
        "day": [date(2026, 11, 1)] * 3, "interaction_type": ["purchase", "support_case", "web_visit"],
        "channel": ["store", "phone", "unknown"], "interactions": [4, 1, 9], "customers": [3, 1, 5]}))
    return lake


EVENT = pa.struct([("interaction_type", pa.string()), ("record_id", pa.string()), ("channel", pa.string()),
                   ("amount", pa.float64())])
TIMELINE_ROW = pa.schema([("customer_id", pa.string()), *EVENT])
EVENTS = [  # a purchase (amount hashed), a line (line_amount not masked), a support case (no amount); channel nulled
    {"interaction_type": "purchase", "record_id": "pos:1", "channel": "store", "amount": 12.5},
    {"interaction_type": "purchase_line", "record_id": "pos:1-1", "channel": None, "amount": 3.0},
    {"interaction_type": "support_case", "record_id": "desk:7", "channel": "phone", "amount": None},
]


def customer_360(golden: pd.DataFrame) -> pa.Table:
    """The golden columns, source records, the related home store (a struct, null for one customer), the timeline."""
    n = len(golden)
    store = pa.struct([("record_id", pa.string()), ("store_code", pa.string()), ("name", pa.string()),
                       ("city", pa.string())])
    stores = [None if i == 2 else {"record_id": f"stores:S{i % 2}", "store_code": f"S{i % 2}",
                                   "name": f"Store {i % 2}", "city": "Leeds"} for i in range(n)]
    records = pa.list_(pa.struct([("record_id", pa.string()), ("source", pa.string())]))
    timeline = [EVENTS if i % 2 else EVENTS[:1] for i in range(n)]
    return pa.table({
        "customer_id": golden.customer_id.tolist(), "email": golden.email.tolist(),
        "email_source": golden.email_source.tolist(), "phone": golden.phone.tolist(),
        "related_home_store": pa.array(stores, store),
        "records": pa.array([[{"record_id": f"crm_contacts:{c}", "source": "crm_contacts"}]
                             for c in golden.customer_id], records),
        "timeline": pa.array(timeline, pa.list_(EVENT)),
    })
