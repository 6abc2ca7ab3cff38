"""gold/customer_measures: order count, spend and first and last purchase per silver profile record.

A deliberately small end-to-end proof; the KPI engine supersedes it with declared KPIs.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta import read_table
from jobs.writes import overwrite
from schemas.catalog import CUSTOMER_MEASURES
from schemas.model import OCCURRED_AT
from schemas.tables import RECORD_ID, SOURCE, Lake, link_column
from schemas.workspace_core import BasicMeasures


def customer_measures(profiles: DataFrame, interactions: DataFrame, role: str, amount: str) -> DataFrame:
    """One row per profile record, with zeros for records that never bought."""
    link = link_column(role)
    per_record = (
        interactions.where(F.col(link).isNotNull())
        .groupBy(F.col(link).alias(RECORD_ID))
        .agg(
            F.count(F.lit(1)).alias("order_count"),
            F.sum(amount).alias("total_spend"),
            F.min(OCCURRED_AT).alias("first_purchase_at"),
            F.max(OCCURRED_AT).alias("last_purchase_at"),
        )
    )
    return (
        profiles.select(RECORD_ID, SOURCE)
        .join(per_record, RECORD_ID, "left")
        .select(
            RECORD_ID,
            SOURCE,
            F.coalesce("order_count", F.lit(0)).cast("long").alias("order_count"),
            F.round(F.coalesce("total_spend", F.lit(0.0)), 2).cast("double").alias("total_spend"),
            "first_purchase_at",
            "last_purchase_at",
        )
    )


def build_customer_measures(spark: SparkSession, lake: Lake, profile: str, measures: BasicMeasures) -> str:
    """Write gold/customer_measures from the profile's and the interaction's silver tables; its path."""
    profiles = read_table(spark, lake.silver(profile))
    interactions = read_table(spark, lake.silver(measures.interaction))
    path = lake.gold(CUSTOMER_MEASURES.name)
    overwrite(customer_measures(profiles, interactions, measures.role, measures.amount), path)
    return path
