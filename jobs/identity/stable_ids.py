"""Customer IDs that stay put: each new cluster inherits an ID from the previous map, or gets a new one.

Rules, applied to every cluster of this run against the previous gold/customer_ids:
- a cluster whose records all had one ID keeps it (re-running unchanged changes nothing);
- a cluster that brings several IDs together (a merge) keeps the oldest (earliest
  customer_id_since; ties: the ID most of its records had, then the smallest ID);
- when clusters compete for one ID (a split), the part with most of that ID's records keeps it
  (ties: the part with the smallest record_id); the other parts take their next candidate or a
  new ID;
- a new ID is prefix + a hash of the cluster's smallest record_id, so a fresh run on the same data
  gives the same IDs; if that ID was ever issued before (a split-off part founded by the same
  record), the hash also covers all its records and the run time, so it cannot reuse an old ID.
The history of every change is kept by jobs/identity/customer_id_history.py.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from schemas.tables import CUSTOMER_ID, RECORD_ID

CLUSTER = "cluster"
SINCE = "customer_id_since"
MAX_ROUNDS = 6


def _candidates(clusters: DataFrame, previous: DataFrame) -> DataFrame:
    """(cluster, prev_id, n records with it, since) for every ID a cluster's records had."""
    joined = clusters.join(previous.select(RECORD_ID, F.col(CUSTOMER_ID).alias("prev_id"), F.col(SINCE).alias("since")),
                           RECORD_ID)
    return joined.groupBy(CLUSTER, "prev_id").agg(F.count(F.lit(1)).alias("n"), F.min("since").alias("since"))


def inherit_ids(clusters: DataFrame, previous: DataFrame) -> DataFrame:
    """(cluster, customer_id, customer_id_since) for the clusters that keep an existing ID."""
    remaining = _candidates(clusters, previous).persist()
    assigned = None
    for _ in range(MAX_ROUNDS):
        preference = Window.partitionBy(CLUSTER).orderBy(F.col("since").asc(), F.col("n").desc(), F.col("prev_id").asc())
        proposals = remaining.withColumn("_pref", F.row_number().over(preference)).where("_pref = 1")
        contest = Window.partitionBy("prev_id").orderBy(F.col("n").desc(), F.col(CLUSTER).asc())
        winners = proposals.withColumn("_win", F.row_number().over(contest)).where("_win = 1").select(
            CLUSTER, F.col("prev_id").alias(CUSTOMER_ID), F.col("since").alias(SINCE)
        ).localCheckpoint()
        assigned = winners if assigned is None else assigned.unionByName(winners)
        rest = (
            remaining.join(winners.select(CLUSTER), CLUSTER, "left_anti")
            .join(winners.select(F.col(CUSTOMER_ID).alias("prev_id")), "prev_id", "left_anti")
            .localCheckpoint()
        )
        remaining.unpersist()
        remaining = rest
        if remaining.limit(1).count() == 0:
            break
    return assigned


def new_ids(clusters: DataFrame, prefix: str, issued: DataFrame | None, now: datetime) -> DataFrame:
    """(cluster, customer_id) for clusters without an inherited ID: a hash of their founding record."""
    founded = clusters.groupBy(CLUSTER).agg(
        F.min(RECORD_ID).alias("_first"), F.sort_array(F.collect_list(RECORD_ID)).alias("_all")
    )
    plain = F.concat(F.lit(prefix), F.upper(F.substring(F.sha2(F.col("_first"), 256), 1, 12)))
    fallback = F.concat(F.lit(prefix), F.upper(F.substring(F.sha2(F.concat_ws("|", F.concat_ws("|", "_all"), F.lit(now.isoformat())), 256), 1, 12)))
    founded = founded.withColumn("_plain", plain)
    if issued is not None:
        taken = issued.select(F.col(CUSTOMER_ID).alias("_plain"), F.lit(True).alias("_taken")).distinct()
        founded = founded.join(taken, "_plain", "left")
    else:
        founded = founded.withColumn("_taken", F.lit(None).cast("boolean"))
    return founded.select(CLUSTER, F.when(F.col("_taken"), fallback).otherwise(F.col("_plain")).alias(CUSTOMER_ID))


def assign_ids(
    clusters: DataFrame,
    previous: DataFrame | None,
    issued: DataFrame | None,
    prefix: str,
    now: datetime,
) -> DataFrame:
    """(record_id, customer_id, customer_id_since) for every record of clusters (record_id, cluster)."""
    inherited = None if previous is None else inherit_ids(clusters, previous)
    without = clusters if inherited is None else clusters.join(inherited.select(CLUSTER), CLUSTER, "left_anti")
    if previous is not None:  # IDs in the map right now are taken too, even without a history
        in_use = previous.select(CUSTOMER_ID)
        issued = in_use if issued is None else issued.select(CUSTOMER_ID).unionByName(in_use)
    fresh = new_ids(without, prefix, issued, now).withColumn(SINCE, F.lit(now).cast("timestamp"))
    ids = fresh if inherited is None else inherited.unionByName(fresh)
    return clusters.join(ids, CLUSTER).select(RECORD_ID, CUSTOMER_ID, SINCE, CLUSTER)
