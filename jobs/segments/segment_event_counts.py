"""meta/segment_event_counts: the event counts segment rules test, kept up to date like KPIs.

The counts are KPIs (count(*) with the event's filter and window) planned by the KPI engine and
written here to their own table, so a run after new interactions recomputes only the customers
they touch.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame, SparkSession

from jobs.delta import read_table
from jobs.kpis.customer_run import plan_customer_kpis
from jobs.writes import merge, overwrite
from schemas.catalog import SEGMENT_EVENT_COUNTS
from schemas.kpis import Kpi, KpiFile
from schemas.tables import CUSTOMER_ID, Lake
from schemas.workspace import Workspace


def event_counts(
    spark: SparkSession, workspace: Workspace, lake: Lake, hidden: dict[str, Kpi], as_of: datetime
) -> DataFrame:
    """customer_id and one count per event the rules use, brought up to date first."""
    path = lake.meta(SEGMENT_EVENT_COUNTS.name)
    definitions = KpiFile(as_of=as_of.isoformat(), kpis=hidden)
    plan = plan_customer_kpis(spark, workspace, lake, definitions, path)
    if plan.frame is not None:
        overwrite(plan.frame, path, built=plan.built, properties=plan.properties())
    elif plan.merge is not None:
        merge(spark, path, plan.merge, built=plan.built)
    return read_table(spark, path).select(CUSTOMER_ID, *hidden)
