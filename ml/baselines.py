"""Naive baselines a model must beat: the recency rule (binary) and last period's value (numeric).

Recency rule: customers are grouped into deciles of days since their last outcome interaction
(learnt on the training examples) and scored with their decile's positive rate there.
Last period: the outcome's value over the horizon-long period before the cutoff.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pyspark.ml.feature import QuantileDiscretizer
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.features import before
from ml.labels import LABEL, outcome_values
from schemas.model import OCCURRED_AT
from schemas.predictions import VALUE, Outcome
from schemas.tables import CUSTOMER_ID

SCORE = "score"
RECENCY = "_recency_days"
NEVER = 1e9  # days since last for customers without any such interaction: their own bucket


def recency(rows: DataFrame, cutoff: datetime) -> DataFrame:
    """customer_id, days since the last row before the cutoff."""
    return before(rows, cutoff).groupBy(CUSTOMER_ID).agg(
        F.datediff(F.lit(cutoff), F.max(OCCURRED_AT)).cast("double").alias(RECENCY)
    )


def with_recency(examples: DataFrame, rows: DataFrame, cutoffs: dict[int, datetime], window_col: str) -> DataFrame:
    """Examples with the recency of their own window's cutoff."""
    per_window = None
    for index, cutoff in cutoffs.items():
        part = recency(rows, cutoff).withColumn(window_col, F.lit(index))
        per_window = part if per_window is None else per_window.unionByName(part)
    joined = examples.join(per_window, [window_col, CUSTOMER_ID], "left")
    return joined.fillna(NEVER, subset=[RECENCY])


def recency_rule(training: DataFrame, holdout: DataFrame, buckets: int = 10) -> DataFrame:
    """Holdout customer_id, label, score: the training positive rate of the holdout's recency decile."""
    discretizer = QuantileDiscretizer(inputCol=RECENCY, outputCol="_bucket", numBuckets=buckets,
                                      handleInvalid="keep", relativeError=0.001)
    bucketizer = discretizer.fit(training)
    rates = bucketizer.transform(training).groupBy("_bucket").agg(F.avg(LABEL).alias("_rate"))
    overall = training.agg(F.avg(LABEL)).first()[0] or 0.0
    scored = bucketizer.transform(holdout).join(rates, "_bucket", "left")
    return scored.select(CUSTOMER_ID, LABEL, F.coalesce("_rate", F.lit(overall)).alias(SCORE))


def last_period(holdout: DataFrame, rows: DataFrame, outcome: Outcome, cutoff: datetime,
                horizon_days: int) -> DataFrame:
    """Holdout customer_id, label, score: the outcome over [cutoff - horizon, cutoff) (0 if none)."""
    previous = outcome_values(rows, outcome, cutoff - timedelta(days=horizon_days), cutoff)
    scored = holdout.select(CUSTOMER_ID, LABEL).join(previous, CUSTOMER_ID, "left")
    return scored.select(CUSTOMER_ID, LABEL, F.coalesce(F.col(VALUE), F.lit(0.0)).alias(SCORE))
