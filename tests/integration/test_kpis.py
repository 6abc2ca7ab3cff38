"""KPIs and segments of the example workspace, checked against pandas over the silver tables.

Reads the lake of the shared `example` materialisation with delta-rs (independently of Spark)
and recomputes every customer KPI of examples/retail/kpis.yaml by hand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from schemas.loader import load_workspace

pytestmark = pytest.mark.integration


def _table(example, name: str) -> pd.DataFrame | None:
    path = example.lake / name
    return example.table(name) if (path / "_delta_log").exists() else None


def with_customers(example, interaction: str) -> pd.DataFrame:
    """Silver rows with customer_id: through gold/interaction_customers when identity resolution ran."""
    rows = example.table(f"silver/{interaction}")
    mapping = _table(example, "gold/interaction_customers")
    if mapping is None:
        return rows.assign(customer_id=rows["customer_record_id"])
    mine = mapping[(mapping["interaction_type"] == interaction) & (mapping["role"] == "customer")]
    return rows.merge(mine[["record_id", "customer_id"]], on="record_id", how="left")


def population(example) -> pd.Index:
    ids = _table(example, "gold/customer_ids")
    source = ids["customer_id"] if ids is not None else example.table("silver/customer")["record_id"]
    return pd.Index(sorted(source.dropna().unique()), name="customer_id")


def expected_customer_kpis(example, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every customer KPI of examples/retail/kpis.yaml, written out in pandas."""
    index = population(example)

    def rows(interaction):
        frame = with_customers(example, interaction)
        return frame[(frame["occurred_at"] < as_of) & frame["customer_id"].notna()]

    def days(moment):
        return (as_of.normalize() - moment.dt.normalize()).dt.days

    def per(frame, values, fill=None):
        out = values.reindex(index)
        return out if fill is None else out.fillna(fill)

    p, w, s, r = rows("purchase"), rows("web_visit"), rows("support_case"), rows("survey_response")
    done = p[p["status"] == "completed"]
    by_done, by_p = done.groupby("customer_id"), p.groupby("customer_id")
    month_start = as_of.normalize().replace(day=1)
    last_month_start = (month_start - pd.Timedelta(days=1)).replace(day=1)
    recent = lambda f, n: f[f["occurred_at"] >= as_of - pd.Timedelta(days=n)]  # noqa: E731
    e = pd.DataFrame(index=index)
    e["lifetime_spend"] = per(done, by_done["amount"].sum(min_count=1))
    e["order_count"] = per(done, by_done.size(), 0)
    e["orders_last_90_days"] = per(done, recent(done, 90).groupby("customer_id").size(), 0)
    e["average_order_value"] = per(done, by_done["amount"].mean())
    e["days_since_last_purchase"] = per(done, days(by_done["occurred_at"].max()))
    e["days_since_first_purchase"] = per(done, days(by_done["occurred_at"].min()))
    e["orders_last_365_days"] = per(done, recent(done, 365).groupby("customer_id").size(), 0)
    e["spend_last_365_days"] = per(done, recent(done, 365).groupby("customer_id")["amount"].sum(), 0)
    e["purchase_frequency"] = e["order_count"] * 30 / e["days_since_first_purchase"].fillna(30).clip(lower=30)
    this_month = done[done["occurred_at"] >= month_start]
    last_month = done[(done["occurred_at"] >= last_month_start) & (done["occurred_at"] < month_start)]
    e["spend_this_month"] = per(done, this_month.groupby("customer_id")["amount"].sum(), 0)
    e["spend_last_month"] = per(done, last_month.groupby("customer_id")["amount"].sum(), 0)
    ordered = p.sort_values("occurred_at")
    e["last_channel"] = per(p, ordered.groupby("customer_id")["channel"].last())
    e["first_channel"] = per(p, ordered.groupby("customer_id")["channel"].first())
    e["stores_visited"] = per(p, by_p["store_record_id"].nunique(), 0)
    e["return_rate"] = per(p, (p["status"] == "returned").groupby(p["customer_id"]).mean())
    d, o, m = e["days_since_last_purchase"], e["orders_last_365_days"], e["spend_last_365_days"]
    e["rfm_recency"] = np.select([d <= 30, d <= 90, d <= 180, d <= 365], [5, 4, 3, 2], 1)
    e["rfm_frequency"] = np.select([o >= 12, o >= 6, o >= 3, o >= 1], [5, 4, 3, 2], 1)
    e["rfm_monetary"] = np.select([m >= 2000, m >= 1000, m >= 500, m > 0], [5, 4, 3, 2], 1)
    e["rfm_score"] = e["rfm_recency"] * 100 + e["rfm_frequency"] * 10 + e["rfm_monetary"]
    e["web_events_last_30_days"] = per(w, recent(w, 30).groupby("customer_id").size(), 0)
    e["web_sessions_last_90_days"] = per(w, recent(w, 90).groupby("customer_id")["session_id"].nunique(), 0)
    e["days_since_last_visit"] = per(w, days(w.groupby("customer_id")["occurred_at"].max()))
    e["support_cases"] = per(s, s.groupby("customer_id").size(), 0)
    e["escalated_cases"] = per(s, (s["escalated"] == True).groupby(s["customer_id"]).sum(), 0)  # noqa: E712
    e["escalation_rate"] = e["escalated_cases"] / e["support_cases"].replace(0, np.nan)
    e["support_case_rate"] = e["support_cases"] / e["order_count"].replace(0, np.nan)
    e["case_csat"] = per(s, s.groupby("customer_id")["satisfaction"].mean())
    e["survey_csat"] = per(r, r.groupby("customer_id")["csat"].mean())
    answered = r[r["nps"].notna()].sort_values("occurred_at")
    e["latest_nps"] = per(r, answered.groupby("customer_id")["nps"].last())
    return e


def assert_same(got: pd.Series, want: pd.Series, name: str) -> None:
    both_missing = got.isna() & want.isna()
    if pd.api.types.is_numeric_dtype(want) and pd.api.types.is_numeric_dtype(got):
        close = np.isclose(got.astype(float), want.astype(float), rtol=1e-9, atol=1e-9)
        bad = ~(both_missing | close)
    else:
        bad = ~(both_missing | (got == want))
    assert not bad.any(), f"{name}: {bad.sum()} customers differ, e.g. {got[bad].head(3).to_dict()} vs {want[bad].head(3).to_dict()}"


def kpi_as_of(example) -> pd.Timestamp:
    newest = max(example.table(f"silver/{t}")["occurred_at"].max()
                 for t in ("purchase", "web_visit", "support_case", "survey_response"))
    return newest.normalize() + pd.Timedelta(days=1)


def test_every_customer_kpi_equals_pandas_over_silver(example):
    gold = example.table("gold/kpis_customer").set_index("customer_id").sort_index()
    as_of = kpi_as_of(example)
    assert set(gold["as_of"]) == {as_of}  # as_of: latest = midnight after the newest interaction
    want = expected_customer_kpis(example, as_of)
    definitions = load_workspace(example.env.workspace_dir).kpis
    assert set(want.columns) == set(definitions.of_grain("customer")), "every KPI of the example needs a check"
    assert list(gold.index) == list(want.index)
    assert (want["order_count"] > 0).sum() > 10 and want["support_cases"].sum() > 0
    for name in want.columns:
        if name in ("last_channel", "first_channel"):  # by time: ties between same-second orders are arbitrary
            purchases = with_customers(example, "purchase")
            tied = purchases[purchases.duplicated(["customer_id", "occurred_at"], keep=False)]["customer_id"]
            keep = ~want.index.isin(tied)
            assert_same(gold.loc[keep, name], want.loc[keep, name], name)
        else:
            assert_same(gold[name], want[name], name)


def test_business_kpis_equal_pandas_over_silver(example):
    business = example.table("gold/kpis_business")
    as_of = kpi_as_of(example)
    purchases = with_customers(example, "purchase")
    purchases = purchases[purchases["occurred_at"] < as_of]
    purchases["month"] = purchases["occurred_at"].dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.date
    done = purchases[purchases["status"] == "completed"]

    def series(kpi):
        rows = business[(business["kpi"] == kpi)]
        return rows.set_index("period")["value"].sort_index()

    revenue = done.groupby("month")["amount"].sum()
    assert_same(series("revenue"), revenue.astype(float), "revenue")
    active = purchases.groupby("month")["customer_id"].nunique()  # 0 in a month of unlinked purchases only
    assert_same(series("active_customers"), active.astype(float), "active_customers")
    surveys = example.table("silver/survey_response")
    surveys = surveys[surveys["occurred_at"] < as_of]
    surveys["month"] = surveys["occurred_at"].dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.date
    answered = surveys[surveys["nps"].notna()]
    nps = answered.groupby("month")["nps"].apply(lambda n: 100 * ((n >= 9).sum() - (n <= 6).sum()) / len(n))
    assert_same(series("nps").reindex(nps.index), nps.astype(float), "nps")
    assert set(business["grain"]) == {"day", "week", "month"}
    by_channel = business[business["kpi"] == "revenue_by_channel"]
    assert set(by_channel["dimension"]) == {"channel"} and set(by_channel["dimension_value"]) == {"web", "store"}


def test_kpi_range_checks_ran_and_passed_and_plots_are_in_metadata(example):
    assert not [c for c in example.first.checks_failed if "kpis" in c], example.first.checks_failed
    instance = example.instance
    sizes = instance.get_latest_materialization_event(dg.AssetKey(["gold", "segment_sizes"]))
    overlap = instance.get_latest_materialization_event(dg.AssetKey(["gold", "segment_overlap"]))
    kpis = instance.get_latest_materialization_event(dg.AssetKey(["gold", "kpis_customer"]))
    assert sizes.asset_materialization.metadata["sizes_over_time"].value.startswith("![segment sizes over time](data:image/png;base64,")
    assert overlap.asset_materialization.metadata["overlap"].value.startswith("![segment overlap")
    # the first run computes every KPI; the second, on the same inputs, finds nothing to do
    assert [kpi_mode(example, run.run_id) for run in (example.first, example.second)] == ["full", "unchanged"]


def kpi_mode(example, run_id: str) -> str:
    """The mode gold/kpis_customer's materialisation of that run recorded."""
    [mode] = [event.dagster_event.event_specific_data.materialization.metadata["mode"].value
              for event in example.instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
              if event.dagster_event.asset_key == dg.AssetKey(["gold", "kpis_customer"])]
    return mode


def test_segments_of_the_example_follow_their_rules(example):
    membership = example.table("gold/segment_membership")
    kpis = example.table("gold/kpis_customer").set_index("customer_id")
    high_value = set(membership[membership["segment"] == "high_value"]["customer_id"])
    assert high_value == set(kpis.index[kpis["lifetime_spend"] >= 500])
    lapsed = set(membership[membership["segment"] == "lapsed"]["customer_id"])
    unhappy = set(membership[membership["segment"] == "unhappy"]["customer_id"])
    rule = (kpis["order_count"] >= 1) & (kpis["days_since_last_purchase"] > 180)
    assert lapsed == set(kpis.index[rule]) - unhappy
    events = example.table("gold/segment_events")
    first = events[events["at"] == events["at"].min()]
    assert set(first["event"]) == {"entered"}  # the first run: everyone entered, and nobody moved since
    assert set(zip(first["segment"], first["customer_id"])) == set(zip(membership["segment"], membership["customer_id"]))


def test_new_interactions_update_kpis_incrementally_and_record_who_crossed(example, spark, tmp_path):
    """On a copy of the example lake without identity tables (customer = linked record)."""
    from jobs.kpis import refresh_customer_kpis
    from jobs.segments import refresh_segments
    from jobs.silver import merge_into
    from pyspark.sql import functions as F
    from schemas.tables import Lake

    root = tmp_path / "lake"
    for name in ("silver/customer", "silver/purchase", "silver/web_visit", "silver/support_case",
                 "silver/survey_response"):
        shutil.copytree(example.lake / name, root / name)
    lake = Lake(str(root))
    workspace = load_workspace(example.env.workspace_dir)
    assert refresh_customer_kpis(spark, workspace, lake).mode == "full"
    refresh_segments(spark, workspace, lake)
    before = spark.read.format("delta").load(lake.gold("kpis_customer")).toPandas().set_index("customer_id")
    as_of = pd.Timestamp(before["as_of"].iloc[0]).tz_localize("UTC")

    def recent_buyers() -> set[str]:
        rows = spark.read.format("delta").load(lake.silver("purchase")).toPandas()
        rows["occurred_at"] = pd.to_datetime(rows["occurred_at"]).dt.tz_localize("UTC")
        rows = rows[(rows["status"] == "completed") & (rows["occurred_at"] >= as_of - pd.Timedelta(days=30))
                    & (rows["occurred_at"] < as_of)]
        return set(rows["customer_record_id"].dropna())

    recent_before = recent_buyers()

    # Three customers just below 500 buy for 150 on the last day of data (enter high_value and
    # recent_buyers); two just above 500 return their biggest order (leave high_value).
    climbers = before[(before["lifetime_spend"] > 350) & (before["lifetime_spend"] < 500)].index[:3].tolist()
    fallers = before[before["lifetime_spend"] >= 500].sort_values("lifetime_spend").index[:2].tolist()
    assert len(climbers) == 3 and len(fallers) == 2
    silver = spark.read.format("delta").load(lake.silver("purchase"))
    last_day = as_of - pd.Timedelta(hours=2)
    template = silver.where(F.col("customer_record_id").isin(climbers)).dropDuplicates(["customer_record_id"])
    bought = (template.withColumn("record_id", F.concat(F.lit("new:"), "record_id"))
              .withColumn("amount", F.lit(150.0)).withColumn("status", F.lit("completed"))
              .withColumn("occurred_at", F.lit(last_day.to_pydatetime()))
              .withColumn("_batch_id", F.col("_batch_id") + 100).withColumn("_row_hash", F.sha2("record_id", 256)))
    biggest = (silver.where(F.col("customer_record_id").isin(fallers) & (F.col("status") == "completed"))
               .orderBy(F.col("amount").desc()).dropDuplicates(["customer_record_id"]))
    returned = (biggest.withColumn("status", F.lit("returned")).withColumn("_batch_id", F.col("_batch_id") + 100)
                .withColumn("_row_hash", F.sha2(F.concat("record_id", F.lit("returned")), 256)))
    merge_into(spark, bought.unionByName(returned), lake.silver("purchase"), "purchase")

    run = refresh_customer_kpis(spark, workspace, lake)
    assert run.mode == "incremental" and run.recomputed == 5, run
    full_path = str(tmp_path / "full")
    refresh_customer_kpis(spark, workspace, lake, full=True, path=full_path)
    got = spark.read.format("delta").load(lake.gold("kpis_customer")).drop("computed_at").toPandas()
    want = spark.read.format("delta").load(full_path).drop("computed_at").toPandas()
    pd.testing.assert_frame_equal(got.sort_values("customer_id").reset_index(drop=True),
                                  want.sort_values("customer_id").reset_index(drop=True), check_exact=False, rtol=1e-12)

    result = refresh_segments(spark, workspace, lake)
    events = spark.read.format("delta").load(lake.gold("segment_events")).toPandas()
    latest = events[events["at"] == events["at"].max()]
    after = got.set_index("customer_id")
    crossed_high_value = {c for c in after.index if (after.loc[c, "lifetime_spend"] >= 500) != (before.loc[c, "lifetime_spend"] >= 500)}
    assert crossed_high_value == set(climbers) | set(fallers)
    moved = latest[latest["segment"] == "high_value"]
    assert dict(zip(moved["customer_id"], moved["event"])) == {**{c: "entered" for c in climbers},
                                                               **{c: "left" for c in fallers}}
    recent_after = recent_buyers()
    recent = latest[latest["segment"] == "recent_buyers"]
    assert set(zip(recent["customer_id"], recent["event"])) == (
        {(c, "entered") for c in recent_after - recent_before} | {(c, "left") for c in recent_before - recent_after})
    assert recent_after - recent_before == set(climbers) - recent_before
    assert result.entered["high_value"] == 3 and result.left["high_value"] == 2
    assert Path(lake.gold("segment_overlap")).exists()
