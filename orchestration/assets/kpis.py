"""Gold KPI assets: gold/kpis_customer and gold/kpis_business, refreshed incrementally."""

import dagster as dg

from jobs.delta import read_table
from jobs.kpis.refresh import KpiRun, kpi_interactions
from orchestration.assets.common import asset_key, identity_deps, table_metadata
from orchestration.plots import lines
from orchestration.resources import LakeResource, SparkResource
from schemas.catalog import KPIS_BUSINESS, KPIS_CUSTOMER
from schemas.kpis import KpiFile
from schemas.tables import GOLD, SILVER
from schemas.workspace import Workspace

KINDS = {"spark", "delta"}
TREND_KPIS = 1  # business-wide KPIs drawn in the trend plot (one scale per plot)


def kpi_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """The KPI tables kpis.yaml asks for."""
    definitions: KpiFile | None = workspace.kpis
    if definitions is None:
        return []
    assets = []
    if definitions.of_grain("customer"):
        assets.append(_customer_asset(workspace, definitions))
    if definitions.of_grain("business"):
        assets.append(_business_asset(workspace, definitions))
    return assets


def upstream(workspace: Workspace, interactions: list[str], with_profiles: bool) -> list[dg.AssetKey]:
    """Silver tables read, and identity resolution's outputs when the workspace resolves identities."""
    fed = set(workspace.silver_types())
    keys = [asset_key(SILVER, name) for name in interactions if name in fed]
    primary = workspace.model.primary_profile
    if with_profiles and primary in fed:
        keys.append(asset_key(SILVER, primary))
    return keys + identity_deps(workspace)


def run_metadata(run: KpiRun) -> dict:
    """How the run went: full or incremental, why, at which as_of, how much was recomputed."""
    return {
        "mode": run.mode,
        "reason": run.reason,
        "as_of": run.as_of.isoformat(),
        "recomputed": run.recomputed,
    }


def _customer_asset(workspace: Workspace, definitions: KpiFile) -> dg.AssetsDefinition:
    kpis = definitions.of_grain("customer")

    @dg.asset(
        key=asset_key(GOLD, KPIS_CUSTOMER.name),
        deps=upstream(workspace, kpi_interactions(definitions, "customer"), with_profiles=True),
        description=f"One row per customer, one column per KPI ({len(kpis)}: {', '.join(list(kpis)[:6])}, ...), "
        "with as_of; recomputed only for customers with new interactions.",
        group_name=GOLD,
        kinds=KINDS,
    )
    def kpis_customer(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        from jobs.kpis.kpis_customer import refresh_customer_kpis

        session, paths = spark.session(), lake.lake
        run = refresh_customer_kpis(session, workspace, paths)
        context.log.info(f"{KPIS_CUSTOMER.key}: {run.mode} ({run.reason}), {run.recomputed} customers recomputed")
        return dg.MaterializeResult(metadata=run_metadata(run) | table_metadata(paths.gold(KPIS_CUSTOMER.name)))

    return kpis_customer


def _business_asset(workspace: Workspace, definitions: KpiFile) -> dg.AssetsDefinition:
    kpis = definitions.of_grain("business")

    @dg.asset(
        key=asset_key(GOLD, KPIS_BUSINESS.name),
        deps=upstream(workspace, kpi_interactions(definitions, "business"), with_profiles=False),
        description=f"Business KPIs by period and dimension ({', '.join(list(kpis)[:6])}, ...), one row per "
        "KPI, period and dimension value: the history a trend is drawn from.",
        group_name=GOLD,
        kinds=KINDS,
    )
    def kpis_business(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        from jobs.kpis.kpis_business import refresh_business_kpis

        session, paths = spark.session(), lake.lake
        run = refresh_business_kpis(session, workspace, paths)
        context.log.info(f"{KPIS_BUSINESS.key}: {run.mode} ({run.reason}), {run.recomputed} periods recomputed")
        metadata = run_metadata(run) | table_metadata(paths.gold(KPIS_BUSINESS.name))
        trend = _trend(session, paths.gold(KPIS_BUSINESS.name), definitions)
        if trend is not None:
            metadata["trend"] = trend
        return dg.MaterializeResult(metadata=metadata)

    return kpis_business


def _trend(session, path: str, definitions: KpiFile):
    """Business-wide monthly KPIs over time, as a plot."""
    names = [n for n, k in definitions.of_grain("business").items() if k.dimension is None and k.time_grain == "month"]
    table = read_table(session, path)
    if table is None or not names:
        return None
    frame = table.where(table.kpi.isin(names[:TREND_KPIS]) & table.dimension.isNull()).select(
        "kpi", "period", "value"
    ).toPandas()
    if frame.empty:
        return None
    return lines(frame, "period", "value", "kpi", "business KPIs by month")
