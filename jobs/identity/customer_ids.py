"""gold/customer_ids: the stable customer ID of every record, carried over from the previous map.

The rules live in jobs/identity/stable_ids.py; every change is appended to
gold/customer_id_history, worked out against what the history records (not the map: a run killed
between the map's commit and the history's leaves changes the next run must still append). When no
record changes its ID the map stays at its version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.identity.context import IdentityContext, StepResult
from jobs.identity.customer_id_history import HISTORY_COLUMNS, append_history, id_changes, issued_ids, recorded_map
from jobs.identity.stable_ids import CLUSTER, SINCE, assign_ids
from jobs.writes import overwrite
from schemas.catalog import CUSTOMER_IDS, IDENTITY_CLUSTERS
from schemas.tables import CUSTOMER_ID, RECORD_ID, SOURCE


@dataclass(frozen=True, kw_only=True)
class CustomerIdsResult(StepResult):
    """Records and customers in the map after the run, and the ID changes of the run by kind."""

    records: int
    customers: int
    changes: dict[str, int] = field(default_factory=dict)  # new, merged, split, moved, removed -> records


def _previous(ctx: IdentityContext) -> DataFrame | None:
    """The map as the last run left it, cut from its lineage (the step overwrites it)."""
    table = ctx.read(CUSTOMER_IDS)
    return None if table is None else table.select(RECORD_ID, CUSTOMER_ID, SINCE, "assigned_at").localCheckpoint()


def _assigned_at(ids: DataFrame, previous: DataFrame | None, now: datetime) -> DataFrame:
    """When each record got its current ID: kept from the previous map when the ID did not change."""
    if previous is None:
        return ids.withColumn("assigned_at", F.lit(now))
    kept = previous.select(RECORD_ID, F.col(CUSTOMER_ID).alias("_old"), F.col("assigned_at").alias("_at"))
    return ids.join(kept, RECORD_ID, "left").withColumn(
        "assigned_at", F.when(F.col("_old") == F.col(CUSTOMER_ID), F.col("_at")).otherwise(F.lit(now)))


def build_customer_ids(ctx: IdentityContext, run_id: str, now: datetime | None = None) -> CustomerIdsResult:
    """Assign stable IDs to this run's clusters; overwrite gold/customer_ids, append the history."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    clusters = ctx.read(IDENTITY_CLUSTERS).select(RECORD_ID, SOURCE, CLUSTER)
    previous = _previous(ctx)
    ids = assign_ids(clusters.select(RECORD_ID, CLUSTER), previous, issued_ids(ctx), ctx.policy.id_prefix, now)
    ids = ids.join(clusters.select(RECORD_ID, SOURCE), RECORD_ID)
    size = ids.groupBy(CUSTOMER_ID).agg(F.count(F.lit(1)).alias("record_count"))
    ids = _assigned_at(ids.join(size, CUSTOMER_ID), previous, now)
    ids = ids.select(RECORD_ID, CUSTOMER_ID, SOURCE, SINCE, F.col("assigned_at").cast("timestamp"),
                     "record_count").localCheckpoint()
    changes = id_changes(recorded_map(ctx), ids, now, run_id).select(*HISTORY_COLUMNS).localCheckpoint()
    counts = {r["change"]: r["count"] for r in changes.groupBy("change").count().collect()}
    if counts or previous is None:  # no record changed its ID: the map stays at its version
        overwrite(ids, ctx.path(CUSTOMER_IDS))
        append_history(ctx, changes)
    written = ctx.read(CUSTOMER_IDS)
    return CustomerIdsResult(records=written.count(), customers=written.select(CUSTOMER_ID).distinct().count(),
                             changes=counts)
