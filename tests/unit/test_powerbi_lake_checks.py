"""The Power BI lake checks find each broken rule in small lakes written by delta-rs (no Spark)."""

from __future__ import annotations

from datetime import datetime, timezone

import deltalake
import pyarrow as pa
import pytest

from schemas.star_schema import StarSchema
from tests.integration.star_lake import gold_tables_in, naive_timestamps, star_problems, table_problems

UTC = pa.timestamp("us", tz="UTC")
WHEN = datetime(2026, 6, 1, tzinfo=timezone.utc)
STAR = StarSchema.model_validate({
    "dimensions": [{"table": "customer_360", "key": "customer_id", "description": "customers",
                    "drop_columns": ["timeline"], "drop_prefixes": ["related_"], "join_lists": ["sources"]}],
    "facts": [
        {"table": "scores", "grain": ["customer_id", "prediction"], "description": "scores",
         "references": [{"column": "customer_id", "dimension": "customer_360"}]},
        {"table": "segment_events", "grain": ["segment", "customer_id"], "description": "events",
         "references": [{"column": "customer_id", "dimension": "customer_360", "history": True}]},
        {"table": "customer_timeline", "grain": ["record_id"], "description": "later", "pending": "c360"},
    ],
})
TIMELINE = pa.list_(pa.struct([("occurred_at", UTC), ("record_id", pa.string())]))
STORE = pa.struct([("record_id", pa.string()), ("city", pa.string())])


def _customers(ids: list[str | None], extra: dict | None = None) -> pa.Table:
    n = len(ids)
    columns = {
        "customer_id": pa.array(ids, pa.string()),
        "sources": pa.array([["crm"]] * n, pa.list_(pa.string())),
        "timeline": pa.array([[{"occurred_at": WHEN, "record_id": "web:1"}]] * n, TIMELINE),
        "related_home_store": pa.array([{"record_id": "stores:1", "city": "Oslo"}] * n, STORE),
        "updated_at": pa.array([WHEN] * n, UTC),
    }
    return pa.table(columns | (extra or {}))


def _scores(ids: list[str], predictions: list[str]) -> pa.Table:
    return pa.table({"customer_id": ids, "prediction": predictions, "score": [0.5] * len(ids)})


def _lake(tmp_path, customers: pa.Table, scores: pa.Table, events: pa.Table | None = None):
    events = events if events is not None else pa.table({"segment": ["vip"], "customer_id": ["C9"]})
    for name, table in [("customer_360", customers), ("scores", scores), ("segment_events", events)]:
        deltalake.write_deltalake(str(tmp_path / "gold" / name), table)
    return tmp_path


def test_a_lake_that_power_bi_can_model_has_no_problems(tmp_path):
    lake = _lake(tmp_path, _customers(["C1", "C2"]), _scores(["C1", "C2", "C2"], ["churn", "churn", "spend"]))
    report = star_problems(lake, STAR)
    assert report.problems == []
    assert report.skipped == ["gold/customer_timeline: pending on branch c360"]
    assert all(table_problems(n, deltalake.DeltaTable(str(p))) == [] for n, p in gold_tables_in(lake).items())


def test_a_duplicate_or_null_key_and_a_duplicate_grain_are_found(tmp_path):
    lake = _lake(tmp_path, _customers(["C1", "C1", None]), _scores(["C1", "C1"], ["churn", "churn"]))
    problems = star_problems(lake, STAR).problems
    assert "customer_360: key customer_id is null in 1 rows" in problems
    assert any(p.startswith("customer_360: key ['customer_id'] is not unique: 2 rows") for p in problems)
    assert any(p.startswith("scores: grain ['customer_id', 'prediction'] is not unique: 2 rows") for p in problems)


def test_a_fact_key_missing_from_its_dimension_is_found_unless_it_is_history(tmp_path):
    lake = _lake(tmp_path, _customers(["C1"]), _scores(["C1", "C7"], ["churn", "churn"]))
    problems = star_problems(lake, STAR).problems
    assert problems == ["scores.customer_id: 1 values not in customer_360.customer_id, e.g. ['C7']"]


def test_nested_columns_the_query_keeps_and_missing_tables_are_found(tmp_path):
    extra = {"segments": pa.array([[{"segment": "vip"}]], pa.list_(pa.struct([("segment", pa.string())])))}
    lake = _lake(tmp_path, _customers(["C1"], extra).drop_columns(["timeline"]), _scores(["C1"], ["churn"]))
    (lake / "gold" / "segment_events" / "_delta_log").rename(lake / "gold" / "segment_events" / "moved")
    problems = star_problems(lake, STAR).problems
    assert "customer_360: declared column timeline is missing" in problems
    assert any(p.startswith("customer_360: column segments is nested") for p in problems)
    assert "gold/segment_events: missing" in problems


def test_naive_timestamps_and_newer_reader_protocols_are_found(tmp_path):
    local_time = pa.timestamp("us")
    naive = pa.table({"customer_id": ["C1"], "at": pa.array([datetime(2026, 6, 1)], local_time),
                      "nested": pa.array([[{"t": datetime(2026, 6, 1)}]], pa.list_(pa.struct([("t", local_time)])))})
    deltalake.write_deltalake(str(tmp_path / "naive"), naive)
    problems = table_problems("naive", deltalake.DeltaTable(str(tmp_path / "naive")))
    assert problems[0].startswith("naive: reader protocol 3 (Power BI needs 1")
    assert problems[1:] == ["naive: column at is a timestamp without time zone",
                            "naive: column nested[].t is a timestamp without time zone"]


@pytest.mark.parametrize("kind, found", [
    (pa.map_(pa.string(), pa.timestamp("ms")), ["c.value"]),
    (pa.struct([("a", UTC), ("b", pa.timestamp("ns"))]), ["c.b"]),
    (pa.large_list(UTC), []),
])
def test_naive_timestamps_are_found_inside_every_nested_type(kind, found):
    assert naive_timestamps(pa.schema([("c", kind)])) == found
