"""`make bench`'s record and summary (no Spark): rows stamped and copied to the run's file; targets read from that file only."""

from __future__ import annotations

import json

from insights.bench import results
from insights.bench.summary import load_run, targets, write_summary


def test_rows_go_to_the_results_file_and_the_run_file_with_commit_load_and_data(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setenv(results.DATA_ENV, str(tmp_path / "data"))
    manifest = tmp_path / "data" / "small" / "_truth" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"seed": 42}')
    run = tmp_path / "runs" / "run.jsonl"
    monkeypatch.setenv(results.RUN_ENV, str(run))
    results.write_results("kpis", [{"case": "kpis_5", "seconds": 1.0, "scale": "small"}, {"case": "other", "seconds": 2.0}])
    kept = [json.loads(line) for line in (tmp_path / "results" / "kpis.jsonl").read_text().splitlines()]
    copied = [json.loads(line) for line in run.read_text().splitlines()]
    assert [r["case"] for r in kept] == ["kpis_5", "other"]
    assert copied == [{"bench": "kpis"} | r for r in kept]
    assert kept[0]["commit"] and kept[0]["commit"] == results.commit()  # this checkout's commit
    assert "load_1min" in kept[0] and kept[0]["data_fingerprint"] == results.data_fingerprint("small")
    assert len(kept[0]["data_fingerprint"]) == 16 and "data_fingerprint" not in kept[1]


def rows(bench: str, *items: dict) -> list[str]:
    return [json.dumps({"bench": bench, "commit": "abc", "machine": "x86_64 2 cpu", "load_1min": 1.5} | item) for item in items]


def test_targets_and_summary_come_from_the_run_file(tmp_path):
    run = tmp_path / "run.jsonl"
    lines = rows("match",
                 {"tool": "customer-insights-spark", "dataset": "febrl4", "scale": None, "f1": 0.9999, "seconds": 30.0},
                 {"tool": "splink-spark", "dataset": "febrl4", "scale": None, "f1": 0.9953, "best_f1": 0.999, "seconds": 27.0})
    lines += rows("kpis", {"case": "kpis_5", "seconds": 4.0, "scale": "small"}, {"case": "kpis_50", "seconds": 5.0, "scale": "small"},
                  {"case": "incremental_1pct", "seconds": 2.0, "scale": "small"}, {"case": "full", "seconds": 6.0, "scale": "small"},
                  {"case": "duckdb_reference", "seconds": 0.5, "rows": 10, "customers_different": 0})
    lines += rows("scale", {"case": "total", "scale": "small", "seconds": 170.0, "tables": 50, "seconds_per_million_interactions": 700.0})
    lines += rows("forget", {"case": "one", "seconds": 60.0, "tables": 50}, {"case": "hundred", "seconds": 150.0})
    run.write_text("\n".join(lines) + "\n")
    found = {t.name: t for t in targets(load_run(run))}
    febrl_time = found["match febrl4: seconds, ours / Splink-Spark"]
    assert abs(febrl_time.value - 30 / 27) < 1e-9 and febrl_time.met is False
    febrl_f1 = found["match febrl4: F1, ours - Splink's best"]
    assert abs(febrl_f1.value - (0.9999 - 0.999)) < 1e-9 and febrl_f1.met is True  # against Splink at its best threshold
    assert found["match generated medium: seconds, ours / Splink-Spark"].met is None  # not in this run
    assert found["KPIs: 50 / 5 (medians)"].value == 1.25 and found["KPIs: 50 / 5 (medians)"].met is True
    incremental = found["KPIs: incremental after 1% / full, large"]
    assert incremental.met is None and "small" in incremental.detail  # the target names the large scale
    assert found["KPIs: customers where DuckDB's hand-written SQL differs"].met is True
    assert found["pipeline seconds, small"].met is True
    assert found["forget: 100 in one pass / one"].value == 2.5 and found["forget: 100 in one pass / one"].met is False
    assert all(t.met is None for t in found.values() if t.name.startswith("CDNOW"))

    summary = write_summary(run)
    text = summary.read_text()
    assert "| KPIs: 50 / 5 (medians) | 1.25 | <= 1.5 | yes |" in text
    assert "| forget: 100 in one pass / one | 2.5 | <= 2.0 | **no** |" in text
    assert "abc on x86_64 2 cpu" in text
    for plot in ("time_per_scale.png", "ratios.png"):
        assert f"run-plots/{plot}" in text
        assert (tmp_path / "run-plots" / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_line_that_is_not_json_is_named(tmp_path):
    import click
    import pytest

    run = tmp_path / "run.jsonl"
    run.write_text(rows("kpis", {"case": "kpis_5"})[0] + "\n{broken\n")
    with pytest.raises(click.ClickException, match="run.jsonl:2"):
        load_run(run)
