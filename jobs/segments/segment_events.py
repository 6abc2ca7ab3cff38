"""gold/segment_events: every entry into and exit from a segment, appended once per run."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.segments.audience import SEGMENT
from jobs.writes import append
from schemas.catalog import SEGMENT_EVENTS
from schemas.tables import CUSTOMER_ID, Lake

ENTERED, LEFT = "entered", "left"


def diff(previous: DataFrame, current: DataFrame, at: datetime, as_of: datetime) -> DataFrame:
    """(segment, customer_id, event, at, as_of): entered = new members, left = members no more."""
    keys = [SEGMENT, CUSTOMER_ID]
    entered = current.select(*keys).join(previous.select(*keys), keys, "left_anti").withColumn("event", F.lit(ENTERED))
    left = previous.select(*keys).join(current.select(*keys), keys, "left_anti").withColumn("event", F.lit(LEFT))
    return entered.unionByName(left).withColumn("at", F.lit(at)).withColumn("as_of", F.lit(as_of))


def write_segment_events(events: DataFrame, lake: Lake, txn: int) -> None:
    """Append the run's events once: txn is the membership version the run writes."""
    append(events, lake.gold(SEGMENT_EVENTS.name), once=(SEGMENT_EVENTS.name, txn))
