"""The as-of time of a run: when KPIs are computed at and every window ends (exclusive)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs.delta import read_table
from schemas.model import OCCURRED_AT
from schemas.tables import Lake


def resolve_as_of(spark: SparkSession, lake: Lake, setting: str, interactions: list[str]) -> datetime:
    """`latest`: midnight UTC after the newest interaction in these tables; `now`; or an ISO date/time.

    `latest` keeps "last 90 days" meaningful on data that ends in the past (the example ends
    2026-06-30) and stays the same while new interactions of the same day arrive, so runs
    within a day are incremental; a new day moves it, and windows of every customer move.
    """
    if setting == "now":
        return datetime.now(UTC)
    if setting != "latest":
        return as_utc(datetime.fromisoformat(setting))
    newest = None
    for name in interactions:
        table = read_table(spark, lake.silver(name))
        if table is not None:
            micros = table.agg(F.max(F.unix_micros(OCCURRED_AT))).first()[0]
            if micros is not None and (newest is None or micros > newest):
                newest = micros
    if newest is None:
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    day = datetime.fromtimestamp(newest / 1e6, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=1)


def as_utc(moment: datetime) -> datetime:
    """A timezone-aware UTC datetime (naive ones are read as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
