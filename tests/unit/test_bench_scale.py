"""insights bench scale's record-keeping, without Spark: per asset peaks from the samples, totals, growth."""

from __future__ import annotations

import json
import os
import time

from pyspark.sql import SparkSession

from insights.bench.memory import MemorySampler, Sample, status_mb
from insights.bench.scale_records import (StepWindow, asset_rows, growth, interactions, latest_totals, total_row,
                                          window_peaks)
from insights.run import TableWritten

SAMPLES = [Sample(10.0, 100, 0), Sample(11.0, 120, 900), Sample(12.0, 130, 1500), Sample(13.0, 110, 1200)]
TABLES = [TableWritten("bronze/crm", 1000, 2.0, "bronze"), TableWritten("silver/purchase", 4_000_000, 1.0, "silver"),
          TableWritten("silver/customer", 500, 1.0, "silver"), TableWritten("gold/scores", 500, 0.2, "scores")]
WINDOWS = {"bronze": StepWindow("bronze", 10.5, 12.5), "silver": StepWindow("silver", 12.6, 13.5),
           "scores": StepWindow("scores", 13.6, 13.8)}


def test_each_asset_gets_its_steps_peaks():
    rows = asset_rows("tiny", TABLES, WINDOWS, SAMPLES)
    assert [(r["asset"], r["rows"], r["seconds"], r["python_rss_mb"], r["jvm_rss_mb"]) for r in rows] == [
        ("bronze/crm", 1000, 2.0, 130, 1500), ("silver/purchase", 4_000_000, 1.0, 110, 1200),
        ("silver/customer", 500, 1.0, 110, 1200),
        ("gold/scores", 500, 0.2, 110, 1200),  # a step shorter than a sample: the last sample before its end
    ]


def test_a_table_without_a_step_has_no_peaks():
    assert "jvm_rss_mb" not in asset_rows("tiny", [TableWritten("x/y", 1)], WINDOWS, SAMPLES)[0]
    assert window_peaks([], 0, 1) == {"python_rss_mb": 0.0, "jvm_rss_mb": 0.0}


def test_totals_count_silver_interactions_per_million():
    n = interactions(TABLES, ["purchase", "web_event"])
    total = total_row("tiny", 8.0, 1.0, TABLES, n, {"python_peak_mb": 140.0, "jvm_peak_mb": 1600.0}, SAMPLES, True)
    assert n == 4_000_000
    assert total["seconds_per_million_interactions"] == 2.0
    assert (total["tables"], total["rows"], total["jvm_rss_mb"], total["jvm_peak_mb"]) == (4, 4_002_000, 1500, 1600.0)
    assert total_row("tiny", 8.0, 0, [], 0, {}, [], False)["seconds_per_million_interactions"] is None


def test_growth_from_the_latest_successful_totals(tmp_path):
    path = tmp_path / "scale.jsonl"
    rows = [{"case": "total", "scale": "medium", "success": True, "seconds_per_million_interactions": 100.0},
            {"case": "asset", "scale": "large"},
            {"case": "total", "scale": "large", "success": False, "seconds_per_million_interactions": 500.0},
            {"case": "total", "scale": "large", "success": True, "seconds_per_million_interactions": 118.0}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    latest = latest_totals(path)
    assert latest["large"]["seconds_per_million_interactions"] == 118.0
    assert growth(latest) == {"from": "medium", "to": "large", "growth": 0.18, "within_target": True}
    assert growth({"medium": rows[0]}) is None
    assert latest_totals(tmp_path / "none.jsonl") == {}


def test_the_sampler_reads_this_process():
    assert status_mb(os.getpid(), "VmRSS") > 0 and status_mb(2**22 + 7, "VmRSS") == 0.0
    with MemorySampler(every=0.01) as sampler:
        while len(sampler.samples) < 3:
            time.sleep(0.01)
    has_jvm = SparkSession.getActiveSession() is not None  # the suite's shared session, when this worker started one
    assert all(s.python_mb > 0 and (s.jvm_mb > 0) == has_jvm for s in sampler.samples)
    assert sampler.high_water()["python_peak_mb"] >= max(s.python_mb for s in sampler.samples) - 1
