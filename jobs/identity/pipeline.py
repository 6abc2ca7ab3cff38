"""Identity resolution steps over the lake: each reads its inputs and writes one gold table.

The Dagster assets (orchestration/assets/identity.py) and the benchmark call these same steps:
model -> pairs -> clusters -> customer IDs (+ history) -> golden record, interaction customers.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from delta.tables import DeltaTable

from jobs.delta import read_table, table_exists, table_version
from jobs.identity.blocking import LEFT, RIGHT, RULE, candidate_pairs, check_pair_budget
from jobs.identity.components import LABEL, NODE, connected_components, ensure_checkpoint_dir
from jobs.identity.errors import IdentityError
from jobs.identity.golden import golden_records
from jobs.identity.interactions import interaction_customers
from jobs.identity.model import MODEL_SCHEMA, MatchModel, model_rows, policy_fingerprint
from jobs.identity.overrides import (
    DETERMINISTIC_CAPACITY,
    MUST_LINK_CAPACITY,
    OverridePairs,
    cut_cannot_links,
    load_overrides,
    override_frame,
)
from jobs.identity.prepare import prepare_records
from jobs.identity.quality import cluster_quality
from jobs.identity.score import DETERMINISTIC, LINKED, MATCH_WEIGHT, pair_columns, score_pairs, with_term_frequencies
from jobs.identity.stable_ids import CLUSTER, HISTORY_COLUMNS, SINCE, assign_ids, id_changes
from jobs.identity.train import train_model
from schemas.match import MATCH_FILE, MatchPolicy, match_profile
from schemas.tables import (
    CUSTOMER_ID,
    GOLDEN_RECORD,
    IDENTITY_CLUSTERS,
    IDENTITY_HISTORY,
    IDENTITY_MAP,
    IDENTITY_MODEL,
    IDENTITY_PAIRS,
    INTERACTION_CUSTOMERS,
    RECORD_ID,
    SOURCE,
    Lake,
)
from schemas.workspace import Workspace

OVERRIDE = "override"


def overwrite(df: DataFrame, path: str, built_from: dict | None = None) -> None:
    """Replace a gold table (a new Delta version; older ones stay readable by time travel).

    built_from (the inputs and a summary) is kept in the commit's userMetadata, so the next run
    can tell that nothing it depends on has changed.
    """
    writer = df.write.format("delta").mode("overwrite").option("overwriteSchema", "true")
    if built_from is not None:
        writer = writer.option("userMetadata", json.dumps(built_from, sort_keys=True, default=str))
    writer.save(path)


def last_build(spark: SparkSession, path: str) -> dict | None:
    """What the latest version of a table was built from (see overwrite), if recorded."""
    if not table_exists(spark, path):
        return None
    text = DeltaTable.forPath(spark, path).history(1).select("userMetadata").first()[0]
    return json.loads(text) if text else None


@dataclass
class Identity:
    """One workspace's identity resolution against one lake."""

    spark: SparkSession
    workspace: Workspace
    lake: Lake
    policy: MatchPolicy = field(init=False)
    profile: str = field(init=False)

    def __post_init__(self) -> None:
        policy = self.workspace.match
        if policy is None:
            raise IdentityError(f"the workspace has no {MATCH_FILE}")
        self.policy = policy
        self.profile = match_profile(policy, self.workspace)
        local = self.lake.root if self.lake.is_local else None
        ensure_checkpoint_dir(self.spark, None if local else f"{self.lake.root.rstrip('/')}/_checkpoints")

    # ------------------------------------------------------------------ inputs

    def profiles(self) -> DataFrame:
        df = read_table(self.spark, self.lake.silver(self.profile))
        if df is None:
            raise IdentityError(f"silver/{self.profile} does not exist yet: build silver first")
        return df

    @cached_property
    def records(self) -> DataFrame:
        """Prepared records with term frequencies, kept in memory for the steps of this run."""
        base = prepare_records(self.profiles(), self.policy).persist(StorageLevel.MEMORY_AND_DISK)
        # A local checkpoint cuts the lineage: every later plan starts from these rows, not from silver.
        prepared = with_term_frequencies(base, self.policy).localCheckpoint(eager=True)
        base.unpersist()
        return prepared

    @cached_property
    def overrides(self) -> OverridePairs:
        return load_overrides(self.policy, self.workspace.root)

    def release(self) -> None:
        """Free the cached records."""
        if "records" in self.__dict__:
            self.records.unpersist()
            del self.__dict__["records"]

    def _inputs(self, **extra) -> dict:
        """The versions of the tables a step reads plus the settings it uses: equal means nothing to do."""
        return {k: (table_version(self.spark, v) if isinstance(v, str) and "/" in v else v) for k, v in extra.items()}

    def _unchanged(self, path: str, inputs: dict) -> dict | None:
        """The summary of the last build of path when its inputs are the same as now."""
        built = last_build(self.spark, path)
        if built is not None and built.get("inputs") == json.loads(json.dumps(inputs, sort_keys=True, default=str)):
            return built.get("summary") | {"skipped": True}
        return None

    # ------------------------------------------------------------------ model

    def stored_model(self) -> tuple[MatchModel, int] | None:
        """The latest stored model, if any."""
        table = read_table(self.spark, self.lake.gold(IDENTITY_MODEL))
        if table is None:
            return None
        row = table.where(F.col("comparison") == "__prior__").orderBy(F.col("version").desc()).limit(1).collect()
        if not row:
            return None
        return MatchModel.from_dict(json.loads(row[0]["model_json"])), int(row[0]["version"])

    def model(self) -> tuple[MatchModel, int, bool, dict]:
        """(model, version, trained now?, training metrics): reuse the stored one unless the policy changed."""
        stored = self.stored_model()
        fingerprint = policy_fingerprint(self.policy)
        if stored and stored[0].fingerprint == fingerprint and not self.policy.training.retrain:
            return stored[0], stored[1], False, {}
        model, metrics = train_model(self.records, self.policy)
        version = (stored[1] + 1) if stored else 1
        rows = model_rows(model, version, datetime.now(UTC), self.policy.model_dump_json())
        self.spark.createDataFrame(rows, MODEL_SCHEMA).write.format("delta").mode("append").save(
            self.lake.gold(IDENTITY_MODEL))
        return model, version, True, metrics

    # ------------------------------------------------------------------ pairs

    def pairs(self, model: MatchModel, version: int) -> dict:
        """Score the candidate pairs and write gold/identity_pairs; returns counts for metadata."""
        path = self.lake.gold(IDENTITY_PAIRS)
        inputs = self._inputs(silver=self.lake.silver(self.profile), model_version=version,
                              fingerprint=policy_fingerprint(self.policy), threshold=self.policy.threshold,
                              cannot_link=self.overrides.cannot_link)
        done = self._unchanged(path, inputs)
        if done is not None:
            return done
        budget = check_pair_budget(self.records, self.policy)
        pairs = candidate_pairs(self.records, self.policy.rules(), self.policy.link_within_source)
        scored = score_pairs(pairs, model, self.policy).select(*pair_columns(self.policy))
        cannot = self.overrides.cannot_link
        if cannot:
            blocked = override_frame(self.spark, cannot).select(
                F.col("a").alias(LEFT), F.col("b").alias(RIGHT), F.lit("cannot_link").alias(OVERRIDE))
            scored = scored.join(blocked, [LEFT, RIGHT], "left")
            scored = scored.withColumn(LINKED, F.col(LINKED) & F.col(OVERRIDE).isNull())
        else:
            scored = scored.withColumn(OVERRIDE, F.lit(None).cast("string"))
        scored = scored.withColumn("model_version", F.lit(version).cast("long")).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            by_rule = scored.groupBy(RULE).agg(
                F.count(F.lit(1)).alias("pairs"), F.sum(F.col(LINKED).cast("int")).alias("linked")).collect()
            summary = {
                "candidate_pairs": sum(r["pairs"] for r in by_rule),
                "linked_pairs": sum(r["linked"] or 0 for r in by_rule),
                "by_rule": {r[RULE]: {"pairs": r["pairs"], "linked": r["linked"] or 0} for r in by_rule},
                "budget": budget,
            }
            overwrite(scored, path, {"inputs": inputs, "summary": summary})
        finally:
            scored.unpersist()
        return summary

    # ------------------------------------------------------------------ clusters

    def _edges(self) -> DataFrame:
        """(src, dst, capacity, strong) of every link: linked pairs and must-link overrides."""
        pairs = read_table(self.spark, self.lake.gold(IDENTITY_PAIRS))
        linked = pairs.where(F.col(LINKED)).select(
            F.col(LEFT).alias("src"), F.col(RIGHT).alias("dst"),
            F.when(F.col(DETERMINISTIC), F.lit(DETERMINISTIC_CAPACITY))
            .otherwise(F.greatest(F.col(MATCH_WEIGHT), F.lit(0.01))).alias("capacity"),
            F.col(DETERMINISTIC).alias("strong"),
        )
        must = self.overrides.must_link
        if must:
            known = self.profiles().select(F.col(RECORD_ID).alias("src"))
            forced = override_frame(self.spark, must).select(
                F.col("a").alias("src"), F.col("b").alias("dst"),
                F.lit(MUST_LINK_CAPACITY).alias("capacity"), F.lit(True).alias("strong"))
            forced = forced.join(known, "src").join(known.withColumnRenamed("src", "dst"), "dst")
            linked = linked.unionByName(forced.select("src", "dst", "capacity", "strong"))
        return linked

    def clusters(self) -> dict:
        """Connected components with the giant-cluster guard and cannot-link cuts; writes gold/identity_clusters."""
        path = self.lake.gold(IDENTITY_CLUSTERS)
        inputs = self._inputs(pairs=self.lake.gold(IDENTITY_PAIRS), silver=self.lake.silver(self.profile),
                              clustering=self.policy.clustering.model_dump(), must_link=self.overrides.must_link,
                              cannot_link=self.overrides.cannot_link)
        done = self._unchanged(path, inputs)
        if done is not None:
            return done
        limit = self.policy.clustering.max_cluster_size
        iterations = self.policy.clustering.max_iterations
        edges = self._edges().persist()
        try:
            components = connected_components(edges, max_iterations=iterations)
            sizes = components.groupBy(LABEL).agg(F.count(F.lit(1)).alias("size"))
            oversized = [(r[LABEL], r["size"]) for r in sizes.where(F.col("size") > limit)
                         .orderBy(F.col("size").desc()).collect()]
            notes = self.spark.createDataFrame([], f"{NODE} string, note string")
            if oversized:
                components, notes = self._guard(components, edges, [c for c, _ in oversized], limit, iterations)
            relabelled, cut, applied = cut_cannot_links(self.spark, components, edges, self.overrides.cannot_link)
            if relabelled is not None:
                components = components.join(relabelled.select(NODE), NODE, "left_anti").unionByName(relabelled)
                notes = notes.unionByName(relabelled.select(NODE, F.lit("cannot_link_cut").alias("note")))
            records = self.profiles().select(RECORD_ID, SOURCE).where(F.col(RECORD_ID).isNotNull())
            clusters = (
                records.join(components.withColumnRenamed(NODE, RECORD_ID), RECORD_ID, "left")
                .withColumn(CLUSTER, F.coalesce(F.col(LABEL), F.col(RECORD_ID)))
                .join(notes.withColumnRenamed(NODE, RECORD_ID).dropDuplicates([RECORD_ID]), RECORD_ID, "left")
            )
            size = clusters.groupBy(CLUSTER).agg(F.count(F.lit(1)).alias("cluster_size"))
            clusters = clusters.join(size, CLUSTER).select(RECORD_ID, SOURCE, CLUSTER, "cluster_size", "note")
            clusters = clusters.localCheckpoint(eager=True)
            distribution = {int(r["cluster_size"]): int(r["clusters"]) for r in clusters.groupBy("cluster_size").agg(
                F.countDistinct(CLUSTER).alias("clusters")).collect()}
            summary = {
                "records": sum(k * v for k, v in distribution.items()),
                "clusters": sum(distribution.values()),
                "size_distribution": {str(k): v for k, v in sorted(distribution.items())},
                "oversized": [{"cluster": c, "size": n} for c, n in oversized],
                "cannot_link_applied": [list(p) for p in applied],
                "cut_edges": [list(e) for e in cut],
            }
            overwrite(clusters, path, {"inputs": inputs, "summary": summary})
        finally:
            edges.unpersist()
        return summary

    def _guard(self, components: DataFrame, edges: DataFrame, big: list[str], limit: int, iterations: int):
        """Oversized clusters keep only strong (deterministic, must-link) edges; still too big: singletons."""
        members = components.where(F.col(LABEL).isin(big)).select(NODE)
        strong = (
            edges.where(F.col("strong"))
            .join(members.withColumnRenamed(NODE, "src"), "src")
            .join(members.withColumnRenamed(NODE, "dst"), "dst")
        )
        kept = self.spark.createDataFrame([], f"{NODE} string, {LABEL} string")
        if strong.limit(1).count():
            again = connected_components(strong, max_iterations=iterations)
            sizes = again.groupBy(LABEL).agg(F.count(F.lit(1)).alias("size"))
            kept = again.join(sizes.where(F.col("size") <= limit).select(LABEL), LABEL).select(NODE, LABEL)
        rest = components.join(members, NODE, "left_anti")
        notes = members.select(NODE, F.lit("oversized_not_merged").alias("note"))
        return rest.unionByName(kept), notes

    # ------------------------------------------------------------------ stable IDs

    def customer_ids(self, run_id: str, now: datetime | None = None) -> dict:
        """Assign stable IDs to this run's clusters; overwrite gold/customer_ids, append the history."""
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        clusters = read_table(self.spark, self.lake.gold(IDENTITY_CLUSTERS)).select(RECORD_ID, SOURCE, CLUSTER)
        previous_table = read_table(self.spark, self.lake.gold(IDENTITY_MAP))
        previous = None
        if previous_table is not None:
            previous = previous_table.select(RECORD_ID, CUSTOMER_ID, SINCE, "assigned_at").localCheckpoint()
        history = read_table(self.spark, self.lake.gold(IDENTITY_HISTORY))
        issued = None if history is None else history.select(F.col("new_customer_id").alias(CUSTOMER_ID)).where(
            F.col(CUSTOMER_ID).isNotNull())
        ids = assign_ids(clusters.select(RECORD_ID, CLUSTER), previous, issued, self.policy.id_prefix, now)
        ids = ids.join(clusters.select(RECORD_ID, SOURCE), RECORD_ID)
        size = ids.groupBy(CUSTOMER_ID).agg(F.count(F.lit(1)).alias("record_count"))
        ids = ids.join(size, CUSTOMER_ID)
        if previous is not None:
            kept = previous.select(RECORD_ID, F.col(CUSTOMER_ID).alias("_old"), F.col("assigned_at").alias("_at"))
            ids = ids.join(kept, RECORD_ID, "left").withColumn(
                "assigned_at", F.when(F.col("_old") == F.col(CUSTOMER_ID), F.col("_at")).otherwise(F.lit(now)))
        else:
            ids = ids.withColumn("assigned_at", F.lit(now))
        ids = ids.select(RECORD_ID, CUSTOMER_ID, SOURCE, SINCE, F.col("assigned_at").cast("timestamp"),
                         "record_count").localCheckpoint()
        changes = id_changes(previous, ids, now, run_id).select(*HISTORY_COLUMNS).localCheckpoint()
        counts = {r["change"]: r["count"] for r in changes.groupBy("change").count().collect()}
        if counts or previous is None:  # no record changed its ID: the map stays at its version
            overwrite(ids, self.lake.gold(IDENTITY_MAP))
            changes.write.format("delta").mode("append").save(self.lake.gold(IDENTITY_HISTORY))
        written = read_table(self.spark, self.lake.gold(IDENTITY_MAP))
        return {"records": written.count(), "customers": written.select(CUSTOMER_ID).distinct().count(),
                "changes": counts}

    # ------------------------------------------------------------------ golden record, interactions

    def golden(self) -> dict:
        """Write gold/golden_customer from silver and the ID map with the merge policy."""
        merge = self.policy.merge
        path = self.lake.gold(GOLDEN_RECORD)
        priorities = {name: s.priority for name, s in self.workspace.sources_for(self.profile).items()}
        inputs = self._inputs(ids=self.lake.gold(IDENTITY_MAP), silver=self.lake.silver(self.profile),
                              merge=merge.model_dump(), priorities=priorities)
        done = self._unchanged(path, inputs)
        if done is not None:
            return done
        attributes = merge.include or list(self.workspace.model.profiles[self.profile].attributes)
        id_map = read_table(self.spark, self.lake.gold(IDENTITY_MAP))
        golden = golden_records(self.profiles(), id_map, priorities, attributes, merge).localCheckpoint(eager=True)
        summary = {"customers": golden.count()}
        overwrite(golden, path, {"inputs": inputs, "summary": summary})
        return summary

    def interactions(self, model: MatchModel) -> dict | None:
        """Write gold/interaction_customers; returns the share linked per type and how."""
        silver = {}
        for type_name in self.workspace.silver_types():
            if type_name in self.workspace.model.interactions:
                table = read_table(self.spark, self.lake.silver(type_name))
                if table is not None:
                    silver[type_name] = table
        path = self.lake.gold(INTERACTION_CUSTOMERS)
        inputs = self._inputs(ids=self.lake.gold(IDENTITY_MAP), silver=self.lake.silver(self.profile),
                              fingerprint=model.fingerprint, prior=model.prior,
                              interactions=self.policy.interactions.model_dump(),
                              **{f"silver_{t}": self.lake.silver(t) for t in sorted(silver)})
        done = self._unchanged(path, inputs)
        if done is not None:
            return done
        id_map = read_table(self.spark, self.lake.gold(IDENTITY_MAP))
        result = interaction_customers(silver, self.workspace, self.profile, self.records, id_map, model, self.policy)
        if result is None:
            return None
        result = result.localCheckpoint(eager=True)
        rows = result.groupBy("interaction_type", "linked_by").count().collect()
        stats: dict[str, dict[str, int]] = {}
        for r in rows:
            stats.setdefault(r["interaction_type"], {})[r["linked_by"] or "unlinked"] = r["count"]
        total = sum(sum(v.values()) for v in stats.values())
        linked = sum(n for v in stats.values() for k, n in v.items() if k != "unlinked")
        summary = {"by_type": stats, "interactions": total, "linked": linked,
                   "share_linked": linked / total if total else 0.0}
        overwrite(result, path, {"inputs": inputs, "summary": summary})
        return summary

    # ------------------------------------------------------------------ quality

    def labels_path(self) -> Path | None:
        """The ground-truth labels file: the policy's, else the generator's truth, if present."""
        configured = self.policy.quality.labels
        if configured:
            path = Path(configured)
            return path if path.is_absolute() else self.workspace.root / path
        data_root = self.workspace.data_root
        if "://" in data_root:
            return None
        truth = Path(data_root) / "_truth" / "records.csv"
        return truth if truth.exists() else None

    def quality(self) -> dict | None:
        """Pairwise and cluster precision/recall/F1 of gold/customer_ids against the labels, if any."""
        path = self.labels_path()
        if path is None or not path.exists():
            return None
        labels = self.spark.read.option("header", True).csv(str(path)).select(
            RECORD_ID, F.col(self.policy.quality.entity_column).alias("entity"))
        id_map = read_table(self.spark, self.lake.gold(IDENTITY_MAP))
        metrics = cluster_quality(id_map, labels)
        metrics["labels"] = str(path)
        return metrics

    def weight_distribution(self, bins: int = 30) -> list[tuple[float, int]]:
        """Counts of candidate pairs per match-weight bin (for charts when there are no labels)."""
        pairs = read_table(self.spark, self.lake.gold(IDENTITY_PAIRS))
        if pairs is None:
            return []
        width = 2.0
        rows = pairs.groupBy(F.floor(F.col(MATCH_WEIGHT) / width).alias("b")).count().collect()
        return sorted((float(r["b"]) * width, int(r["count"])) for r in rows if r["b"] is not None and not math.isnan(r["b"]))


def resolve(spark: SparkSession, workspace: Workspace, lake: Lake, run_id: str = "manual") -> dict:
    """Every step of identity resolution up to the customer IDs, in order (benchmarks, scripts)."""
    identity = Identity(spark, workspace, lake)
    seconds: dict[str, float] = {}

    def timed(name, fn, *args):
        started = time.monotonic()
        result = fn(*args)
        seconds[name] = round(time.monotonic() - started, 2)
        return result

    try:
        model, version, trained, training = timed("model", identity.model)
        pairs = timed("pairs", identity.pairs, model, version)
        clusters = timed("clusters", identity.clusters)
        ids = timed("customer_ids", identity.customer_ids, run_id)
    finally:
        identity.release()
    return {"model_version": version, "trained": trained, "training": training, "pairs": pairs,
            "clusters": clusters, "ids": ids, "seconds": seconds}

