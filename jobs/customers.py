"""Which customer each interaction belongs to, whatever identity resolution has produced so far.

KPIs, segments and scores count per customer. Once identity resolution has written
gold/interaction_customers, that table says; before, each linked profile record counts as
its own customer (customer_id = the linked record_id).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta import read_table
from schemas.catalog import CUSTOMER_IDS, INTERACTION_CUSTOMERS
from schemas.tables import CUSTOMER_ID, RECORD_ID, Lake, link_column


def with_customer_id(
    spark: SparkSession, lake: Lake, interactions: DataFrame, type_name: str, role: str = "customer"
) -> DataFrame:
    """Interactions with a customer_id column (null when nobody could be linked)."""
    resolved = read_table(spark, lake.gold(INTERACTION_CUSTOMERS.name))
    if resolved is None:
        return interactions.withColumn(CUSTOMER_ID, F.col(link_column(role)))
    mapping = resolved.where(
        (F.col("interaction_type") == type_name) & (F.col("role") == role)
    ).select(RECORD_ID, CUSTOMER_ID)
    return interactions.join(mapping, RECORD_ID, "left")


def customer_population(spark: SparkSession, lake: Lake, primary_profile: str) -> DataFrame:
    """One row per customer_id with the profile records behind it (record_id)."""

    id_map = read_table(spark, lake.gold(CUSTOMER_IDS.name))
    if id_map is not None:
        return id_map.select(CUSTOMER_ID, RECORD_ID)
    profiles = read_table(spark, lake.silver(primary_profile))
    if profiles is None:
        return spark.createDataFrame([], f"{CUSTOMER_ID} string, {RECORD_ID} string")
    return profiles.select(F.col(RECORD_ID).alias(CUSTOMER_ID), RECORD_ID)
