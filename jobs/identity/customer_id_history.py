"""gold/customer_id_history: every change of the ID map (new, merged, split, moved, removed), appended.

The customer_ids step works out the changes of its run and appends them here; the history also
says which IDs were ever issued, so a new ID never reuses an old one.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import Window
from pyspark.sql import functions as F

from jobs.identity.context import IdentityContext
from jobs.identity.stable_ids import SINCE
from jobs.writes import append
from schemas.catalog import CUSTOMER_ID_HISTORY
from schemas.tables import CUSTOMER_ID, RECORD_ID

HISTORY_COLUMNS = ["record_id", "old_customer_id", "new_customer_id", "change", "at", "run_id"]


def id_changes(previous: DataFrame | None, current: DataFrame, now: datetime, run_id: str) -> DataFrame:
    """History rows for every record whose customer_id is new, changed, or gone."""
    cur = current.select(RECORD_ID, F.col(CUSTOMER_ID).alias("new_customer_id"), F.col(SINCE).alias("_since"))
    if previous is None:
        prev = cur.sparkSession.createDataFrame([], f"{RECORD_ID} string, old_customer_id string")
    else:
        prev = previous.select(RECORD_ID, F.col(CUSTOMER_ID).alias("old_customer_id"))
    both = prev.join(cur, RECORD_ID, "full_outer")
    surviving = cur.select(F.col("new_customer_id").alias("_alive")).distinct()
    both = both.join(surviving, both["old_customer_id"] == surviving["_alive"], "left")
    created_now = F.col("_since") == F.lit(now).cast("timestamp")
    change = (
        F.when(F.col("old_customer_id").isNull(), F.lit("new"))
        .when(F.col("new_customer_id").isNull(), F.lit("removed"))
        .when(created_now, F.lit("split"))
        .when(F.col("_alive").isNull(), F.lit("merged"))
        .otherwise(F.lit("moved"))
    )
    changed = F.col("old_customer_id").isNull() | F.col("new_customer_id").isNull() | (
        F.col("old_customer_id") != F.col("new_customer_id")
    )
    return both.where(changed).select(
        RECORD_ID, "old_customer_id", "new_customer_id", change.alias("change"),
        F.lit(now).cast("timestamp").alias("at"), F.lit(run_id).alias("run_id"),
    )


def recorded_map(ctx: IdentityContext) -> DataFrame | None:
    """(record_id, customer_id) as the history tells it (each record's latest change), or None before any.

    The map is written before its changes are appended; a run killed between the two commits leaves
    a map the history does not explain, and comparing with the history, not the map, appends those
    changes at the next run instead of losing them.
    """
    history = ctx.read(CUSTOMER_ID_HISTORY)
    if history is None:
        return None
    latest = Window.partitionBy(RECORD_ID).orderBy(F.col("at").desc())
    return (history.withColumn("_n", F.row_number().over(latest)).where("_n = 1")
            .where(F.col("new_customer_id").isNotNull())
            .select(RECORD_ID, F.col("new_customer_id").alias(CUSTOMER_ID)))


def issued_ids(ctx: IdentityContext) -> DataFrame | None:
    """(customer_id) of every ID the history ever issued, or None before the first run."""
    history = ctx.read(CUSTOMER_ID_HISTORY)
    if history is None:
        return None
    return history.select(F.col("new_customer_id").alias(CUSTOMER_ID)).where(F.col(CUSTOMER_ID).isNotNull())


def append_history(ctx: IdentityContext, changes: DataFrame) -> None:
    """Append this run's changes to gold/customer_id_history."""
    append(changes.select(*HISTORY_COLUMNS), ctx.path(CUSTOMER_ID_HISTORY))
