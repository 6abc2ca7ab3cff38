"""Labels: what happened to each customer in the horizon after a cutoff, and nothing else.

Only rows with cutoff <= occurred_at < label_end count, so moving an interaction before the
cutoff can change a feature but never a label. Customers of the population without any row in
the horizon get the aggregate over no rows, read as 0 (count(*) gives 0, sum gives 0).
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.features import before
from schemas.model import OCCURRED_AT
from schemas.predictions import VALUE, Outcome
from schemas.tables import CUSTOMER_ID

LABEL = "label"


def population_at(rows: DataFrame, cutoff: datetime, within_days: int | None = None) -> DataFrame:
    """Customers with at least one row before the cutoff (the last within N days, if given)."""
    last = before(rows, cutoff).groupBy(CUSTOMER_ID).agg(F.max(OCCURRED_AT).alias("_last"))
    if within_days is not None:
        last = last.where(F.col("_last") >= F.lit(cutoff) - F.expr(f"INTERVAL {within_days} DAYS"))
    return last.select(CUSTOMER_ID)


def in_horizon(rows: DataFrame, start: datetime, end: datetime) -> DataFrame:
    """Rows with start <= occurred_at < end: the only rows a label may see."""
    return rows.where((F.col(OCCURRED_AT) >= F.lit(start)) & (F.col(OCCURRED_AT) < F.lit(end)))


def outcome_values(rows: DataFrame, outcome: Outcome, start: datetime, end: datetime) -> DataFrame:
    """customer_id, value: the outcome's aggregate over each customer's rows in [start, end)."""
    horizon = in_horizon(rows, start, end)
    if outcome.filter:
        horizon = horizon.where(F.expr(outcome.filter))
    return horizon.groupBy(CUSTOMER_ID).agg(F.expr(outcome.value).cast("double").alias(VALUE))


def attribute_values(profiles: DataFrame, attribute: str) -> DataFrame:
    """customer_id, value: a profile attribute's current value (profile attributes keep no history)."""
    return profiles.select(CUSTOMER_ID, F.col(attribute).alias(VALUE))


def labels(population: DataFrame, values: DataFrame, outcome: Outcome, scale: float = 1.0) -> DataFrame:
    """customer_id, label for every customer of the population: 1/0 for binary, the value for numeric."""
    joined = population.select(CUSTOMER_ID).distinct().join(values, CUSTOMER_ID, "left")
    if outcome.kind == "binary":
        positive = F.coalesce(F.expr(outcome.positive_when).cast("boolean"), F.lit(False))
        if outcome.attribute is None:  # no rows in the horizon: the aggregate over none, i.e. 0
            joined = joined.fillna(0.0, subset=[VALUE])
        return joined.select(CUSTOMER_ID, positive.cast("double").alias(LABEL))
    value = F.coalesce(F.col(VALUE).cast("double"), F.lit(0.0))
    return joined.select(CUSTOMER_ID, (value * F.lit(scale)).alias(LABEL))


def horizon_scale(first: float, second: float, label_days: int, horizon_days: int, method: str) -> float:
    """How much a label of `label_days` grows over `horizon_days` (numeric outcomes that add up).

    `linear`: horizon / label horizon. `observed`: the ratio q of the second label horizon's total
    to the first's (measured on the same customers) is taken as the decay per label horizon, and
    the sum 1 + q + q^2 + ... runs over horizon / label horizon periods (never above linear).
    """
    periods = horizon_days / label_days
    if method == "linear" or first <= 0:
        return periods
    q = second / first
    if q >= 1:
        return periods
    return min(periods, (1 - q**periods) / (1 - q))

