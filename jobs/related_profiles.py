"""Profiles related to each customer through the model's relationships (model.yaml `relationships`).

A relationship from the customer profile (customer.home_store -> store.store_code) joins the
golden record's `via` attributes to the silver table of the related profile type. A to-one
relationship gives one struct per customer (the related record with the smallest record_id
when several sources hold it), a to-many one an array of them, sorted by record_id.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from schemas.model import Model, Relationship
from schemas.tables import CUSTOMER_ID, RECORD_ID

TO_ONE = ("many_to_one", "one_to_one")


@dataclass(frozen=True)
class Related:
    """One relationship from the customer, the column it fills and the attributes that join it."""

    name: str
    relationship: Relationship
    attributes: list[str]  # of the related profile type, after record_id

    @property
    def column(self) -> str:
        return f"related_{self.name}"

    @property
    def to_one(self) -> bool:
        return self.relationship.cardinality in TO_ONE


def customer_relationships(model: Model, golden_columns: list[str], fed: list[str]) -> list[Related]:
    """Relationships from the primary profile whose target has a silver table and whose `via` the golden record holds."""
    primary = model.primary_profile
    found = []
    for name, rel in sorted(model.relationships.items()):
        if rel.from_ != primary or rel.to not in fed or not rel.via:
            continue
        if all(attribute in golden_columns for attribute in rel.via):
            found.append(Related(name, rel, list(model.profiles[rel.to].attributes)))
    return found


def related_profiles(golden: DataFrame, related: Related, target: DataFrame) -> DataFrame:
    """(customer_id, related_<name>): the related record(s) of each customer; customers without one are left out."""
    rel = related.relationship
    profile = F.struct(F.col(f"_t.{RECORD_ID}").alias(RECORD_ID),
                       *[F.col(f"_t.{a}").alias(a) for a in related.attributes])
    condition = None
    for mine, theirs in rel.via.items():
        match = F.col(f"_g.{mine}") == F.col(f"_t.{theirs}")
        condition = match if condition is None else condition & match
    joined = golden.alias("_g").join(target.alias("_t"), condition).select(
        F.col(f"_g.{CUSTOMER_ID}").alias(CUSTOMER_ID), F.col(f"_t.{RECORD_ID}").alias("_order"),
        profile.alias("_profile"))
    if related.to_one:
        value = F.min_by("_profile", "_order")
    else:
        value = F.transform(F.sort_array(F.collect_list(F.struct("_order", "_profile"))), lambda x: x["_profile"])
    return joined.groupBy(CUSTOMER_ID).agg(value.alias(related.column))
