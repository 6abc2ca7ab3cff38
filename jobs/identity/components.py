"""Connected components of the linked pairs, on Spark, with no collect of the graph to the driver.

Min-label propagation with pointer jumping: each round a node takes the smallest label among
itself and its neighbours, then the label of its label. Identity graphs are shallow, so a few
rounds suffice; lineage is cut by a checkpoint each round so the plan stays small.
"""

from __future__ import annotations

import tempfile

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.identity.errors import IdentityError

NODE, LABEL = "node", "component"


def ensure_checkpoint_dir(spark: SparkSession, fallback: str | None = None) -> None:
    """A checkpoint directory for this session: the one set, else fallback, else a temp folder."""
    if spark.sparkContext.getCheckpointDir() is None:
        spark.sparkContext.setCheckpointDir(fallback or tempfile.mkdtemp(prefix="identity-checkpoints-"))


def _cut(df: DataFrame) -> DataFrame:
    return df.checkpoint(eager=True)


def connected_components(edges: DataFrame, src: str = "src", dst: str = "dst", max_iterations: int = 30) -> DataFrame:
    """(node, component) for every node that has an edge; the component is its smallest node."""
    spark = edges.sparkSession
    ensure_checkpoint_dir(spark)
    pairs = edges.select(F.col(src).alias("a"), F.col(dst).alias("b")).where(F.col("a") != F.col("b"))
    both = _cut(pairs.unionByName(pairs.select(F.col("b").alias("a"), F.col("a").alias("b"))).distinct())
    labels = _cut(both.groupBy(F.col("a").alias(NODE)).agg(F.least(F.min("b"), F.first("a")).alias(LABEL)))
    for _ in range(max_iterations):
        neighbour = both.join(labels.select(F.col(NODE).alias("b"), F.col(LABEL).alias("nl")), "b")
        smallest = neighbour.groupBy(F.col("a").alias(NODE)).agg(F.min("nl").alias("nl"))
        stepped = labels.join(smallest, NODE).select(NODE, F.least(LABEL, "nl").alias(LABEL))
        parent = stepped.select(F.col(NODE).alias("p"), F.col(LABEL).alias("pl"))
        jumped = stepped.join(parent, stepped[LABEL] == parent["p"], "left").select(
            NODE, F.least(F.col(LABEL), F.coalesce("pl", F.col(LABEL))).alias(LABEL)
        )
        jumped = _cut(jumped)
        changed = jumped.join(labels.withColumnRenamed(LABEL, "old"), NODE).where(F.col(LABEL) != F.col("old")).limit(1).count()
        labels = jumped
        if changed == 0:
            return labels
    raise IdentityError(
        f"match.yaml: clustering did not settle within clustering.max_iterations ({max_iterations}) rounds; "
        "raise it (very long chains of links usually mean a blocking rule or threshold is too loose)"
    )
