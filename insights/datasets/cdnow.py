"""CDNOW: 69,659 real purchases of 23,570 customers (1997-01 to 1998-06), the classic CLV data set.

The file ships inside the `lifetimes` package (CDNOW_master.txt: customer id, date yyyyMMdd,
number of CDs, dollar value), so loading it needs no network. `write_cdnow` turns it into the
source files of examples/cdnow: customers/customers.csv and purchases/purchases.csv.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import pandas as pd

CUSTOMERS, PURCHASES, TRUTH = "customers", "purchases", "_truth"
CALIBRATION_END = "1997-09-30"  # the classic split: 39 weeks of calibration, then 39 weeks of holdout
HOLDOUT_END = "1998-06-30"


def master_file() -> Path:
    """CDNOW_master.txt inside the installed lifetimes package."""
    return Path(str(files("lifetimes").joinpath("datasets", "CDNOW_master.txt")))


def read_transactions() -> pd.DataFrame:
    """customer_id (5 digits), date (datetime), cds, amount: one row per transaction, file order."""
    frame = pd.read_csv(master_file(), sep=r"\s+", header=0, names=["customer_id", "date", "cds", "amount"],
                        dtype={"customer_id": str, "date": str, "cds": "int64", "amount": "float64"})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


@dataclass(frozen=True)
class CdnowReport:
    """What write_cdnow wrote."""

    out: Path
    customers: int
    transactions: int
    first: str
    last: str
    seconds: float


def write_cdnow(out: str | Path) -> CdnowReport:
    """customers/customers.csv, purchases/purchases.csv and _truth/manifest.json under `out`."""
    started = time.perf_counter()
    out = Path(out)
    for folder in (CUSTOMERS, PURCHASES, TRUTH):
        (out / folder).mkdir(parents=True, exist_ok=True)
    tx = read_transactions()
    tx["purchase_id"] = tx["customer_id"] + "-" + (tx.groupby("customer_id").cumcount() + 1).map("{:03d}".format)
    customers = tx.groupby("customer_id", as_index=False)["date"].min().rename(columns={"date": "first_purchase"})
    customers["first_purchase"] = customers["first_purchase"].dt.strftime("%Y-%m-%d")
    customers.to_csv(out / CUSTOMERS / "customers.csv", index=False)
    purchases = tx.assign(date=tx["date"].dt.strftime("%Y%m%d"))[["purchase_id", "customer_id", "date", "cds", "amount"]]
    purchases.to_csv(out / PURCHASES / "purchases.csv", index=False)
    manifest = {
        "dataset": "cdnow",
        "source": f"lifetimes {version('lifetimes')} datasets/CDNOW_master.txt",
        "customers": int(len(customers)),
        "transactions": int(len(tx)),
        "first": f"{tx['date'].min():%Y-%m-%d}",
        "last": f"{tx['date'].max():%Y-%m-%d}",
        "rows": {"cdnow_customers": int(len(customers)), "cdnow_purchases": int(len(tx))},
        "bad_rows": {"cdnow_customers": 0, "cdnow_purchases": 0},
    }
    (out / TRUTH / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return CdnowReport(out, manifest["customers"], manifest["transactions"], manifest["first"], manifest["last"],
                       round(time.perf_counter() - started, 3))
