"""Manual decisions that win over the model on every run: must-link and cannot-link pairs.

must_link pairs become edges that cannot be cut. A cannot_link pair found in one cluster is
separated by a minimum cut between the two records over the cluster's edges (capacity = the
edge's evidence), so the weakest links between them go, whatever path connected them. Only the
affected clusters' edges reach the driver, and clusters are capped by max_cluster_size.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.identity.errors import IdentityError
from schemas.match import MATCH_FILE, MatchPolicy

MUST_LINK_CAPACITY = 1e12
DETERMINISTIC_CAPACITY = 1e6


@dataclass(frozen=True)
class OverridePairs:
    """The pairs of both kinds, each as (smaller record_id, larger record_id)."""

    must_link: list[tuple[str, str]] = field(default_factory=list)
    cannot_link: list[tuple[str, str]] = field(default_factory=list)


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def load_overrides(policy: MatchPolicy, workspace_root: Path) -> OverridePairs:
    """Pairs from match.yaml plus the optional CSV file; a pair in both lists is an error."""
    must = [_ordered(*p) for p in policy.overrides.must_link]
    cannot = [_ordered(*p) for p in policy.overrides.cannot_link]
    if policy.overrides.file:
        path = workspace_root / policy.overrides.file
        with path.open(newline="", encoding="utf-8") as handle:
            for i, row in enumerate(csv.DictReader(handle), start=2):
                decision = (row.get("decision") or "").strip()
                pair = _ordered(row["record_a"].strip(), row["record_b"].strip())
                if decision == "must_link":
                    must.append(pair)
                elif decision == "cannot_link":
                    cannot.append(pair)
                else:
                    raise IdentityError(f"{path}: row {i}: decision must be must_link or cannot_link, not '{decision}'")
    both = set(must) & set(cannot)
    if both:
        raise IdentityError(f"{MATCH_FILE}: overrides: pairs both must_link and cannot_link: {sorted(both)}")
    return OverridePairs(sorted(set(must)), sorted(set(cannot)))


def override_frame(spark: SparkSession, pairs: list[tuple[str, str]]) -> DataFrame:
    return spark.createDataFrame(pairs, "a string, b string")


def cut_cannot_links(
    spark: SparkSession,
    clusters: DataFrame,
    edges: DataFrame,
    cannot_link: list[tuple[str, str]],
) -> tuple[DataFrame | None, list[tuple[str, str]], list[tuple[str, str]]]:
    """New (node, component) for the clusters a cannot-link pair sits in; the cut edges; pairs applied.

    clusters: (node, component). edges: (src, dst, capacity) of every linked pair.
    """
    if not cannot_link:
        return None, [], []
    pairs = override_frame(spark, cannot_link)
    la = clusters.select(F.col("node").alias("a"), F.col("component").alias("ca"))
    lb = clusters.select(F.col("node").alias("b"), F.col("component").alias("cb"))
    together = pairs.join(la, "a").join(lb, "b").where(F.col("ca") == F.col("cb")).collect()
    if not together:
        return None, [], []
    affected = sorted({r["ca"] for r in together})
    members = clusters.where(F.col("component").isin(affected))
    inside = (
        edges.join(members.select(F.col("node").alias("src"), F.col("component")), "src")
        .select("src", "dst", "capacity", "component")
        .collect()
    )
    graphs: dict[str, nx.Graph] = {c: nx.Graph() for c in affected}
    for row in inside:
        graph = graphs[row["component"]]
        if graph.has_edge(row["src"], row["dst"]):
            graph[row["src"]][row["dst"]]["capacity"] += row["capacity"]
        else:
            graph.add_edge(row["src"], row["dst"], capacity=float(row["capacity"]))
    for row in members.collect():
        graphs[row["component"]].add_node(row["node"])
    cut_edges: list[tuple[str, str]] = []
    applied = []
    for r in together:
        graph = graphs[r["ca"]]
        a, b = r["a"], r["b"]
        if not nx.has_path(graph, a, b):
            applied.append((a, b))
            continue
        value, (side_a, _) = nx.minimum_cut(graph, a, b)
        if value >= MUST_LINK_CAPACITY:
            raise IdentityError(
                f"{MATCH_FILE}: overrides: cannot_link {a} / {b} contradicts must_link pairs that join them"
            )
        removed = [(u, v) for u, v in graph.edges() if (u in side_a) != (v in side_a)]
        graph.remove_edges_from(removed)
        cut_edges += [_ordered(u, v) for u, v in removed]
        applied.append((a, b))
    relabelled = []
    for graph in graphs.values():
        for part in nx.connected_components(graph):
            label = min(part)
            relabelled += [(node, label) for node in part]
    frame = spark.createDataFrame(relabelled, "node string, component string")
    return frame, cut_edges, applied
