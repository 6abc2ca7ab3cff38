"""gold/kpis_business: business KPIs per period and dimension, every period kept, kept up to date."""

from __future__ import annotations

from pyspark.sql import SparkSession

from jobs.kpis.business_run import plan_business_kpis
from jobs.kpis.refresh import KpiRun
from jobs.writes import merge, overwrite
from schemas.catalog import KPIS_BUSINESS
from schemas.kpis import KpiFile
from schemas.tables import Lake
from schemas.workspace import Workspace


def refresh_business_kpis(
    spark: SparkSession, workspace: Workspace, lake: Lake, *, full: bool = False,
    definitions: KpiFile | None = None, path: str | None = None,
) -> KpiRun:
    """Bring gold/kpis_business (or `path`) up to date: every period, or only the touched ones."""
    path = path or lake.gold(KPIS_BUSINESS.name)
    plan = plan_business_kpis(spark, workspace, lake, definitions or workspace.kpis, path, full=full)
    if plan.frame is not None:
        overwrite(plan.frame, path, built=plan.built, properties=plan.properties())
    elif plan.merge is not None:
        merge(spark, path, plan.merge, built=plan.built)
    return plan.result(spark, path)
