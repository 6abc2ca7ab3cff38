"""Examples: features at each cutoff joined with the labels of the horizon after it.

One row per (window, customer of that window's population). Training windows come first,
the holdout last; the frames are cached because model selection reads them several times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ml.features import FeatureSources, build_features
from ml.labels import LABEL, attribute_values, horizon_scale, labels, outcome_values, population_at
from ml.windows import Plan, Window
from schemas.predictions import VALUE, Prediction
from schemas.tables import CUSTOMER_ID

WINDOW = "window"
NOT_FEATURES = {CUSTOMER_ID, WINDOW, LABEL}


@dataclass(frozen=True)
class Examples:
    """Training and holdout examples with the feature columns a model uses."""

    training: DataFrame
    holdout: DataFrame
    numeric: list[str]
    categorical: list[str]
    label_scale: float  # numeric labels of a shorter label horizon are multiplied by this
    dropped: dict[str, str]  # feature -> why it was left out

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def unpersist(self) -> None:
        self.training.unpersist()
        self.holdout.unpersist()


def population(sources: FeatureSources, prediction: Prediction, window: Window) -> DataFrame:
    """Customers a window makes examples for: active in the population interaction before its cutoff."""
    interaction = prediction.population.interaction or prediction.outcome.interaction
    return population_at(sources.rows(interaction), window.cutoff, prediction.population.within_days)


def outcome_in(sources: FeatureSources, prediction: Prediction, start, end) -> DataFrame:
    """customer_id, value of the outcome between start and end (or the profile attribute)."""
    outcome = prediction.outcome
    if outcome.attribute is not None:
        profiles = sources.profiles()
        if profiles is None:
            raise ValueError(f"outcome attribute '{outcome.attribute}' needs the {prediction.entity} profiles, "
                             "and there are none yet")
        return attribute_values(profiles, outcome.attribute)
    return outcome_values(sources.rows(outcome.interaction, outcome.role), outcome, start, end)


def window_examples(sources: FeatureSources, prediction: Prediction, window: Window, scale: float) -> DataFrame:
    """Features as of the window's cutoff, labels from [cutoff, label_end), for its population."""
    members = population(sources, prediction, window)
    features = build_features(sources, prediction, window.cutoff, members)
    values = outcome_in(sources, prediction, window.cutoff, window.label_end)
    label = labels(members, values, prediction.outcome, scale)
    return features.join(label, CUSTOMER_ID).withColumn(WINDOW, F.lit(window.index))


def label_scale(sources: FeatureSources, prediction: Prediction, plan: Plan) -> float:
    """1, or for numeric labels of a shorter label horizon, how they grow to the full horizon."""
    label_days = prediction.training.label_horizon_days
    if prediction.outcome.kind != "numeric" or label_days is None or label_days == prediction.horizon_days:
        return 1.0
    start = plan.holdout.cutoff - timedelta(days=2 * label_days)
    middle = start + timedelta(days=label_days)
    members = population(sources, prediction, Window(-1, start, middle))
    totals = []
    for begin, end in ((start, middle), (middle, plan.holdout.cutoff)):
        values = outcome_in(sources, prediction, begin, end).join(members, CUSTOMER_ID)
        totals.append(values.agg(F.sum(VALUE)).first()[0] or 0.0)
    return horizon_scale(totals[0], totals[1], label_days, prediction.horizon_days,
                         prediction.training.horizon_scaling)


def build_examples(sources: FeatureSources, prediction: Prediction, plan: Plan) -> Examples:
    """Every training window's examples (unioned) and the holdout's, with usable feature columns."""
    scale = label_scale(sources, prediction, plan)
    parts = [window_examples(sources, prediction, w, scale) for w in plan.training]
    training = parts[0]
    for part in parts[1:]:
        training = training.unionByName(part)
    max_rows = prediction.training.max_rows
    if max_rows is not None:
        total = training.count()
        if total > max_rows:
            training = training.sample(fraction=max_rows / total, seed=prediction.training.seed)
    training = training.cache()
    holdout = window_examples(sources, prediction, plan.holdout, 1.0).cache()
    numeric, categorical, dropped = usable_features(training, prediction.features.max_categories)
    if training.limit(1).count() == 0:
        raise ValueError(f"no training examples: nobody is in the population before "
                         f"{plan.training[0].cutoff:%Y-%m-%d}; is there data before the cutoffs?")
    return Examples(training, holdout, numeric, categorical, scale, dropped)


def usable_features(training: DataFrame, max_categories: int) -> tuple[list[str], list[str], dict[str, str]]:
    """Numeric and text feature columns a model can use: not empty, text not too varied."""
    candidates = [f for f in training.schema.fields if f.name not in NOT_FEATURES]
    stats = training.agg(
        *[F.count(f.name).alias(f"n_{i}") for i, f in enumerate(candidates)],
        *[F.approx_count_distinct(f.name).alias(f"d_{i}") for i, f in enumerate(candidates)],
    ).first()
    numeric, categorical, dropped = [], [], {}
    for i, f in enumerate(candidates):
        if stats[f"n_{i}"] == 0:
            dropped[f.name] = "no values in the training examples"
        elif isinstance(f.dataType, T.StringType):
            if stats[f"d_{i}"] > max_categories:
                dropped[f.name] = f"about {stats[f'd_{i}']} distinct values (max_categories {max_categories})"
            else:
                categorical.append(f.name)
        else:
            numeric.append(f.name)
    return numeric, categorical, dropped
