"""The KPI engine: customer KPIs in one pass per interaction table, business KPIs by period.

Public surface: `customer_kpis` (point in time), `business_kpis`, and the refreshes that keep
gold/kpis_customer and gold/kpis_business up to date (full or incremental).
"""

from jobs.kpis.business import business_kpis
from jobs.kpis.customer import customer_kpis
from jobs.kpis.kpis_business import refresh_business_kpis
from jobs.kpis.kpis_customer import refresh_customer_kpis
from jobs.kpis.refresh import KpiRun, workspace_as_of

__all__ = [
    "KpiRun",
    "business_kpis",
    "customer_kpis",
    "refresh_business_kpis",
    "refresh_customer_kpis",
    "workspace_as_of",
]
