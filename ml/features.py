"""Point-in-time features: everything a model sees about a customer, computed only from before a time.

Every function takes interaction rows (customer_id, occurred_at, attributes) and an `as_of`;
rows at or after as_of are ignored, so the same code builds training examples at past cutoffs
and the features of today's scores. Profile attributes have no history: their current value
is used (dates become 'days before as_of', and values after as_of are hidden).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.customers import customer_population, with_customer_id
from jobs.delta import read_table
from jobs.silver import silver_schema
from schemas.model import OCCURRED_AT
from schemas.predictions import Prediction
from schemas.catalog import GOLDEN_CUSTOMER
from schemas.tables import CUSTOMER_ID, RECORD_ID, Lake
from schemas.workspace import Workspace

NUMERIC = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType, T.DecimalType)
KPI_PREFIX, PROFILE_PREFIX, RFM_PREFIX = "kpi_", "profile_", "rfm_"


def before(rows: DataFrame, as_of: datetime) -> DataFrame:
    """Only rows that happened strictly before as_of: the one rule that keeps features honest."""
    return rows.where(F.col(OCCURRED_AT) < F.lit(as_of))


def _days_before(as_of: datetime, column: str) -> F.Column:
    return F.datediff(F.lit(as_of), F.col(column)).cast("double")


def interaction_counts(rows: DataFrame, type_name: str, as_of: datetime, recency_days: list[int]) -> DataFrame:
    """customer_id, <type>_count (all time), <type>_count_<N>d per window, <type>_days_since_last."""
    past = before(rows, as_of)
    windows = [
        F.count_if(F.col(OCCURRED_AT) >= F.lit(as_of) - F.expr(f"INTERVAL {days} DAYS"))
        .cast("double").alias(f"{type_name}_count_{days}d")
        for days in recency_days
    ]
    return past.groupBy(CUSTOMER_ID).agg(
        F.count(F.lit(1)).cast("double").alias(f"{type_name}_count"),
        *windows,
        F.datediff(F.lit(as_of), F.max(OCCURRED_AT)).cast("double").alias(f"{type_name}_days_since_last"),
    )


def rfm_features(rows: DataFrame, as_of: datetime, amount: str | None, condition: str | None) -> DataFrame:
    """customer_id, rfm_recency_days, rfm_frequency, rfm_tenure_days and rfm_monetary (with an amount)."""
    past = before(rows, as_of)
    if condition:
        past = past.where(F.expr(condition))
    measures = [
        F.datediff(F.lit(as_of), F.max(OCCURRED_AT)).cast("double").alias(f"{RFM_PREFIX}recency_days"),
        F.count(F.lit(1)).cast("double").alias(f"{RFM_PREFIX}frequency"),
        F.datediff(F.lit(as_of), F.min(OCCURRED_AT)).cast("double").alias(f"{RFM_PREFIX}tenure_days"),
    ]
    if amount:
        measures.append(F.sum(F.col(amount)).cast("double").alias(f"{RFM_PREFIX}monetary"))
    return past.groupBy(CUSTOMER_ID).agg(*measures)


def profile_features(profiles: DataFrame, attributes: list[str], as_of: datetime) -> DataFrame:
    """customer_id and profile_<attr>: numbers as doubles, text as is, dates as days before as_of."""
    columns = [F.col(CUSTOMER_ID)]
    types = dict(profiles.dtypes)
    for attr in attributes:
        name = f"{PROFILE_PREFIX}{attr}"
        kind = profiles.schema[attr].dataType
        if isinstance(kind, (T.DateType, T.TimestampType)):
            days = _days_before(as_of, attr)
            columns.append(F.when(days >= 0, days).alias(name))  # not yet true at as_of: unknown
        elif isinstance(kind, (T.BooleanType, *NUMERIC)):
            columns.append(F.col(attr).cast("double").alias(name))
        elif types[attr] == "string":
            columns.append(F.col(attr).alias(name))
    return profiles.select(*columns)


def kpi_features(kpis: DataFrame, as_of: datetime) -> DataFrame:
    """KPI columns renamed kpi_<name>: numbers as doubles, times as days before as_of, text as is."""
    columns = [F.col(CUSTOMER_ID)]
    for name, kind in ((f.name, f.dataType) for f in kpis.schema.fields):
        if name in (CUSTOMER_ID, "as_of"):
            continue
        if isinstance(kind, (T.DateType, T.TimestampType)):
            columns.append(_days_before(as_of, name).alias(f"{KPI_PREFIX}{name}"))
        elif isinstance(kind, (T.BooleanType, *NUMERIC)):
            columns.append(F.col(name).cast("double").alias(f"{KPI_PREFIX}{name}"))
        elif isinstance(kind, T.StringType):
            columns.append(F.col(name).alias(f"{KPI_PREFIX}{name}"))
    return kpis.select(*columns)


def join_features(population: DataFrame, parts: list[DataFrame]) -> DataFrame:
    """One row per customer of the population; counts of customers without rows become 0."""
    frame = population.select(CUSTOMER_ID).distinct()
    for part in parts:
        frame = frame.join(part, CUSTOMER_ID, "left")
    counts = [c for c in frame.columns if c.endswith("_count") or "_count_" in c or c == f"{RFM_PREFIX}frequency"]
    return frame.fillna(0.0, subset=counts) if counts else frame


@dataclass
class FeatureSources:
    """The rows features are computed from, read once per training and reused at every cutoff."""

    spark: SparkSession
    workspace: Workspace
    lake: Lake
    _rows: dict[tuple[str, str], DataFrame] = field(default_factory=dict)

    def rows(self, interaction: str, role: str = "customer") -> DataFrame:
        """Silver rows of an interaction type with their customer_id (anonymous rows dropped)."""
        key = (interaction, role)
        if key not in self._rows:
            table = read_table(self.spark, self.lake.silver(interaction))
            if table is None:
                table = self.spark.createDataFrame([], silver_schema(self.workspace.model, interaction))
            linked = with_customer_id(self.spark, self.lake, table, interaction, role)
            self._rows[key] = linked.where(F.col(CUSTOMER_ID).isNotNull())
        return self._rows[key]

    def customers(self) -> DataFrame:
        """Every customer_id (one row each): who gets a score."""
        primary = self.workspace.model.primary_profile
        return customer_population(self.spark, self.lake, primary).select(CUSTOMER_ID).distinct()

    def profiles(self) -> DataFrame | None:
        """One row per customer_id with the profile's attributes: the golden record, else the records."""
        golden = read_table(self.spark, self.lake.gold(GOLDEN_CUSTOMER.name))
        if golden is not None:
            return golden
        primary = self.workspace.model.primary_profile
        records = read_table(self.spark, self.lake.silver(primary))
        if records is None:
            return None
        attributes = list(self.workspace.model.profiles[primary].attributes)
        ids = customer_population(self.spark, self.lake, primary)
        joined = ids.join(records, RECORD_ID)
        return joined.groupBy(CUSTOMER_ID).agg(*[F.max(a).alias(a) for a in attributes])


def feature_interactions(workspace: Workspace, prediction: Prediction) -> list[str]:
    """Interaction types counted: the listed ones, else every type with a customer link."""
    if prediction.features.interactions is not None:
        return list(prediction.features.interactions)
    return [name for name, t in workspace.model.interactions.items() if "customer" in t.links]


def profile_attributes(workspace: Workspace, prediction: Prediction) -> list[str]:
    """Attributes used: the listed ones, else every non-PII one (never the outcome attribute)."""
    profile = workspace.model.profiles[prediction.entity]
    chosen = prediction.features.profile_attributes
    if chosen is None:
        chosen = [name for name, attr in profile.attributes.items() if not attr.pii]
    return [a for a in chosen if a != prediction.outcome.attribute]


def build_features(sources: FeatureSources, prediction: Prediction, as_of: datetime,
                   population: DataFrame) -> DataFrame:
    """customer_id plus every feature the prediction asks for, as of `as_of`, for the population."""
    workspace, features = sources.workspace, prediction.features
    parts: list[DataFrame] = []
    if features.rfm is not None:
        interaction = features.rfm.interaction or prediction.outcome.interaction
        parts.append(rfm_features(sources.rows(interaction), as_of, features.rfm.amount, features.rfm.filter))
    for interaction in feature_interactions(workspace, prediction):
        parts.append(interaction_counts(sources.rows(interaction), interaction, as_of, features.recency_days))
    kpis = workspace.kpis
    if kpis is not None and kpis.of_grain("customer") and features.kpis != []:
        from jobs.kpis import customer_kpis

        frame = customer_kpis(sources.spark, workspace, sources.lake, as_of, features.kpis or None)
        parts.append(kpi_features(frame, as_of))
    attributes = profile_attributes(workspace, prediction)
    profiles = sources.profiles() if attributes else None
    if profiles is not None:
        present = [a for a in attributes if a in profiles.columns]
        parts.append(profile_features(profiles, present, as_of))
    return join_features(population, parts)
