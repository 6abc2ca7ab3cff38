"""What a KPI table was computed from, kept in the commit that wrote it (Delta userMetadata).

The state (definitions fingerprint, as_of, version of every input table) commits atomically
with the rows, so a crashed run leaves the previous state and the next run simply redoes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from delta.tables import DeltaTable
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from jobs.delta import table_version
from schemas.kpis import Kpi

ENGINE = "customer-insights/kpis/1"
USER_METADATA_CONF = "spark.databricks.delta.commitInfo.userMetadata"
HISTORY_DEPTH = 50


@dataclass(frozen=True)
class RunState:
    """Inputs of one KPI table write: which definitions, at which time, from which table versions."""

    fingerprint: str
    as_of: str
    versions: dict[str, int | None]

    def to_json(self) -> str:
        return json.dumps({"engine": ENGINE, **asdict(self)}, sort_keys=True)


def fingerprint(kpis: dict[str, Kpi]) -> str:
    """A hash of the KPI definitions: when it changes, every value must be recomputed."""
    text = json.dumps({n: k.model_dump(mode="json") for n, k in kpis.items()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def input_versions(spark: SparkSession, paths: list[str]) -> dict[str, int | None]:
    """The current Delta version of each input table (None where there is no table yet)."""
    return {path: table_version(spark, path) for path in paths}


def last_state(spark: SparkSession, path: str) -> RunState | None:
    """The state written with the newest KPI commit of a table, if any."""
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    for row in DeltaTable.forPath(spark, path).history(HISTORY_DEPTH).select("userMetadata").collect():
        text = row["userMetadata"]
        if not text:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if data.get("engine") == ENGINE:
            return RunState(data["fingerprint"], data["as_of"], data["versions"])
    return None


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


@contextmanager
def commit_metadata(spark: SparkSession, state: RunState) -> Iterator[None]:
    """Attach the state to the commits made inside (MERGE has no writer option for it)."""
    spark.conf.set(USER_METADATA_CONF, state.to_json())
    try:
        yield
    finally:
        spark.conf.unset(USER_METADATA_CONF)
