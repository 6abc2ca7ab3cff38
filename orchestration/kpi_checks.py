"""Asset checks: every KPI with a declared range (kpis.yaml `range`) stays inside it.

One check per KPI, all evaluated in one aggregation over the KPI table; a failing check
names how many values fall outside and shows a few of them.
"""

import dagster as dg
from pyspark.sql import Column
from pyspark.sql import functions as F

from jobs.delta import read_table
from orchestration.assets.common import asset_key
from orchestration.resources import LakeResource, SparkResource
from schemas.catalog import KPIS_BUSINESS, KPIS_CUSTOMER
from schemas.kpis import Kpi, KpiFile
from schemas.tables import CUSTOMER_ID, GOLD
from schemas.workspace import Workspace

EXAMPLES = 5


def kpi_range_checks(workspace: Workspace) -> list[dg.AssetChecksDefinition]:
    """Range checks on gold/kpis_customer and gold/kpis_business."""
    definitions: KpiFile | None = workspace.kpis
    if definitions is None:
        return []
    checks = []
    for grain, table in (("customer", KPIS_CUSTOMER.name), ("business", KPIS_BUSINESS.name)):
        ranged = {n: k for n, k in definitions.of_grain(grain).items() if k.range is not None}
        if ranged:
            checks.append(_range_check(table, grain, ranged))
    return checks


def outside(value: Column, kpi: Kpi) -> Column:
    """Whether a (non-null) value lies outside the KPI's range."""
    test = F.lit(False)
    if kpi.range.min is not None:
        test |= value < F.lit(kpi.range.min)
    if kpi.range.max is not None:
        test |= value > F.lit(kpi.range.max)
    return F.coalesce(test, F.lit(False))


def _bounds(kpi: Kpi) -> str:
    low = "-inf" if kpi.range.min is None else f"{kpi.range.min:g}"
    high = "inf" if kpi.range.max is None else f"{kpi.range.max:g}"
    return f"[{low}, {high}]"


def _range_check(table: str, grain: str, kpis: dict[str, Kpi]) -> dg.AssetChecksDefinition:
    key = asset_key(GOLD, table)

    @dg.multi_asset_check(
        name=f"{table}_ranges",
        specs=[
            dg.AssetCheckSpec(f"range_{name}", asset=key, description=f"{name} within {_bounds(kpi)}")
            for name, kpi in kpis.items()
        ],
    )
    def check(context: dg.AssetCheckExecutionContext, spark: SparkResource, lake: LakeResource):
        df = read_table(spark.session(), lake.lake.gold(table))
        if df is None:
            for name in kpis:
                yield dg.AssetCheckResult(check_name=f"range_{name}", asset_key=key, passed=False,
                                          metadata={"reason": "table does not exist"})
            return
        if grain == "customer":
            tests = {n: outside(F.col(n), k) for n, k in kpis.items()}
            label = CUSTOMER_ID
        else:
            tests = {n: (F.col("kpi") == n) & outside(F.col("value"), k) for n, k in kpis.items()}
            label = "period"
        counts = df.agg(*[F.count_if(t).alias(n) for n, t in tests.items()]).first()
        for name, kpi in kpis.items():
            bad = int(counts[name])
            metadata = {"outside": bad, "range": _bounds(kpi)}
            if bad:
                value = name if grain == "customer" else "value"
                rows = df.where(tests[name]).select(label, value).limit(EXAMPLES).toPandas()
                metadata["examples"] = dg.MetadataValue.md(rows.to_markdown(index=False))
            yield dg.AssetCheckResult(check_name=f"range_{name}", asset_key=key, passed=bad == 0,
                                      severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)

    return check
