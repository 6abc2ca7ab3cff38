"""`insights report` on a small lake it writes: the page renders in headless Chromium with every plot.

Each figure's numbers are checked against an independent count: row counts by delta-rs, the
quarantine by reason from what was written, F1 from pairs listed in pandas, the model's metrics
from what was logged. A lake without segments, identity or MLflow gets sections that say so.
"""

from __future__ import annotations

from itertools import combinations

import deltalake
import pandas as pd
import pytest
from click.testing import CliRunner

from insights.cli import main
from tests.browser import read_dom, rendered_dom, screenshot, table_rows
from tests.unit.report_lake import BASELINE, METRICS, QUARANTINE, RECORDS, base_tables, full_lake, workspace_copy

FIGURES = {
    "row-counts", "quarantine", "kpi-histograms", "kpi-trends", "segment-sizes", "segment-overlap",
    "match-weights", "cluster-sizes", "match-accuracy",
    "model-churn_90d-roc", "model-churn_90d-calibration", "model-churn_90d-baseline", "model-churn_90d-scores",
}


def report(workspace, lake, out) -> str:
    """Run the command as a user would and return its output."""
    result = CliRunner().invoke(main, ["report", "--out", str(out), "--workspace", str(workspace),
                                       "--lake", str(lake)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The report of the full small lake, rendered by Chromium: (lake, workspace, page, dom)."""
    tmp = tmp_path_factory.mktemp("report")
    workspace, lake = workspace_copy(tmp), full_lake(tmp)
    report(workspace, lake, tmp / "out")
    page = tmp / "out" / "index.html"
    screenshot(page, tmp / "report.png")
    return lake, workspace, page, read_dom(rendered_dom(page))


def test_every_plot_is_drawn_with_a_size(rendered):
    _, _, _, dom = rendered
    assert set(dom.images) == FIGURES
    empty = {name: size for name, size in dom.images.items() if min(size) < 50}
    assert empty == {}


def test_the_page_needs_no_server(rendered):
    _, _, page, _ = rendered
    html = page.read_text()
    assert "http://" not in html and "https://" not in html
    assert html.count('src="data:image/png;base64,') == len(FIGURES)


def test_the_run_summary_counts_what_delta_rs_counts(rendered):
    lake, _, _, dom = rendered
    rows = {row["table"]: row["rows"] for row in table_rows(dom, "tables")}
    on_disk = {str(log.parent.relative_to(lake)): log.parent for log in lake.rglob("_delta_log")}
    for key, path in on_disk.items():
        assert rows[key] == f"{deltalake.DeltaTable(str(path)).to_pyarrow_table().num_rows:,}", key
    assert {k for k, v in rows.items() if v != "not written"} == set(on_disk)
    assert rows["gold/golden_customer"] == "not written"


def test_quarantine_is_counted_by_reason(rendered):
    _, _, _, dom = rendered
    shown = {(r["source"], r["reason"]): int(r["rows"]) for r in table_rows(dom, "quarantine")}
    expected = {(source, reason): n for source, reasons in QUARANTINE.items()
                for reason, n in pd.Series(reasons).value_counts().items()}
    assert shown == expected


def test_match_accuracy_equals_pairs_listed_in_pandas(rendered):
    _, _, _, dom = rendered
    shown = {r["metric"]: float(r["value"]) for r in table_rows(dom, "match-accuracy")}
    pairs = list(combinations(RECORDS, 2))
    predicted = {p for p in pairs if RECORDS[p[0]][0] == RECORDS[p[1]][0]}
    true = {p for p in pairs if RECORDS[p[0]][1] == RECORDS[p[1]][1]}
    precision, recall = len(predicted & true) / len(predicted), len(predicted & true) / len(true)
    assert shown["pairwise_precision"] == pytest.approx(precision, abs=1e-4)
    assert shown["pairwise_recall"] == pytest.approx(recall, abs=1e-4)
    assert shown["pairwise_f1"] == pytest.approx(2 * precision * recall / (precision + recall), abs=1e-4)
    sizes = {int(r["records"]): int(r["customers"]) for r in table_rows(dom, "cluster-sizes")}
    assert sizes == pd.Series([c for c, _ in RECORDS.values()]).value_counts().value_counts().to_dict()


def test_model_quality_is_what_the_training_logged(rendered):
    _, _, _, dom = rendered
    shown = {r["metric"]: (float(r["model"]), float(r["baseline"])) for r in table_rows(dom, "model-churn_90d")}
    assert shown == {k: (pytest.approx(METRICS[k]), pytest.approx(BASELINE[k])) for k in METRICS}
    assert "grade A" in dom.facts["churn_90d"] and "27.5%" in dom.facts["churn_90d"]


def test_segments_and_business_kpis_match_their_tables(rendered):
    _, _, _, dom = rendered
    last = {r["segment"]: (int(r["size"]), int(r["runs"])) for r in table_rows(dom, "segment-sizes")}
    assert last == {"high_value": (4, 2), "lapsed": (1, 2)}
    periods = {r["kpi"]: (int(r["periods"]), float(r["latest value (all dimension values)"]))
               for r in table_rows(dom, "kpi-periods")}
    assert periods == {"revenue": (6, 150.0), "revenue_by_channel": (6, 110.0)}
    kpis = {r["kpi"]: int(r["customers with a value"]) for r in table_rows(dom, "kpi-stats")}
    assert kpis == {"lifetime_spend": 4, "order_count": 5}


def test_a_lake_without_segments_identity_or_models_says_so(tmp_path):
    workspace, lake = workspace_copy(tmp_path), tmp_path / "lake"
    base_tables(lake)
    output = report(workspace, lake, tmp_path / "out")
    dom = read_dom(rendered_dom(tmp_path / "out" / "index.html"))
    assert set(dom.images) == {"row-counts", "quarantine", "kpi-histograms"}
    assert all(min(size) >= 50 for size in dom.images.values())
    assert any("gold/segment_sizes is not in the lake" in n for n in dom.missing["segments"])
    assert any("gold/identity_pairs is not in the lake" in n for n in dom.missing["match-quality"])
    assert any("no MLflow store" in n for n in dom.missing["model-quality"])
    assert any("gold/kpis_business is not in the lake" in n for n in dom.missing["kpi-trends"])
    assert "missing: gold/segment_sizes is not in the lake" in output


def test_a_folder_that_is_no_lake_is_a_clear_error(tmp_path):
    workspace = workspace_copy(tmp_path)
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "out"), "--workspace", str(workspace),
                                       "--lake", str(tmp_path / "nowhere")])
    assert result.exit_code != 0 and "no lake at" in result.output
