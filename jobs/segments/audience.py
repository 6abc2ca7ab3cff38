"""One wide row per customer with everything segment rules test, and the rules evaluated on it."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta import read_table
from jobs.kpis.inputs import customers
from jobs.segments.conditions import (
    attribute_column,
    event_columns,
    event_kpis,
    kpi_column,
    rule,
    segment_column,
)
from jobs.segments.segment_event_counts import event_counts
from schemas.segments import SegmentFile, segment_order
from schemas.catalog import GOLDEN_CUSTOMER
from schemas.tables import CUSTOMER_ID, RECORD_ID, Lake
from schemas.workspace import Workspace

SEGMENT, SINCE = "segment", "since"


def used_names(segments: SegmentFile) -> tuple[set[str], set[str]]:
    """The profile attributes and KPIs the rules test."""
    attributes, kpis = set(), set()
    for name, segment in segments.segments.items():
        for _, cond in segment.walk(name):
            if cond.attribute:
                attributes.add(cond.attribute)
            if cond.kpi:
                kpis.add(cond.kpi)
    return attributes, kpis


def customer_attributes(spark: SparkSession, workspace: Workspace, lake: Lake, names: set[str]) -> DataFrame:
    """customer_id and the named attributes: from the golden record once identity resolution ran,
    else from the primary profile's record behind each customer."""
    columns = sorted(names)
    golden = read_table(spark, lake.gold(GOLDEN_CUSTOMER.name))
    if golden is not None and set(columns) <= set(golden.columns):
        return golden.select(CUSTOMER_ID, *[F.col(c).alias(attribute_column(c)) for c in columns])
    from jobs.customers import customer_population

    primary = workspace.model.primary_profile
    profiles = read_table(spark, lake.silver(primary))
    population = customer_population(spark, lake, primary)
    if profiles is None:
        return population.select(CUSTOMER_ID, *[F.lit(None).alias(attribute_column(c)) for c in columns]).distinct()
    return population.join(profiles, RECORD_ID, "left").groupBy(CUSTOMER_ID).agg(
        *[F.first(c, ignorenulls=True).alias(attribute_column(c)) for c in columns]
    )


def audience(
    spark: SparkSession, workspace: Workspace, lake: Lake, segments: SegmentFile, as_of: datetime,
    kpis: DataFrame | None,
) -> DataFrame:
    """customer_id plus a__/k__/e__ columns for every attribute, KPI and event the rules test."""
    attributes, kpi_names = used_names(segments)
    population = customers(spark, workspace, lake)
    frame = population
    if attributes:
        frame = frame.join(customer_attributes(spark, workspace, lake, attributes), CUSTOMER_ID, "left")
    if kpi_names:
        if kpis is None:
            raise ValueError("segments test KPIs, but gold/kpis_customer has not been computed")
        frame = frame.join(
            kpis.select(CUSTOMER_ID, *[F.col(n).alias(kpi_column(n)) for n in sorted(kpi_names)]),
            CUSTOMER_ID, "left",
        )
    hidden = event_kpis(segments)
    if hidden:
        frame = frame.join(event_counts(spark, workspace, lake, hidden, as_of), CUSTOMER_ID, "left")
    return frame


def members(frame: DataFrame, segments: SegmentFile) -> DataFrame:
    """(segment, customer_id) for every segment a customer belongs to, from one pass over the frame."""
    events = event_columns(segments)
    for name in segment_order(segments.segments):
        frame = frame.withColumn(segment_column(name), rule(segments.segments[name], events))
    tags = F.array(*[F.when(F.col(segment_column(n)), F.lit(n)) for n in segments.segments])
    return frame.select(CUSTOMER_ID, F.explode(F.filter(tags, lambda t: t.isNotNull())).alias(SEGMENT)).select(
        SEGMENT, CUSTOMER_ID
    )
