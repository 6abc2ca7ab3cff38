"""Find the people of many requests in one pass: their records, customer IDs, contacts, interactions.

A request names a customer ID (identity resolution's, or a record_id before it has run), an
email address or a phone number (normalised as silver stores it). A person's profile records
are those carrying it, widened to every record identity resolution put under the same
customer_id; their interactions are those linked to these records or customers, or carrying
one of their emails or phones. Each table is read a fixed number of times whatever the number
of requests: the rows that concern any of them are collected, then assigned to each request.
The tables are read with delta-rs (only the columns asked about, filtered in Arrow): a few
small reads, where Spark spent a job and its planning on each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import reduce

import pyarrow as pa
import pyarrow.dataset as ds
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs.delta_rs import open_delta
from jobs.normalize import email as normal_email
from jobs.normalize import phone as normal_phone
from jobs.privacy.forget_requests import Pending
from jobs.privacy.identifiers import Subject
from schemas.catalog import CUSTOMER_IDS, INTERACTION_CUSTOMERS
from schemas.model import Model
from schemas.tables import CUSTOMER_ID, RECORD_ID, Lake, link_column
from schemas.workspace import Workspace

CONTACT_KINDS = ("email", "phone")
Found = dict[str, set[str]]  # request_id -> values
Row = dict[str, object]


def person_profiles(model: Model) -> list[str]:
    """Profile types that describe people: the primary one, else those with personal data."""
    if model.primary_profile:
        return [model.primary_profile]
    return [n for n, p in model.profiles.items() if any(a.pii for a in p.attributes.values())]


def contact_columns(model: Model, type_name: str) -> dict[str, str]:
    """attribute -> 'email' | 'phone' for the type's email- and phone-normalised attributes."""
    return {
        name: attr.normalize
        for name, attr in model.attributes_of(type_name).items()
        if attr.normalize in CONTACT_KINDS
    }


def normalised(spark: SparkSession, kind: str, value: str, region: str) -> str | None:
    """A user-typed email or phone in the canonical form silver stores."""
    fn = normal_email if kind == "email" else (lambda c: normal_phone(c, region))
    return spark.range(1).select(fn(F.lit(value)).alias("v")).first()["v"]


def find_subjects(workspace: Workspace, lake: Lake, asks: list[Pending]) -> dict[str, Subject]:
    """request_id -> everything of that person the lake holds (an empty Subject if nothing matches)."""
    model = workspace.model
    profiles = {t: df for t in person_profiles(model) if (df := _table(lake.silver(t))) is not None}
    id_map = _table(lake.gold(CUSTOMER_IDS.name))
    given = {k: _asked(asks, k) for k in ("customer", "email", "phone")}

    customers: Found = defaultdict(set, {r: set(v) for r, v in _by_request(given["customer"]).items()})
    records: Found = defaultdict(set)
    for type_name, df in profiles.items():  # before identity resolution, a customer is a record
        columns = {RECORD_ID: "customer", **contact_columns(model, type_name)}
        _assign(records, _rows(df, {c: given[k] for c, k in columns.items()}), given, columns)
    if id_map is not None:
        _assign(records, _rows(id_map, {CUSTOMER_ID: given["customer"]}), given, {CUSTOMER_ID: "customer"},
                value=RECORD_ID)
        _widen(id_map, records, customers)

    emails, phones = _contacts(given, "email"), _contacts(given, "phone")
    for type_name, df in profiles.items():
        columns = contact_columns(model, type_name)
        for row in _rows(df, {RECORD_ID: _inverse(records)}, [RECORD_ID, *columns]):
            for request in _inverse(records)[row[RECORD_ID]]:
                for column, kind in columns.items():
                    if row[column] is not None:
                        (emails if kind == "email" else phones)[request].add(row[column])

    interactions = _interactions(workspace, lake, records, customers, emails, phones)
    return {a.request_id: _subject(a.request_id, records, customers, emails, phones, interactions) for a in asks}


def _subject(request: str, records: Found, customers: Found, emails: Found, phones: Found,
             interactions: dict[str, dict[str, set[str]]]) -> Subject:
    mine = {t: frozenset(ids[request]) for t, ids in interactions.items() if ids.get(request)}
    found = bool(records.get(request) or mine)
    return Subject(record_ids=frozenset(records.get(request, ())),
                   customer_ids=frozenset(customers.get(request, ()) if found else ()),
                   emails=frozenset(emails.get(request, ())), phones=frozenset(phones.get(request, ())),
                   interactions=mine)


def _asked(asks: list[Pending], kind: str) -> dict[str, set[str]]:
    """value -> request_ids asking for it, for one kind of identifier."""
    out: dict[str, set[str]] = defaultdict(set)
    for ask in asks:
        if ask.kind == kind and ask.value:
            out[ask.value].add(ask.request_id)
    return out


def _by_request(by_value: dict[str, set[str]]) -> Found:
    out: Found = defaultdict(set)
    for value, requests in by_value.items():
        for request in requests:
            out[request].add(value)
    return out


def _inverse(found: Found) -> dict[str, set[str]]:
    """value -> request_ids holding it."""
    out: dict[str, set[str]] = defaultdict(set)
    for request, values in found.items():
        for value in values:
            out[value].add(request)
    return out


def _contacts(given: dict[str, dict[str, set[str]]], kind: str) -> Found:
    return defaultdict(set, _by_request(given[kind]))


def _table(path: str) -> ds.Dataset | None:
    """The current version of a lake table as an Arrow dataset, or None if there is none yet."""
    table = open_delta(path)
    return table.to_pyarrow_dataset() if table is not None else None


def _rows(table: ds.Dataset, wanted: dict[str, Iterable[str]], columns: list[str] | None = None,
          where: ds.Expression | None = None) -> list[Row]:
    """Rows where any column holds one of its wanted values (one scan; none if nothing is wanted)."""
    tests = [ds.field(c).isin(pa.array(sorted(v), table.schema.field(c).type)) for c, v in wanted.items() if v]
    if not tests:
        return []
    condition = reduce(lambda a, b: a | b, tests)
    return table.to_table(columns=columns or table.schema.names,
                          filter=condition if where is None else condition & where).to_pylist()


def _assign(found: Found, rows: list[Row], given: dict, columns: dict[str, str], value: str = RECORD_ID) -> None:
    """Give each row's value to every request whose identifier one of its columns holds."""
    for row in rows:
        for column, kind in columns.items():
            for request in given[kind].get(row[column], ()):
                found[request].add(row[value])


def _widen(id_map: ds.Dataset, records: Found, customers: Found) -> None:
    """Every record of the same person: the customer IDs of their records, then those IDs' records."""
    for row in _rows(id_map, {RECORD_ID: _inverse(records)}, [RECORD_ID, CUSTOMER_ID]):
        for request in _inverse(records)[row[RECORD_ID]]:
            customers[request].add(row[CUSTOMER_ID])
    by_customer = _inverse(customers)
    for row in _rows(id_map, {CUSTOMER_ID: by_customer}, [RECORD_ID, CUSTOMER_ID]):
        for request in by_customer[row[CUSTOMER_ID]]:
            records[request].add(row[RECORD_ID])


def _interactions(workspace: Workspace, lake: Lake, records: Found, customers: Found,
                  emails: Found, phones: Found) -> dict[str, dict[str, set[str]]]:
    """type -> request_id -> record_ids of interactions linked to the person or carrying their contacts."""
    model = workspace.model
    resolved = _table(lake.gold(INTERACTION_CUSTOMERS.name))
    by_record, by_customer = _inverse(records), _inverse(customers)
    by_contact = {"email": _inverse(emails), "phone": _inverse(phones)}
    found: dict[str, dict[str, set[str]]] = {}
    for type_name in model.interactions:
        df = _table(lake.silver(type_name))
        if df is None:
            continue
        mine: Found = defaultdict(set)
        columns = {link_column(r): by_record for r in model.link_roles(type_name)}
        columns |= {c: by_contact[k] for c, k in contact_columns(model, type_name).items()}
        for row in _rows(df, columns, [RECORD_ID, *columns]):
            for column, index in columns.items():
                for request in index.get(row[column], ()):
                    mine[request].add(row[RECORD_ID])
        if resolved is not None:
            hits = _rows(resolved, {CUSTOMER_ID: by_customer}, [RECORD_ID, CUSTOMER_ID],
                         where=ds.field("interaction_type") == type_name)
            for row in hits:
                for request in by_customer[row[CUSTOMER_ID]]:
                    mine[request].add(row[RECORD_ID])
        found[type_name] = mine
    return found
