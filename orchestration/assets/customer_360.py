"""Gold customer 360 assets: gold/customer_timeline, then gold/customer_360 (with a sample card)."""

import dagster as dg
from pyspark.sql import Row
from pyspark.sql import functions as F

from jobs.customer_360 import build_customer_360
from jobs.customer_timeline import build_customer_timeline, timeline_types
from jobs.delta import read_table
from orchestration.assets.common import asset_key, table_metadata
from orchestration.plots import bar_chart
from orchestration.resources import LakeResource, SparkResource
from schemas.catalog import (
    CUSTOMER_360, CUSTOMER_IDS, CUSTOMER_TIMELINE, GOLDEN_CUSTOMER, INTERACTION_CUSTOMERS, KPIS_CUSTOMER, SCORES,
    SEGMENT_MEMBERSHIP, Table, by_key,
)
from schemas.model import Model
from schemas.tables import SILVER
from schemas.workspace import Workspace

GROUP, KINDS = "customer_360", {"spark", "delta"}
CARD_TIMELINE = 5  # interactions shown on the sample card


def _key(table: Table) -> dg.AssetKey:
    return asset_key(table.layer, table.name)


def customer_360_assets(workspace: Workspace) -> list[dg.AssetsDefinition]:
    """The timeline and the 360 table, when the catalogue enables them (identity resolution with interactions)."""
    enabled = by_key(workspace)
    if CUSTOMER_360.key not in enabled or CUSTOMER_TIMELINE.key not in enabled:
        return []
    return [_timeline_asset(workspace), _customer_360_asset(workspace, enabled)]


def _timeline_asset(workspace: Workspace) -> dg.AssetsDefinition:
    @dg.asset(key=_key(CUSTOMER_TIMELINE), group_name=GROUP, kinds=KINDS,
              deps=[_key(INTERACTION_CUSTOMERS), *[asset_key(SILVER, t) for t in timeline_types(workspace)]],
              description="Every interaction of every resolved customer (type, time, channel, amount, source "
                          "record), laid out by customer_id; only changed rows are merged.")
    def customer_timeline(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        session = spark.session()
        result = build_customer_timeline(session, workspace, lake.lake)
        context.log.info(f"{CUSTOMER_TIMELINE.key}: {result.mode}, {result.upserted} rows upserted, "
                         f"{result.deleted} deleted")
        return dg.MaterializeResult(metadata={"mode": result.mode, "upserted": result.upserted,
                                              "deleted": result.deleted}
                                    | table_metadata(lake.lake.gold(CUSTOMER_TIMELINE.name)))

    return customer_timeline


def _customer_360_deps(workspace: Workspace, enabled: dict[str, Table]) -> list[dg.AssetKey]:
    """Every table the 360 row is built from that this workspace's graph builds."""
    gold = [t for t in (GOLDEN_CUSTOMER, CUSTOMER_IDS, INTERACTION_CUSTOMERS, CUSTOMER_TIMELINE, KPIS_CUSTOMER,
                        SEGMENT_MEMBERSHIP, SCORES) if t.key in enabled]
    profiles = {workspace.model.primary_profile} | {r.to for r in workspace.model.relationships.values()
                                                    if r.from_ == workspace.model.primary_profile}
    silver = [asset_key(SILVER, p) for p in sorted(profiles) if p in workspace.silver_types()]
    return [_key(t) for t in gold] + silver


def _customer_360_asset(workspace: Workspace, enabled: dict[str, Table]) -> dg.AssetsDefinition:
    @dg.asset(key=_key(CUSTOMER_360), group_name=GROUP, kinds=KINDS, deps=_customer_360_deps(workspace, enabled),
              description="One row per customer: golden record with sources, source records, KPIs, segments, "
                          "scores with grades, interaction counts, related profiles, the recent timeline.")
    def customer_360(context: dg.AssetExecutionContext, spark: SparkResource, lake: LakeResource):
        session, path = spark.session(), lake.lake.gold(CUSTOMER_360.name)
        result = build_customer_360(session, workspace, lake.lake)
        context.log.info(f"{CUSTOMER_360.key}: {result.mode}, {result.upserted} customers upserted, "
                         f"{result.deleted} deleted")
        table = read_table(session, path)
        sizes = {r["record_count"]: r["count"] for r in table.groupBy("record_count").count().collect()}
        sample = table.orderBy(F.col("record_count").desc(), F.size("timeline").desc(), "customer_id").first()
        metadata = {"mode": result.mode, "upserted": result.upserted, "deleted": result.deleted,
                    "records_per_customer": bar_chart([str(k) for k in sorted(sizes)], [sizes[k] for k in sorted(sizes)],
                                                      "Customers by number of source records", "customers")}
        if sample is not None:
            metadata["sample_card"] = dg.MetadataValue.md(sample_card(sample, workspace.model))
        return dg.MaterializeResult(metadata=metadata | table_metadata(path, preview_rows=0))

    return customer_360


def _masked(value: object, pii: bool) -> str:
    """Personal values shown by their first character only: Dagster's event log cannot be forgotten."""
    if value is None:
        return "-"
    text = str(value)
    return f"{text[:1]}{'*' * min(len(text) - 1, 6)}" if pii else text


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def sample_card(row: Row, model: Model) -> str:
    """One customer's 360 row as a markdown card: profile with sources, KPIs, segments, scores, timeline."""
    data = row.asDict(recursive=True)
    attributes = model.profiles[model.primary_profile].attributes
    lines = [f"### {data['customer_id']}", "",
             f"{data['record_count']} records from {', '.join(data['sources'])}; personal values masked.", "",
             "| attribute | value | from |", "|---|---|---|"]
    lines += [f"| {a} | {_masked(data.get(a), attributes[a].pii)} | {data.get(f'{a}_source') or '-'} |"
              for a in attributes if a in data]
    kpis = {k[4:]: v for k, v in data.items() if k.startswith("kpi_") and v is not None}
    lines += ["", "**KPIs** " + (", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                          for k, v in kpis.items()) or "none")]
    lines += ["", "**Segments** " + (", ".join(s["segment"] for s in data["segments"]) or "none")]
    lines += ["", "**Scores** " + (", ".join(f"{s['prediction']} {s['score']:.3f} ({s['model_name']} "
                                             f"v{s['model_version']}, grade {s['grade'] or '?'})"
                                             for s in data["scores"]) or "none")]
    lines += ["", "| when | type | channel | amount |", "|---|---|---|---|"]
    lines += [f"| {e['occurred_at']:%Y-%m-%d %H:%M} | {e['interaction_type']} | {e['channel'] or '-'} | "
              f"{_number(e['amount'])} |" for e in data["timeline"][:CARD_TIMELINE]]
    return "\n".join(lines)
