"""Find one person in the lake: their profile records, customer IDs, emails, phones, interactions.

A request names a customer ID (identity resolution's, or a record_id before it has run), an
email address or a phone number. The person's profile records are those carrying it, widened
to every record identity resolution put under the same customer_id; their interactions are
those linked to these records or customers, or carrying one of their emails or phones.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta import read_table
from jobs.normalize import email as normal_email
from jobs.normalize import phone as normal_phone
from jobs.privacy.identifiers import Subject
from schemas.model import Model
from schemas.catalog import CUSTOMER_IDS, INTERACTION_CUSTOMERS
from schemas.tables import CUSTOMER_ID, RECORD_ID, Lake, link_column
from schemas.workspace import Workspace

CONTACT_KINDS = ("email", "phone")


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


def find_subject(
    spark: SparkSession,
    workspace: Workspace,
    lake: Lake,
    customer: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Subject:
    """Everything of one person the lake holds (an empty Subject if nothing matches)."""
    model, region = workspace.model, workspace.settings.defaults.country
    profiles = {t: read_table(spark, lake.silver(t)) for t in person_profiles(model)}
    profiles = {t: df for t, df in profiles.items() if df is not None}
    id_map = read_table(spark, lake.gold(CUSTOMER_IDS.name))

    records: set[str] = set()
    customers: set[str] = set()
    if customer is not None:
        customers.add(customer)
        if id_map is not None:
            records |= _values(id_map.where(F.col(CUSTOMER_ID) == customer), RECORD_ID)
        for df in profiles.values():  # before identity resolution, a customer is a record
            records |= _values(df.where(F.col(RECORD_ID) == customer), RECORD_ID)
    wanted = {k: normalised(spark, k, v, region) for k, v in (("email", email), ("phone", phone)) if v}
    for type_name, df in profiles.items():
        for column, kind in contact_columns(model, type_name).items():
            if wanted.get(kind):
                records |= _values(df.where(F.col(column) == wanted[kind]), RECORD_ID)
    if id_map is not None and records:  # every record of the same person
        customers |= _values(id_map.where(F.col(RECORD_ID).isin(sorted(records))), CUSTOMER_ID)
        records |= _values(id_map.where(F.col(CUSTOMER_ID).isin(sorted(customers))), RECORD_ID)

    emails, phones = {v for k, v in wanted.items() if k == "email" and v}, set()
    if wanted.get("phone"):
        phones.add(wanted["phone"])
    for type_name, df in profiles.items():
        mine = df.where(F.col(RECORD_ID).isin(sorted(records)))
        for column, kind in contact_columns(model, type_name).items():
            (emails if kind == "email" else phones).update(_values(mine, column))

    interactions = _interactions(spark, workspace, lake, records, customers, emails, phones)
    return Subject(
        record_ids=frozenset(records),
        customer_ids=frozenset(customers if records or interactions else set()),
        emails=frozenset(emails),
        phones=frozenset(phones),
        interactions=interactions,
    )


def _interactions(
    spark: SparkSession,
    workspace: Workspace,
    lake: Lake,
    records: set[str],
    customers: set[str],
    emails: set[str],
    phones: set[str],
) -> dict[str, frozenset[str]]:
    """type -> record_ids of interactions linked to the person or carrying their contacts."""
    model = workspace.model
    resolved = read_table(spark, lake.gold(INTERACTION_CUSTOMERS.name))
    found: dict[str, frozenset[str]] = {}
    for type_name in model.interactions:
        df = read_table(spark, lake.silver(type_name))
        if df is None:
            continue
        tests: list[Column] = [F.col(link_column(r)).isin(sorted(records)) for r in model.link_roles(type_name)]
        for column, kind in contact_columns(model, type_name).items():
            tests.append(F.col(column).isin(sorted(emails if kind == "email" else phones)))
        ids = _values(df.where(reduce(lambda a, b: a | b, tests)), RECORD_ID) if tests else set()
        if resolved is not None and customers:
            ids |= _values(
                resolved.where((F.col("interaction_type") == type_name)
                               & F.col(CUSTOMER_ID).isin(sorted(customers))),
                RECORD_ID,
            )
        if ids:
            found[type_name] = frozenset(ids)
    return found


def _values(df: DataFrame, column: str) -> set[str]:
    return {r[0] for r in df.select(column).where(F.col(column).isNotNull()).distinct().collect()}
