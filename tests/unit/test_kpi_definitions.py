"""kpis.yaml and segments.yaml: what loads, what is refused (naming file, KPI/segment and name), SQL rewriting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobs.kpis.compile import aggregate_sql, derived_sql
from jobs.kpis.windows import window_bounds
from schemas.loader import load_workspace
from schemas.kpis import Kpi, Window
from tests.unit.workspace_edits import RETAIL, copy_retail, edit, problems
AS_OF = datetime(2026, 6, 30, tzinfo=UTC)


@pytest.fixture()
def retail(tmp_path: Path) -> Path:
    return copy_retail(tmp_path)


def test_example_kpis_and_segments_load_with_every_template():
    ws = load_workspace(RETAIL)
    kpis, segments = ws.kpis, ws.segments
    assert {"lifetime_spend", "average_order_value", "purchase_frequency", "days_since_last_purchase",
            "support_case_rate", "rfm_score", "latest_nps", "survey_csat"} <= set(kpis.kpis)
    assert kpis.of_grain("business") and kpis.of_grain("customer")
    assert len(segments.segments) >= 5
    kinds = {k for s in segments.segments.values() for _, c in s.walk("") for k in ("all", "any", "not_", "kpi",
             "event", "segment", "attribute") if getattr(c, k) is not None}
    assert kinds == {"all", "any", "not_", "kpi", "event", "segment", "attribute"}


def test_segment_naming_an_unknown_kpi_names_segment_and_kpi(retail):
    edit(retail, "segments.yaml", lambda d: d["segments"]["high_value"].update(kpi="lifetime_spnd"))
    [problem] = problems(retail)
    assert problem.startswith("segments.yaml: segments.high_value.kpi:")
    assert "segment 'high_value'" in problem and "unknown KPI 'lifetime_spnd'" in problem


def test_segment_unknown_attribute_event_column_and_segment(retail):
    def change(d):
        d["segments"]["loyal_regulars"]["any"][0]["attribute"] = "tier"
        d["segments"]["recent_buyers"]["event"]["where"] = "state = 'x'"
        d["segments"]["lapsed"]["all"][2]["not"]["segment"] = "grumpy"

    edit(retail, "segments.yaml", change)
    found = problems(retail)
    assert any("segments.loyal_regulars.any.0.attribute" in p and "unknown attribute 'tier'" in p for p in found)
    assert any("segments.recent_buyers.event.where" in p and "unknown attribute 'state'" in p for p in found)
    assert any("segments.lapsed.all.2.not.segment" in p and "unknown segment 'grumpy'" in p for p in found)


def test_segments_in_a_cycle_are_refused(retail):
    def change(d):  # high_value -> lapsed -> unhappy -> high_value
        d["segments"]["high_value"] = {"segment": "lapsed"}
        d["segments"]["unhappy"] = {"segment": "high_value"}

    edit(retail, "segments.yaml", change)
    assert any("segments refer to each other in a cycle" in p for p in problems(retail))


def test_kpi_with_unknown_attribute_names_file_kpi_and_attribute(retail):
    edit(retail, "kpis.yaml", lambda d: d["kpis"]["lifetime_spend"].update(expr="sum(amont)"))
    [problem] = problems(retail)
    assert problem.startswith("kpis.yaml: kpis.lifetime_spend.expr:")
    assert "'purchase' has no attribute 'amont'" in problem


def test_kpi_mistakes_are_explained(retail):
    def change(d):
        d["kpis"]["order_count"]["expr"] = "amount + 1"  # no aggregate
        d["kpis"]["average_order_value"]["expr"] = "amount / count(*)"  # column outside aggregate
        d["kpis"]["escalation_rate"]["expr"] = "escalated_cases / nullif(support_casez, 0)"  # unknown KPI
        d["kpis"]["return_rate"]["filter"] = "sum(amount) > 0"  # aggregate in a filter

    edit(retail, "kpis.yaml", change)
    found = problems(retail)
    assert any("kpis.order_count.expr" in p and "aggregates nothing" in p for p in found)
    assert any("kpis.average_order_value.expr" in p and "outside an aggregate" in p for p in found)
    assert any("KPI 'escalation_rate' refers to unknown KPI 'support_casez'" in p for p in found)
    assert any("kpis.return_rate.filter" in p and "without aggregates" in p for p in found)


def test_window_needs_exactly_one_kind():
    with pytest.raises(ValueError, match="exactly one"):
        Window(last_days=3, calendar="month")
    with pytest.raises(ValueError, match="exactly one"):
        Window()


@pytest.mark.parametrize(
    ("window", "start", "end"),
    [
        ("all_time", None, AS_OF),
        (Window(last_days=30), datetime(2026, 5, 31, tzinfo=UTC), AS_OF),
        (Window(calendar="month"), datetime(2026, 6, 1, tzinfo=UTC), AS_OF),
        (Window(calendar="month", periods_back=1), datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)),
        (Window(calendar="quarter", periods_back=2), datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
        (Window(calendar="week"), datetime(2026, 6, 29, tzinfo=UTC), AS_OF),  # 2026-06-29 is a Monday
        (Window(calendar="year", periods_back=1), datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_window_bounds(window, start, end):
    assert window_bounds(window, AS_OF) == (start, end)


def test_every_aggregate_call_carries_the_rows_condition():
    kpi = Kpi(interaction="purchase", expr="count(*)", filter="status = 'completed'", window=Window(last_days=90))
    sql = aggregate_sql(kpi, AS_OF, ["customer", "store"])
    assert sql.startswith("COUNT(*) FILTER(WHERE ")
    assert "occurred_at >= CAST('2026-04-01 00:00:00.000000+00:00' AS TIMESTAMP)" in sql
    assert "(status = 'completed')" in sql
    ratio = Kpi(interaction="purchase", expr="count_if(status = 'returned') / nullif(count(DISTINCT store), 0)")
    sql = aggregate_sql(ratio, AS_OF, ["customer", "store"])
    assert sql.count("FILTER(WHERE") == 2 and "store_record_id" in sql


def test_own_filter_clause_is_combined_and_as_of_becomes_a_literal():
    kpi = Kpi(interaction="purchase", expr="datediff(as_of, max(occurred_at) FILTER (WHERE amount > 5))")
    sql = aggregate_sql(kpi, AS_OF, ["customer"])
    assert sql.count("FILTER(") == 1 and "amount > 5 AND occurred_at <" in sql
    assert "as_of" not in sql.lower().replace("cast(", "")
    duck = aggregate_sql(kpi, AS_OF, ["customer"], dialect="duckdb")
    assert "TIMESTAMPTZ" in duck
    assert derived_sql(Kpi(expr="a / nullif(b, 0)"), AS_OF) == "a / NULLIF(b, 0)"
