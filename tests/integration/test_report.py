"""`insights report` on the materialised example: every section drawn, its numbers equal the lake's.

The counts come from delta-rs, the identity accuracy from pairs counted in pandas against the
generator's truth, the model's metrics from MLflow's sqlite tables read with sqlite3.
"""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from click.testing import CliRunner

from insights.cli import main
from tests.browser import read_dom, rendered_dom, screenshot, table_rows
from tests.integration.conftest import delta_counts

pytestmark = pytest.mark.integration

FIGURES = {
    "row-counts", "quarantine", "kpi-histograms", "kpi-trends", "segment-sizes", "segment-overlap",
    "match-weights", "cluster-sizes", "match-accuracy",
    "model-churn_90d-roc", "model-churn_90d-calibration", "model-churn_90d-baseline", "model-churn_90d-scores",
}


@pytest.fixture(scope="module")
def page(example, tmp_path_factory):
    out = tmp_path_factory.mktemp("example_report")
    result = CliRunner().invoke(main, ["report", "--out", str(out), "--workspace", example.env.workspace_dir,
                                       "--lake", example.env.lake_root], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    screenshot(out / "index.html", out / "report.png")
    return read_dom(rendered_dom(out / "index.html"))


def pairwise_f1(example) -> float:
    """Pairwise F1 of gold/customer_ids against the truth, counting pairs per (customer, person) cell."""
    ids = example.table("gold/customer_ids")[["record_id", "customer_id"]]
    truth = pd.read_csv(example.truth / "records.csv", dtype=str)
    both = ids.merge(truth, on="record_id")
    pairs = lambda sizes: float((sizes * (sizes - 1) / 2).sum())  # noqa: E731
    tp = pairs(both.groupby(["customer_id", "person_id"]).size())
    precision = tp / pairs(both.groupby("customer_id").size())
    recall = tp / pairs(both.groupby("person_id").size())
    return 2 * precision * recall / (precision + recall)


def champion_metrics(example) -> dict[str, float]:
    """The latest metrics of the run behind retail.churn_90d@champion, straight from the sqlite store."""
    with sqlite3.connect(example.lake / "mlflow" / "mlflow.db") as db:
        rows = db.execute(
            "select m.key, m.value from latest_metrics m join model_versions v on v.run_id = m.run_uuid "
            "join registered_model_aliases a on a.name = v.name and a.version = v.version "
            "where a.name = 'retail.churn_90d' and a.alias = 'champion'").fetchall()
    return dict(rows)


def test_every_plot_renders_with_a_size(page):
    assert set(page.images) == FIGURES
    assert {name: size for name, size in page.images.items() if min(size) < 50} == {}
    assert page.missing.get("segments", []) == [] and page.missing.get("match-quality", []) == []


def test_the_numbers_are_the_lakes(example, page):
    counts = delta_counts(example.env.lake_root)
    shown = {row["table"]: row["rows"] for row in table_rows(page, "tables")}
    assert {k: shown[k] for k in counts} == {k: f"{n:,}" for k, n in counts.items()}
    accuracy = {r["metric"]: float(r["value"]) for r in table_rows(page, "match-accuracy")}
    assert accuracy["pairwise_f1"] == pytest.approx(pairwise_f1(example), abs=1e-4)
    logged = champion_metrics(example)
    model = {r["metric"]: (float(r["model"]), float(r["baseline"])) for r in table_rows(page, "model-churn_90d")}
    assert model and all(model[k] == (pytest.approx(logged[k], abs=1e-4), pytest.approx(logged[f"baseline_{k}"], abs=1e-4))
                         for k in model)
    quarantined = {}
    for row in table_rows(page, "quarantine"):
        quarantined[row["source"]] = quarantined.get(row["source"], 0) + int(row["rows"])
    assert quarantined == {source: n for source, n in example.manifest["bad_rows"].items() if n}
    for source in quarantined:
        reasons = example.table(f"quarantine/{source}")["_reason"].value_counts().to_dict()
        assert {r["reason"]: int(r["rows"]) for r in table_rows(page, "quarantine") if r["source"] == source} == reasons
