"""gold/customer_360 and gold/customer_timeline on tiny frames, each result recomputed with pandas."""

from __future__ import annotations

from datetime import UTC, datetime

import deltalake
import pandas as pd
import pytest
from pydantic import ValidationError

from jobs.customer_360 import Customer360Inputs, customer_360_rows
from jobs.customer_timeline import interaction_rows, timeline_rows
from jobs.related_profiles import customer_relationships
from jobs.row_changes import plan_refresh, with_row_hash
from jobs.built_from import BuiltFrom
from jobs.writes import merge, overwrite
from orchestration.assets.customer_360 import sample_card
from schemas.model import InteractionType, Model
from schemas.timeline import amount_attribute
from schemas.workspace_core import Settings

MODEL = Model.model_validate({
    "profiles": {
        "customer": {"primary": True, "attributes": {"email": {"pii": True}, "home_store": {}}},
        "store": {"attributes": {"store_code": {}, "city": {}}},
    },
    "interactions": {
        "purchase": {"attributes": {"channel": {}, "amount": {"type": "double"}}, "links": {"customer": {"profile": "customer"}}},
        "web_visit": {"attributes": {"page": {}}, "links": {"customer": {"profile": "customer"}}},
    },
    "relationships": {"home_store": {"from": "customer", "to": "store", "via": {"home_store": "store_code"}}},
})


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_amount_and_channel_come_from_the_model():
    assert amount_attribute(MODEL.interactions["purchase"]) == "amount"
    assert amount_attribute(MODEL.interactions["web_visit"]) is None
    lines = InteractionType.model_validate({"attributes": {"quantity": {"type": "long"},
                                                           "line_amount": {"type": "double"}}})
    assert amount_attribute(lines) == "line_amount"


def test_timeline_length_is_a_typed_workspace_key():
    assert Settings(name="w").customer_360.timeline_length == 20
    assert Settings.model_validate({"name": "w", "customer_360": {"timeline_length": 3}}).customer_360.timeline_length == 3
    with pytest.raises(ValidationError, match="timeline_length"):
        Settings.model_validate({"name": "w", "customer_360": {"timeline_length": 0}})
    with pytest.raises(ValidationError, match="timeline_lenght"):
        Settings.model_validate({"name": "w", "customer_360": {"timeline_lenght": 5}})


PURCHASES = pd.DataFrame({
    "record_id": ["pos:1", "pos:2", "pos:3", "pos:4"], "source": ["pos"] * 4, "source_key": ["1", "2", "3", "4"],
    "occurred_at": [ts("2026-01-01T10:00"), ts("2026-02-01T10:00"), ts("2026-03-01T10:00"), ts("2026-01-05T09:00")],
    "channel": ["store", "web", "store", "web"], "amount": [10.0, 20.0, 30.0, 5.0],
})
VISITS = pd.DataFrame({
    "record_id": ["web:1", "web:2"], "source": ["web"] * 2, "source_key": ["1", "2"],
    "occurred_at": [ts("2026-02-15T08:00"), ts("2026-03-02T08:00")], "page": ["/a", "/b"],
})
# who each interaction belongs to: pos:4 nobody, web:2 linked in two ways to the same customer
LINKS = pd.DataFrame({
    "interaction_type": ["purchase"] * 4 + ["web_visit"] * 3,
    "record_id": ["pos:1", "pos:2", "pos:3", "pos:4", "web:1", "web:2", "web:2"],
    "customer_id": ["A", "A", "B", None, "A", "A", "A"],
})


def _timeline(spark):
    rows = [interaction_rows(spark.createDataFrame(PURCHASES), "purchase", MODEL.interactions["purchase"]),
            interaction_rows(spark.createDataFrame(VISITS), "web_visit", MODEL.interactions["web_visit"])]
    return timeline_rows(rows, spark.createDataFrame(LINKS))


def test_timeline_has_each_linked_interaction_once(spark):
    got = _timeline(spark).toPandas().sort_values(["customer_id", "record_id"]).reset_index(drop=True)
    events = pd.concat([PURCHASES.assign(interaction_type="purchase"),
                        VISITS.assign(interaction_type="web_visit", channel=None, amount=None)])
    owners = LINKS.dropna().drop_duplicates()
    expected = events.merge(owners, on=["interaction_type", "record_id"]).sort_values(["customer_id", "record_id"])
    assert list(got["record_id"]) == list(expected["record_id"])
    assert list(got["customer_id"]) == list(expected["customer_id"])
    assert got["channel"].tolist() == [c if isinstance(c, str) else None for c in expected["channel"]]
    assert got.loc[got["record_id"] == "web:1", "amount"].isna().all()
    assert "pos:4" not in set(got["record_id"])


def _inputs(spark) -> Customer360Inputs:
    golden = pd.DataFrame({"customer_id": ["A", "B", "C"], "record_count": [2, 1, 1],
                           "sources": [["crm", "web"], ["crm"], ["crm"]],
                           "email": ["a@x.com", None, "c@x.com"], "email_source": ["crm:1", None, "crm:3"],
                           "home_store": ["S1", "S9", None], "home_store_source": ["crm:1", "crm:2", None]})
    ids = pd.DataFrame({"record_id": ["crm:1", "web:A", "crm:2", "crm:3"], "customer_id": ["A", "A", "B", "C"],
                        "source": ["crm", "web", "crm", "crm"]})
    profiles = pd.DataFrame({"record_id": ["crm:1", "web:A", "crm:2", "crm:3"], "source_key": ["1", "A", "2", "3"]})
    kpis = pd.DataFrame({"customer_id": ["A", "B"], "spend": [35.0, 30.0], "as_of": [ts("2026-04-01")] * 2,
                         "computed_at": [ts("2026-04-02")] * 2})
    segments = pd.DataFrame({"segment": ["vip", "buyers", "buyers"], "customer_id": ["A", "A", "B"],
                             "since": [ts("2026-03-01"), ts("2026-01-01"), ts("2026-03-01")]})
    scores = pd.DataFrame({"customer_id": ["A", "A", "B"], "prediction": ["churn"] * 3, "score": [0.2, 0.7, 0.5],
                           "model_name": ["w.churn"] * 3, "model_version": [1, 2, 2], "grade": ["B", "A", "A"],
                           "scored_at": [ts("2026-03-01"), ts("2026-04-01"), ts("2026-04-01")]})
    stores = pd.DataFrame({"record_id": ["stores:S1", "pos:S1"], "store_code": ["S1", "S1"], "city": ["Leeds", "York"]})
    related = customer_relationships(MODEL, list(golden.columns), ["customer", "store"])
    frame = spark.createDataFrame
    return Customer360Inputs(golden=frame(golden), ids=frame(ids), profiles=frame(profiles), timeline=_timeline(spark),
                             interaction_types=["purchase", "web_visit"], timeline_length=2, kpis=frame(kpis),
                             kpi_names=["spend"], segments=frame(segments), scores=frame(scores),
                             related=[(r, frame(stores)) for r in related])


def test_customer_360_row_holds_everything_about_the_customer(spark):
    got = customer_360_rows(_inputs(spark)).toPandas().set_index("customer_id")
    assert set(got.index) == {"A", "B", "C"}
    a, b, c = (got.loc[k].to_dict() for k in "ABC")
    # golden attributes with their sources, source records sorted by record_id
    assert (a["email"], a["email_source"]) == ("a@x.com", "crm:1")
    assert [r["record_id"] for r in a["records"]] == ["crm:1", "web:A"]
    assert [r["source_key"] for r in a["records"]] == ["1", "A"]
    # KPIs as kpi_<name>, missing for C
    assert (a["kpi_spend"], b["kpi_spend"]) == (35.0, 30.0) and pd.isna(c["kpi_spend"])
    assert str(a["kpis_as_of"])[:10] == "2026-04-01"
    assert [s["segment"] for s in a["segments"]] == ["buyers", "vip"] and list(c["segments"]) == []
    # the latest score of a prediction, with its model's grade
    assert [(s["score"], s["model_version"], s["grade"]) for s in a["scores"]] == [(0.7, 2, "A")]
    # counts by type from the timeline: A has pos:1, pos:2, web:1, web:2; B pos:3
    timeline = _timeline(spark).toPandas()
    counts = timeline.groupby(["customer_id", "interaction_type"]).size()
    assert (a["purchase_count"], a["web_visit_count"]) == (counts["A", "purchase"], counts["A", "web_visit"])
    assert (b["web_visit_count"], c["purchase_count"]) == (0, 0)
    # the last 2 interactions, newest first
    newest = timeline[timeline["customer_id"] == "A"].sort_values("occurred_at", ascending=False)["record_id"][:2]
    assert [e["record_id"] for e in a["timeline"]] == list(newest)
    # related store through customer.home_store -> store.store_code: the smaller record_id of two
    assert a["related_home_store"]["record_id"] == "pos:S1" and a["related_home_store"]["city"] == "York"
    assert b["related_home_store"] is None and c["related_home_store"] is None


def test_a_rebuild_merges_only_changed_rows_and_a_rerun_writes_nothing(spark, tmp_path):
    path = str(tmp_path / "t")
    old = pd.DataFrame({"customer_id": ["A", "B", "C"], "value": [1, 2, 3]})
    overwrite(with_row_hash(spark.createDataFrame(old)), path)
    new = pd.DataFrame({"customer_id": ["A", "B", "D"], "value": [1, 20, 4]})  # B changed, C gone, D new
    built = BuiltFrom({"input": 1})
    plan = plan_refresh(spark, path, built, lambda: with_row_hash(spark.createDataFrame(new)), ["customer_id"])
    assert (plan.mode, plan.upserted, plan.deleted) == ("merge", 2, 1)
    merge(spark, path, plan.changes.merge_builder(plan.changes.upserts.columns), built=built)
    table = deltalake.DeltaTable(path)
    assert table.to_pandas()[["customer_id", "value"]].sort_values("customer_id").reset_index(drop=True).equals(new)
    metrics = table.history(1)[0]["operationMetrics"]
    assert (int(metrics["numTargetRowsUpdated"]), int(metrics["numTargetRowsInserted"]),
            int(metrics["numTargetRowsDeleted"])) == (1, 1, 1)
    version = table.version()
    again = plan_refresh(spark, path, BuiltFrom({"input": 2}), lambda: with_row_hash(spark.createDataFrame(new)),
                         ["customer_id"])
    assert (again.mode, again.upserted, again.deleted) == ("unchanged", 0, 0)
    assert plan_refresh(spark, path, built, lambda: pytest.fail("rebuilt"), ["customer_id"]).mode == "skipped"
    assert deltalake.DeltaTable(path).version() == version


def test_sample_card_masks_personal_values(spark):
    row = customer_360_rows(_inputs(spark)).where("customer_id = 'A'").first()
    card = sample_card(row, MODEL)
    assert "a@x.com" not in card and "| email | a****** | crm:1 |" in card
    assert "| home_store | S1 | crm:1 |" in card and "churn 0.700 (w.churn v2, grade A)" in card
    assert "2 records from crm, web" in card and "spend 35" in card and "buyers, vip" in card
