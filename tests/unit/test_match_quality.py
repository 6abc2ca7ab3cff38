"""Benchmark and pipeline match quality count every record: one a tool lost is an error, not a skipped row.

Hand-made frames, the expected metrics worked out by hand in the comments. The Spark version is
held to the pandas one, lost records included, by test_identity_jobs.py's test_quality_spark_equals_pandas.
"""

from __future__ import annotations

import pandas as pd
import pytest

from insights.bench.match import OURS, _row
from jobs.identity.quality import cluster_quality_pandas

# Entities A = {r1, r2, r3}, B = {r4, r5}, C = {r6}, D = {r7}; E = {r8} was not given to the tool.
TRUTH = pd.DataFrame({"record_id": [f"r{i}" for i in range(1, 9)], "entity": list("AAABBCDE")})
GIVEN = pd.Series([f"r{i}" for i in range(1, 8)])
# The tool lost r3 and r7 and put out r9, which has no label (not judged).
OUTPUT = pd.DataFrame({"record_id": ["r1", "r2", "r4", "r5", "r6", "r9"], "customer_id": list("xxyyzx")})
EXPECTED = {
    "records": 7, "records_lost": 2,
    # true pairs: A 3 + B 1 = 4; predicted: x {r1, r2} 1 + y 1 = 2 (r9 unlabelled); all 2 right
    "true_pairs": 4, "predicted_pairs": 2, "pairwise_precision": 1.0, "pairwise_recall": 0.5,
    "pairwise_f1": 2 / 3,
    # clusters predicted x, y, z (lost records are no prediction); exact: y = B, z = C (A lost r3, D lost)
    "cluster_precision": 2 / 3, "cluster_recall": 2 / 4, "cluster_f1": 4 / 7,
}


def test_a_record_a_tool_lost_is_an_error_in_pandas_and_in_the_results_line():
    metrics = cluster_quality_pandas(OUTPUT, TRUTH, given=GIVEN)
    assert metrics == pytest.approx(EXPECTED)
    base = {"dataset": "tiny", "scale": None, "records": 7, "data_fingerprint": "hand-made"}
    row = _row(OURS, base, metrics, 1.0)
    assert row["records_lost"] == 2 and row["recall"] == 0.5 and row["cluster_f1"] == round(4 / 7, 4)
    assert row["data_fingerprint"] == "hand-made"


def test_without_given_every_labelled_record_counts():
    metrics = cluster_quality_pandas(OUTPUT, TRUTH)  # r8 (E) lost too: one more entity never recovered
    assert (metrics["records"], metrics["pairwise_recall"]) == (8, 0.5)  # (5 and 1.0 when lost rows were skipped)
    assert metrics["cluster_recall"] == pytest.approx(2 / 5) and metrics["records_lost"] == 3
