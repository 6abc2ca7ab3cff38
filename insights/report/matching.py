"""Match quality from the identity tables: pair weights, cluster sizes and accuracy against labels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from insights.report.data import LakeReader
from jobs.identity.quality import cluster_quality_pandas, truth_labels
from schemas.match import match_profile
from schemas.tables import CUSTOMER_ID, RECORD_ID
from schemas.workspace import Workspace

PAIR_COLUMNS = ["match_weight", "match_probability", "linked", "deterministic"]


@dataclass(frozen=True)
class Accuracy:
    """Pairwise and cluster precision/recall/F1 of gold/customer_ids against a labels file."""

    labels: Path
    metrics: dict[str, float]


@dataclass(frozen=True)
class MatchData:
    """Candidate pairs, records per customer, and the accuracy when labels exist (each may be None)."""

    pairs: pd.DataFrame | None
    cluster_sizes: pd.Series | None  # customers (or clusters) by how many records they hold
    cluster_source: str | None  # the table the sizes come from
    accuracy: Accuracy | None
    no_labels: str | None  # why there is no accuracy


def cluster_sizes(reader: LakeReader) -> tuple[pd.Series | None, str | None]:
    """How many customers hold 1, 2, ... records: gold/customer_ids, else gold/identity_clusters."""
    ids = reader.frame("gold/customer_ids", columns=[RECORD_ID, CUSTOMER_ID])
    if ids is not None:
        return ids.groupby(CUSTOMER_ID).size().value_counts().sort_index(), "gold/customer_ids"
    clusters = reader.frame("gold/identity_clusters", columns=[RECORD_ID, "cluster"])
    if clusters is not None:
        return clusters.groupby("cluster").size().value_counts().sort_index(), "gold/identity_clusters"
    return None, None


def accuracy(workspace: Workspace, reader: LakeReader) -> tuple[Accuracy | None, str | None]:
    """Metrics of the customer IDs against the policy's labels or the generator's truth, if any."""
    policy = workspace.match
    if policy is None:
        return None, "the workspace has no match.yaml"
    path = truth_labels(policy, workspace)
    if path is None or not path.exists():
        return None, f"no labels: neither match.yaml's quality.labels nor {workspace.data_root}/_truth/records.csv"
    ids = reader.frame("gold/customer_ids", columns=[RECORD_ID, CUSTOMER_ID])
    if ids is None:
        return None, "gold/customer_ids is not in the lake"
    entity = policy.quality.entity_column
    labels = pd.read_csv(path, dtype=str)
    missing = {RECORD_ID, entity} - set(labels.columns)
    if missing:
        raise ValueError(f"{path}: the labels need the columns {sorted(missing)} (it has {list(labels.columns)})")
    silver = reader.frame(f"silver/{match_profile(policy, workspace)}", columns=[RECORD_ID])  # what was resolved
    given = silver[RECORD_ID] if silver is not None else None
    metrics = cluster_quality_pandas(ids, labels.rename(columns={entity: "entity"}), given=given)
    return Accuracy(path, metrics), None


def match_data(workspace: Workspace, reader: LakeReader) -> MatchData:
    """Everything the match-quality section draws."""
    pairs = reader.frame("gold/identity_pairs", columns=PAIR_COLUMNS)
    sizes, source = cluster_sizes(reader)
    found, why = accuracy(workspace, reader)
    return MatchData(pairs, sizes, source, found, why)
