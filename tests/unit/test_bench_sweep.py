"""The peer's threshold sweep clusters scored pairs as Splink does (connected components at a threshold)."""

from __future__ import annotations

import pandas as pd

from insights.bench.sweep import best_threshold, components

# Entities A = {r1, r2, r3}, B = {r4, r5}; r6 alone. The r3-r4 pair is wrong but scored 0.85.
TRUTH = pd.DataFrame({"record_id": [f"r{i}" for i in range(1, 7)], "entity": list("AAABBC")})
GIVEN = TRUTH["record_id"]
PAIRS = pd.DataFrame({"record_id_l": ["r1", "r2", "r3", "r4"], "record_id_r": ["r2", "r3", "r4", "r5"],
                      "match_probability": [0.99, 0.93, 0.85, 0.97]})


def test_components_chain_pairs_and_keep_unpaired_records_alone():
    at_09 = components(PAIRS, GIVEN, 0.9).set_index("record_id")["customer_id"]
    assert at_09["r1"] == at_09["r3"] and at_09["r4"] == at_09["r5"] and at_09["r3"] != at_09["r4"]
    assert at_09.nunique() == 3  # {r1, r2, r3}, {r4, r5}, {r6}: every given record has a cluster


def test_the_best_threshold_is_the_one_with_the_best_pairwise_f1():
    sweep = best_threshold(PAIRS, TRUTH, GIVEN)
    # 0.9 and 0.95 drop the wrong pair but 0.95 also drops r2-r3: 0.9 alone is exact (F1 1.0)
    assert (sweep["best_threshold"], sweep["best_f1"]) == (0.9, 1.0)
    assert sweep["f1_by_threshold"]["0.8"] < 1.0 and sweep["f1_by_threshold"]["0.95"] < 1.0
