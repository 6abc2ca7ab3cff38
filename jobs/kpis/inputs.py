"""What KPIs read: silver interactions with their customer_id, and the customer population.

Both go through jobs/customers.py, so KPIs count per resolved customer once identity
resolution has run, and per linked profile record before.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from jobs.customers import customer_population, with_customer_id
from jobs.delta import read_table
from jobs.silver import silver_schema
from schemas.tables import CUSTOMER_ID, Lake
from schemas.workspace import Workspace


def interaction_rows(
    spark: SparkSession, workspace: Workspace, lake: Lake, interaction: str, role: str,
    rows: DataFrame | None = None,
) -> DataFrame:
    """Silver rows of an interaction type (or the given rows of it) with customer_id added."""
    if rows is None:
        rows = read_table(spark, lake.silver(interaction))
    if rows is None:  # no source feeds it yet: no rows, same columns
        rows = spark.createDataFrame([], silver_schema(workspace.model, interaction))
    return with_customer_id(spark, lake, rows, interaction, role)


def customers(spark: SparkSession, workspace: Workspace, lake: Lake) -> DataFrame:
    """One row per customer_id: everyone KPIs and segments are computed for."""
    primary = workspace.model.primary_profile
    if primary is None:
        return spark.createDataFrame([], f"{CUSTOMER_ID} string")
    return customer_population(spark, lake, primary).select(CUSTOMER_ID).distinct()
