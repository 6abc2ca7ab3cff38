"""gold/customer_timeline: every interaction of every resolved customer, one row each.

Built from the silver interaction tables and gold/interaction_customers (who each interaction
belongs to). Kept up to date by a MERGE of only the rows that changed (jobs/row_changes.py);
a run on unchanged inputs writes nothing. Files are laid out by customer_id (range
partitioned and sorted, statistics on customer_id), so one customer's rows are read from the
few files whose min/max range holds the ID.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.built_from import built_from
from jobs.delta import read_table, stats_only_on
from jobs.row_changes import Mode, plan_refresh, with_row_hash
from jobs.writes import merge, overwrite
from schemas.catalog import CUSTOMER_TIMELINE, INTERACTION_CUSTOMERS
from schemas.model import OCCURRED_AT, InteractionType
from schemas.tables import CUSTOMER_ID, RECORD_ID, SOURCE, SOURCE_KEY, Lake
from schemas.timeline import AMOUNT, CHANNEL, INTERACTION_TYPE, amount_attribute, channel_attribute
from schemas.workspace import Workspace

TIMELINE_KEYS = [CUSTOMER_ID, INTERACTION_TYPE, RECORD_ID]
TIMELINE_COLUMNS = [CUSTOMER_ID, INTERACTION_TYPE, RECORD_ID, SOURCE, SOURCE_KEY, OCCURRED_AT, CHANNEL, AMOUNT]
ROWS_PER_FILE = 500_000  # a full build writes about this many rows per file (one customer_id range)


def interaction_rows(silver: DataFrame, type_name: str, interaction: InteractionType) -> DataFrame:
    """One silver interaction table in the timeline's columns (channel, amount null when it has none)."""
    channel, amount = channel_attribute(interaction), amount_attribute(interaction)
    return silver.select(
        F.lit(type_name).alias(INTERACTION_TYPE), RECORD_ID, SOURCE, SOURCE_KEY,
        F.col(OCCURRED_AT).cast("timestamp").alias(OCCURRED_AT),
        (F.col(channel) if channel else F.lit(None)).cast("string").alias(CHANNEL),
        (F.col(amount) if amount else F.lit(None)).cast("double").alias(AMOUNT),
    )


def timeline_rows(interactions: list[DataFrame], links: DataFrame) -> DataFrame:
    """Interactions (interaction_rows) with their customer; those nobody could be linked to are left out.

    `links` is gold/interaction_customers: an interaction linked in several roles to the same
    customer counts once.
    """
    owners = (links.where(F.col(CUSTOMER_ID).isNotNull())
              .select(INTERACTION_TYPE, RECORD_ID, CUSTOMER_ID).distinct())
    rows = interactions[0]
    for frame in interactions[1:]:
        rows = rows.unionByName(frame)
    return rows.join(owners, [INTERACTION_TYPE, RECORD_ID]).select(*TIMELINE_COLUMNS)


def timeline_types(workspace: Workspace) -> list[str]:
    """Interaction types with a silver table that link to the primary profile (the customer)."""
    primary = workspace.model.primary_profile
    return sorted({t for t, _ in workspace.model.roles_linking_to(primary, workspace.silver_types())})


def by_customer_id(frame: DataFrame, *then: str) -> DataFrame:
    """Files by customer_id range, rows sorted by customer (then `then`): cheap reads of one customer."""
    files = max(1, frame.count() // ROWS_PER_FILE)
    return frame.repartitionByRange(files, CUSTOMER_ID).sortWithinPartitions(CUSTOMER_ID, *then)


@dataclass(frozen=True)
class TimelineResult:
    """How the refresh went and how many rows it wrote."""

    mode: Mode
    rows: int
    upserted: int
    deleted: int


def build_customer_timeline(spark: SparkSession, workspace: Workspace, lake: Lake) -> TimelineResult:
    """Bring gold/customer_timeline up to date with silver and gold/interaction_customers."""
    path, links_path = lake.gold(CUSTOMER_TIMELINE.name), lake.gold(INTERACTION_CUSTOMERS.name)
    types = timeline_types(workspace)
    measures = {t: [channel_attribute(workspace.model.interactions[t]),
                    amount_attribute(workspace.model.interactions[t])] for t in types}
    built = built_from(spark, lake, [links_path, *(lake.silver(t) for t in types)],
                       measures=measures)

    def rebuild() -> DataFrame:
        interactions = [interaction_rows(read_table(spark, lake.silver(t)), t, workspace.model.interactions[t])
                        for t in types]
        return with_row_hash(timeline_rows(interactions, read_table(spark, links_path))).localCheckpoint(eager=True)

    plan = plan_refresh(spark, path, built, rebuild, TIMELINE_KEYS)
    if plan.full is not None:
        overwrite(by_customer_id(plan.full, OCCURRED_AT), path, built=built,
                  properties=stats_only_on([CUSTOMER_ID, INTERACTION_TYPE, OCCURRED_AT]))
    elif plan.changes is not None and not plan.changes.empty:
        merge(spark, path, plan.changes.merge_builder(plan.changes.upserts.columns), built=built)
    rows = read_table(spark, path).count()
    return TimelineResult(plan.mode, rows, plan.upserted if plan.full is None else rows, plan.deleted)
