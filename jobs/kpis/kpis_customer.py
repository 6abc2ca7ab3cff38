"""gold/kpis_customer: one row per customer, one column per customer KPI, kept up to date."""

from __future__ import annotations

from pyspark.sql import SparkSession

from jobs.kpis.customer_run import plan_customer_kpis
from jobs.kpis.refresh import KpiRun
from jobs.writes import merge, overwrite
from schemas.catalog import KPIS_CUSTOMER
from schemas.kpis import KpiFile
from schemas.tables import Lake
from schemas.workspace import Workspace


def refresh_customer_kpis(
    spark: SparkSession, workspace: Workspace, lake: Lake, *, full: bool = False,
    definitions: KpiFile | None = None, path: str | None = None,
) -> KpiRun:
    """Bring gold/kpis_customer (or `path`) up to date; `definitions` overrides kpis.yaml (benchmarks)."""
    path = path or lake.gold(KPIS_CUSTOMER.name)
    plan = plan_customer_kpis(spark, workspace, lake, definitions or workspace.kpis, path, full=full)
    if plan.frame is not None:
        overwrite(plan.frame, path, built=plan.built, properties=plan.properties())
    elif plan.merge is not None:
        merge(spark, path, plan.merge, built=plan.built)
    return plan.result(spark, path)
