"""gold/scores: the champion of each prediction scores every customer.

Features are computed as of the end of the data (midnight after the newest interaction), with
the same code training used; each row carries the champion's grade (its registry tag). The
version the alias points at is loaded by its number, so the rows name the model that scored
them; a champion that cannot be loaded or score the features fails the asset, naming it, and
the previous rows stay (never a fallback to another version: ml/champion.py). Each
prediction's rows replace only that prediction's previous rows (Delta replaceWhere), so the
table holds one row per customer and prediction. Each row
carries the fingerprint of the data it was scored on; scoring again with the same champion on
the same data is skipped, so a re-run leaves the table unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.delta import read_table, table_version
from jobs.writes import create, overwrite
from ml.evaluation import SCORE
from ml.features import FeatureSources, build_features
from ml.fingerprint import data_fingerprint
from ml.pipeline import data_end, dfs_tmpdir
from ml.champion import describe
from ml.registry import CHAMPION, champion_version, load, model_name
from ml.training import scores
from schemas.predictions import Prediction
from schemas.catalog import SCORES
from schemas.tables import CUSTOMER_ID, Lake
from schemas.workspace import Workspace

SCORES_SCHEMA = T.StructType([
    T.StructField(CUSTOMER_ID, T.StringType()),
    T.StructField("prediction", T.StringType()),
    T.StructField("score", T.DoubleType()),
    T.StructField("model_name", T.StringType()),
    T.StructField("model_version", T.LongType()),
    T.StructField("grade", T.StringType()),
    T.StructField("scored_at", T.TimestampType()),
    T.StructField("as_of", T.TimestampType()),
    T.StructField("data_fingerprint", T.StringType()),
])


GRADE = "grade"  # the model version's registry tag (ml/pipeline.py) and the column carrying it


class NoChampion(RuntimeError):
    """A prediction has no champion model yet: train it first."""


class ChampionUnavailable(RuntimeError):
    """The champion cannot be loaded or cannot score today's features: scores are not replaced."""


@dataclass(frozen=True)
class ScoringResult:
    """Who scored a prediction's customers, on data up to when, and how many rows were written."""

    prediction: str
    model_name: str
    model_version: int
    rows: int
    as_of: datetime


@dataclass(frozen=True)
class ScoredWith:
    """The model version and data fingerprint a prediction's current rows were scored with."""

    model_version: int
    data_fingerprint: str


@dataclass(frozen=True)
class ScoredRows:
    """One prediction's gold/scores rows, not yet written, and who scored them."""

    rows: DataFrame
    result: ScoringResult


def last_scoring(spark: SparkSession, lake: Lake, prediction: str) -> ScoredWith | None:
    """What a prediction's current rows were scored with, if one model version and one fingerprint."""
    table = read_table(spark, lake.gold(SCORES.name))
    if table is None or not {"data_fingerprint", GRADE}.issubset(table.columns):  # older tables are rescored
        return None
    seen = (table.where(F.col("prediction") == prediction).select("model_version", "data_fingerprint")
            .distinct().limit(2).collect())
    return ScoredWith(seen[0][0], seen[0][1]) if len(seen) == 1 else None


def score_prediction(spark: SparkSession, workspace: Workspace, lake: Lake, name: str, prediction: Prediction,
                     scored_at: datetime | None = None, fingerprint: str | None = None,
                     ) -> ScoredRows:
    """gold/scores rows of one prediction: every customer scored by the champion as of the data's end."""
    registered = model_name(workspace.name, name)
    version = champion_version(registered)
    if version is None:
        raise NoChampion(f"prediction '{name}' has no '{CHAMPION}' model in the registry yet ({registered}); "
                         "materialise its mlflow asset first")
    number = int(version.version)
    try:
        model = load(f"models:/{registered}/{number}", dfs_tmpdir(lake))
    except Exception as error:  # noqa: BLE001 - whatever failed, these scores are not replaced
        raise unavailable(name, registered, number, "cannot be loaded", error) from error
    as_of = data_end(spark, workspace, lake, prediction)
    sources = FeatureSources(spark, workspace, lake)
    features = build_features(sources, prediction, as_of, sources.customers())
    try:  # a missing or retyped feature column fails here, at analysis
        scored = scores(model, features, prediction.outcome.kind)
    except Exception as error:  # noqa: BLE001 - as above
        raise unavailable(name, registered, number, "cannot score today's features", error) from error
    rows = scored.select(
        F.col(CUSTOMER_ID).cast("string"),
        F.lit(name).alias("prediction"),
        F.col(SCORE).alias("score"),
        F.lit(registered).alias("model_name"),
        F.lit(number).cast("long").alias("model_version"),
        F.lit(version.tags.get(GRADE)).cast("string").alias(GRADE),
        F.lit(scored_at or datetime.now(UTC)).cast("timestamp").alias("scored_at"),
        F.lit(as_of).cast("timestamp").alias("as_of"),
        F.lit(fingerprint).cast("string").alias("data_fingerprint"),
    )
    return ScoredRows(rows, ScoringResult(name, registered, number, -1, as_of))


def unavailable(name: str, registered: str, version: int, what: str, error: Exception) -> ChampionUnavailable:
    """The error naming the prediction, the champion version, what failed and what to do."""
    return ChampionUnavailable(
        f"prediction '{name}': champion v{version} of {registered} {what} ({describe(error)}); gold/scores keeps "
        f"its rows. Retrain (asset mlflow/{name}); if the champion is lost for good or the definition changed, "
        f"predictions.{name}.champion.replace_unmeasured: {version} lets the training replace it")


def write_scores(spark: SparkSession, rows: DataFrame, lake: Lake, prediction: str) -> int:
    """Replace one prediction's rows in gold/scores (created on first use); returns rows written."""
    path = lake.gold(SCORES.name)
    create(spark, path, SCORES_SCHEMA)
    overwrite(rows, path, replace_where=f"prediction = '{prediction}'", merge_schema=True)
    return spark.read.format("delta").load(path).where(F.col("prediction") == prediction).count()


def refresh_scores(spark: SparkSession, workspace: Workspace, lake: Lake, name: str, prediction: Prediction,
                   scored_at: datetime) -> ScoringResult | ScoredWith:
    """Score one prediction into gold/scores; when its champion already scored this data, what it kept."""
    fingerprint = data_fingerprint(workspace, lake, name, prediction, lambda path: table_version(spark, path))
    champion = champion_version(model_name(workspace.name, name))
    kept = ScoredWith(int(champion.version), fingerprint) if champion is not None else None
    if kept is not None and last_scoring(spark, lake, name) == kept:
        return kept
    scored = score_prediction(spark, workspace, lake, name, prediction, scored_at, fingerprint)
    return replace(scored.result, rows=write_scores(spark, scored.rows, lake, name))
