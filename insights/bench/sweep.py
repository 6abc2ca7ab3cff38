"""Splink at its best clustering threshold: our policy was tuned on the benchmark data, Splink's settings were not."""

from __future__ import annotations

import numpy as np
import pandas as pd

# The thresholds swept: Splink's demos cluster at 0.95 to 0.999; lower ones for a weak prior.
THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99)


def components(pairs: pd.DataFrame, records: pd.Series, threshold: float) -> pd.DataFrame:
    """record_id -> customer_id: connected components of the pairs at or above the threshold (as Splink clusters)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids = pd.Index(records.astype(str).unique())
    kept = pairs[pairs["match_probability"] >= threshold]
    left = ids.get_indexer(kept["record_id_l"].astype(str))
    right = ids.get_indexer(kept["record_id_r"].astype(str))
    known = (left >= 0) & (right >= 0)
    graph = coo_matrix((np.ones(known.sum()), (left[known], right[known])), shape=(len(ids), len(ids)))
    _, labels = connected_components(graph, directed=False)
    return pd.DataFrame({"record_id": ids, "customer_id": labels.astype(str)})


def best_threshold(pairs: pd.DataFrame, truth: pd.DataFrame, given: pd.Series) -> dict:
    """The sweep's best pairwise F1 and its threshold, and every threshold's F1 (cheap: pandas on scored pairs)."""
    from jobs.identity.quality import cluster_quality_pandas

    scores = {t: cluster_quality_pandas(components(pairs, given, t), truth, given=given)["pairwise_f1"]
              for t in THRESHOLDS}
    best = max(scores, key=lambda t: (scores[t], t))
    return {"best_threshold": best, "best_f1": round(scores[best], 4),
            "f1_by_threshold": {str(t): round(f, 4) for t, f in scores.items()}}
