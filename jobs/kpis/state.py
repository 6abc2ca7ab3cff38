"""What a KPI table was computed from (a BuiltFrom record), and what changed in its inputs since.

The record (input table versions; the KPI definitions' hash and as_of) commits atomically with
the rows through jobs/writes.py, so a crashed run leaves the previous record and the next run
simply redoes it.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from jobs.built_from import BuiltFrom, built_from, definition_hash
from schemas.kpis import Kpi
from schemas.tables import Lake


def fingerprint(kpis: dict[str, Kpi]) -> str:
    """A hash of the KPI definitions: when it changes, every value must be recomputed."""
    return definition_hash({n: k.model_dump(mode="json") for n, k in kpis.items()})


def kpi_built_from(spark: SparkSession, lake: Lake, kpis: dict[str, Kpi], as_of: datetime,
                   paths: list[str]) -> BuiltFrom:
    """The record of a KPI build from these input tables of the lake at this as_of."""
    return built_from(spark, lake, paths, kpis=fingerprint(kpis), as_of=as_of.isoformat())


def changes(spark: SparkSession, path: str, after: int, until: int) -> DataFrame | None:
    """Rows changed in versions after..until (the change data feed), or None if it cannot be read."""
    try:
        feed = (
            spark.read.format("delta")
            .option("readChangeFeed", "true")
            .option("startingVersion", after + 1)
            .option("endingVersion", until)
            .load(path)
        )
        feed.schema  # noqa: B018 - resolves the feed now, so a missing range fails here
        return feed
    except AnalysisException:
        return None
