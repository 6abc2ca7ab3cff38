"""Find customers in gold/customer_360 by ID, email or phone: filtered delta-rs reads, no Spark.

A typed email or phone is first spelt as silver spells it (schemas/formats.py), then matched
against the golden record and against every source record of the primary profile (a person's
second address finds them too), mapped to its customer through gold/customer_ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as ds

from jobs.delta_rs import open_delta
from schemas.catalog import CUSTOMER_360, CUSTOMER_IDS, CUSTOMER_TIMELINE
from schemas.formats import e164, normal_email
from schemas.model import Model
from schemas.tables import CUSTOMER_ID, RECORD_ID, Lake

CONTACT_KINDS = ("email", "phone")


class NotBuilt(LookupError):
    """gold/customer_360 is not in the lake yet: the pipeline has not built it."""


class NotAContact(ValueError):
    """A typed email or phone that silver would not keep, so it can match nobody."""


def open_table(path: str) -> ds.Dataset | None:
    """A Delta table as a pyarrow dataset (files pruned by filters), None if there is no table."""
    table = open_delta(path)
    return None if table is None else table.to_pyarrow_dataset()


@dataclass(frozen=True)
class CustomerLake:
    """The tables `insights customer` reads, under one lake root."""

    lake: Lake

    @property
    def path(self) -> str:
        return self.lake.gold(CUSTOMER_360.name)

    def customer_360(self) -> ds.Dataset:
        """gold/customer_360, or NotBuilt naming the path and the command that builds it."""
        table = open_table(self.path)
        if table is None:
            raise NotBuilt(f"no gold/customer_360 at {self.path} yet: run `insights run` to build it")
        return table

    def timeline(self) -> ds.Dataset | None:
        return open_table(self.lake.gold(CUSTOMER_TIMELINE.name))

    def silver(self, type_name: str) -> ds.Dataset | None:
        return open_table(self.lake.silver(type_name))

    def customer_ids(self) -> ds.Dataset | None:
        return open_table(self.lake.gold(CUSTOMER_IDS.name))


def customer_row(table: ds.Dataset, customer_id: str) -> dict[str, Any] | None:
    """The customer_360 row of one customer as Python values, None if there is none."""
    rows = table.to_table(filter=pc.field(CUSTOMER_ID) == customer_id).to_pylist()
    return rows[0] if rows else None


def spelt_as_silver(kind: str, typed: str, region: str) -> str:
    """The typed email or phone in silver's canonical form, or NotAContact saying why it cannot match."""
    value = normal_email(typed) if kind == "email" else e164(typed, region)
    if value is None:
        what = "an email address" if kind == "email" else f"a phone number (read in region {region})"
        raise NotAContact(f"'{typed}' is not {what} silver would keep, so no customer can have it")
    return value


def contact_columns(model: Model, type_name: str, kind: str) -> list[str]:
    """The type's attributes normalised as that kind (email or phone)."""
    return [name for name, attr in model.attributes_of(type_name).items() if attr.normalize == kind]


def _matching(table: ds.Dataset, columns: list[str], value: str, keep: str) -> set[str]:
    present = [c for c in columns if c in table.schema.names]
    if not present:
        return set()
    condition = reduce(lambda a, b: a | b, [pc.field(c) == value for c in present])
    return {v for v in table.to_table(columns=[keep], filter=condition).column(keep).to_pylist() if v}


def customers_with(tables: CustomerLake, model: Model, kind: str, value: str, records: bool = True) -> list[str]:
    """Customer IDs whose golden record or (records=True) any source record carries the (silver-spelt) email or phone."""
    primary = model.primary_profile
    found = _matching(tables.customer_360(), contact_columns(model, primary, kind), value, CUSTOMER_ID)
    profiles, ids = (tables.silver(primary), tables.customer_ids()) if records else (None, None)
    if profiles is not None and ids is not None:
        records = _matching(profiles, contact_columns(model, primary, kind), value, RECORD_ID)
        if records:
            owners = ids.to_table(columns=[CUSTOMER_ID], filter=pc.field(RECORD_ID).isin(sorted(records)))
            found |= {v for v in owners.column(CUSTOMER_ID).to_pylist() if v}
    return sorted(found)


def timeline_rows(table: ds.Dataset, customer_id: str, limit: int, types: list[str] | None = None) -> list[dict[str, Any]]:
    """One customer's last `limit` interactions from gold/customer_timeline (only of `types` if given), newest first."""
    condition = pc.field(CUSTOMER_ID) == customer_id
    if types is not None:
        condition = condition & pc.field("interaction_type").isin(types)
    rows = table.to_table(filter=condition)
    order = [("occurred_at", "descending"), ("interaction_type", "descending"), (RECORD_ID, "descending")]
    return rows.sort_by(order).slice(0, limit).to_pylist()
