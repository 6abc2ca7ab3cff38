"""Prediction definitions (predictions.yaml): pick a business outcome, get a tracked model and scores.

A prediction names the entity scored (the primary profile, the customer), the outcome (an
aggregate of the entity's interactions in the horizon after a cutoff, or a profile
attribute), the cutoff and horizon, and which features to use. Training is point-in-time
correct: features see only interactions before a cutoff, labels only the horizon after it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from schemas.errors import Problem
from schemas.kpis import KpiFile
from schemas.model import OCCURRED_AT, Strict
from schemas.sql import ExpressionError, aggregates, column_names, parse
from schemas.workspace_core import WorkspaceCore


PREDICTIONS_FILE = "predictions.yaml"
OutcomeKind = Literal["binary", "numeric"]
ModelFamily = Literal["linear", "gbt"]
Scaling = Literal["observed", "linear"]
VALUE = "value"  # the outcome's aggregate, as `positive_when` sees it


class Outcome(Strict):
    """What is predicted: an aggregate of interactions in the horizon, or a profile attribute."""

    kind: OutcomeKind = Field(description="binary (a probability is scored) or numeric (a value is scored)")
    interaction: str | None = Field(
        default=None, description="interaction type whose rows in the horizon after the cutoff make the outcome"
    )
    role: str = Field(default="customer", description="the link role of the entity in that interaction")
    value: str = Field(
        default="count(*)",
        description="Spark SQL aggregate over those rows; customers without any rows get 0 (count(*) over none)",
    )
    filter: str | None = Field(default=None, description="Spark SQL condition: which rows count")
    attribute: str | None = Field(
        default=None, description="instead of interactions: a profile attribute of the entity (its current value)"
    )
    positive_when: str | None = Field(
        default=None,
        description="binary: Spark SQL condition over `value` (the aggregate or attribute) for the positive class, "
        "e.g. `value = 0` for 'no purchase'",
    )

    @model_validator(mode="after")
    def _source_and_label(self) -> Outcome:
        if (self.interaction is None) == (self.attribute is None):
            raise ValueError("give exactly one of 'interaction' or 'attribute'")
        if self.kind == "binary" and not self.positive_when:
            raise ValueError("a binary outcome needs 'positive_when' (e.g. 'value = 0')")
        return self


class Rfm(Strict):
    """Recency, frequency and monetary value of one interaction type, before the cutoff."""

    interaction: str | None = Field(default=None, description="interaction type (default: the outcome's)")
    amount: str | None = Field(default=None, description="numeric attribute summed as monetary value (none: no monetary)")
    filter: str | None = Field(default=None, description="Spark SQL condition: which rows count")


class Population(Strict):
    """Who a training example is made for at a cutoff."""

    interaction: str | None = Field(
        default=None, description="customers with at least one such interaction before the cutoff (default: the outcome's)"
    )
    within_days: int | None = Field(
        default=None, ge=1, description="only those whose last such interaction is at most this many days before the cutoff"
    )


class FeatureSet(Strict):
    """Which point-in-time features a model sees; every list defaults to 'all'."""

    kpis: list[str] | None = Field(
        default=None, description="customer KPIs of kpis.yaml, computed as of each cutoff (default: all; [] for none)"
    )
    rfm: Rfm | None = Field(default_factory=Rfm, description="recency, frequency, monetary value (null: leave out)")
    profile_attributes: list[str] | None = Field(
        default=None, description="attributes of the entity (default: every non-PII one; [] for none)"
    )
    interactions: list[str] | None = Field(
        default=None, description="interaction types counted in total and per recency window (default: all linked)"
    )
    recency_days: list[int] = Field(
        default_factory=lambda: [30, 90, 365], description="windows (days before the cutoff) of the interaction counts"
    )
    max_categories: int = Field(
        default=50, ge=2, description="text attributes with more distinct values are left out (identifiers, cities)"
    )


class Training(Strict):
    """How examples are drawn and which models compete; small values keep tests fast."""

    windows: int = Field(
        default=3, ge=2, description="earlier cutoffs whose examples train the model (the latest ones validate)"
    )
    step_days: int = Field(default=30, ge=1, description="days between those training cutoffs")
    validation_windows: int = Field(
        default=1, ge=1, description="time-aware folds: each of the latest N windows is validated on a model "
        "trained on the windows before it"
    )
    label_horizon_days: int | None = Field(
        default=None, ge=1,
        description="a shorter horizon for the training labels when history is short (numeric labels are "
        "scaled up to the horizon; binary labels become a ranking proxy)",
    )
    horizon_scaling: Scaling = Field(
        default="observed",
        description="numeric labels of a shorter label horizon: `observed` extrapolates the decay seen between "
        "two consecutive label horizons in the data, `linear` multiplies by horizon / label horizon",
    )
    models: list[ModelFamily] = Field(
        default_factory=lambda: ["linear", "gbt"],
        description="families that compete: linear (logistic or linear regression) and gbt (gradient-boosted trees)",
    )
    reg_params: list[float] = Field(default_factory=lambda: [0.01], description="regularisation tried for linear models")
    linear_max_iter: int = Field(default=50, ge=1, description="optimiser iterations of linear models")
    gbt_max_depth: list[int] = Field(default_factory=lambda: [3, 5], description="tree depths tried for gbt")
    gbt_max_iter: int = Field(default=30, ge=1, description="boosting rounds of gbt")
    class_weights: Literal["balanced", "none"] = Field(
        default="balanced", description="binary: weight examples so both classes count equally"
    )
    max_rows: int | None = Field(
        default=None, ge=100, description="sample the training examples down to about this many (big data)"
    )
    seed: int = Field(default=7, description="seed of sampling and of tree learning")

    @field_validator("models")
    @classmethod
    def _some_model(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one model family")
        return value


class Grading(Strict):
    """The grade: how much of the baseline's error the model removes on the holdout."""

    a: float = Field(default=0.20, description="grade A from this relative improvement over the baseline")
    b: float = Field(default=0.05, description="grade B from this relative improvement (below: C)")


class ChampionRule(Strict):
    """When a new version may take the champion alias without beating the champion on the same holdout."""

    replace_unmeasured: int | None = Field(
        default=None, ge=1,
        description="a champion version the next training may replace although it cannot load or score it on the "
        "new holdout (a lost artifact, or a definition change its fingerprints cannot show); ignored once another "
        "version is champion. Without it, such a champion is kept and the training warns (tags `champion_decision`, "
        "`champion_basis`), unless both its definition and features fingerprints changed (a deliberate redefinition)",
    )


class Prediction(Strict):
    """One business outcome to predict for every customer."""

    description: str = Field(default="", description="what the prediction is for, shown in the UI and MLflow")
    entity: str = Field(default="customer", description="the profile type scored (the primary profile)")
    outcome: Outcome = Field(description="what is predicted")
    cutoff: str = Field(
        default="latest",
        description="the holdout's cutoff: `latest` (the end of the data minus the horizon, so its labels are "
        "complete) or an ISO date; training cutoffs lie before it",
    )
    horizon_days: int = Field(ge=1, description="days after a cutoff in which the outcome is observed")
    population: Population = Field(default_factory=Population, description="who is scored in training")
    features: FeatureSet = Field(default_factory=FeatureSet, description="the features a model sees")
    training: Training = Field(default_factory=Training, description="examples, candidates, selection")
    grading: Grading = Field(default_factory=Grading, description="thresholds of the A/B/C grade")
    champion: ChampionRule = Field(default_factory=ChampionRule, description="when the champion alias may move")

    @field_validator("cutoff")
    @classmethod
    def _cutoff(cls, value: str) -> str:
        if value != "latest":
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"'{value}' is neither 'latest' nor an ISO date (YYYY-MM-DD)") from None
        return value


class PredictionFile(Strict):
    """The predictions.yaml file."""

    retrain_cron: str = Field(
        default="0 4 * * 0",
        description="when the scheduled retraining runs (cron, UTC); skipped when the data have not changed",
    )
    predictions: dict[str, Prediction] = Field(description="prediction name -> prediction")

    @field_validator("predictions")
    @classmethod
    def _names(cls, value: dict[str, Prediction]) -> dict[str, Prediction]:
        from schemas.model import _check_identifiers

        return _check_identifiers(value)


def check_predictions(file: PredictionFile, workspace: WorkspaceCore, kpis: KpiFile | None) -> list[Problem]:
    """Every prediction names known profiles, interactions, attributes, roles and KPIs."""
    problems: list[Problem] = []
    for name, prediction in file.predictions.items():
        where = f"predictions.{name}"

        def report(key: str, message: str, where: str = where) -> None:
            problems.append(Problem(PREDICTIONS_FILE, f"{where}.{key}", message))

        _check_entity(prediction, workspace, report)
        _check_outcome(prediction, workspace, report)
        _check_features(prediction, workspace, kpis, report)
        label_horizon = prediction.training.label_horizon_days
        if label_horizon is not None and label_horizon > prediction.horizon_days:
            report("training.label_horizon_days", f"{label_horizon} is longer than horizon_days "
                   f"({prediction.horizon_days}); it may only be shorter")
    return problems


def _check_entity(prediction: Prediction, workspace: WorkspaceCore, report) -> None:
    primary = workspace.model.primary_profile
    if prediction.entity != primary:
        report("entity", f"'{prediction.entity}' is not the primary profile type (scores are per customer: "
               f"'{primary}')")


def _check_outcome(prediction: Prediction, workspace: WorkspaceCore, report) -> None:
    outcome = prediction.outcome
    if outcome.attribute is not None:
        profile = workspace.model.profiles.get(prediction.entity)
        if profile is not None and outcome.attribute not in profile.attributes:
            report("outcome.attribute", f"'{prediction.entity}' has no attribute '{outcome.attribute}' "
                   f"(known: {sorted(profile.attributes)})")
    else:
        if not _check_interaction(workspace, outcome.interaction, outcome.role, "outcome", report):
            return
        columns = _columns(workspace, outcome.interaction)
        _check_expression(outcome.value, columns, "outcome.value", report, aggregate=True)
        if outcome.filter:
            _check_expression(outcome.filter, columns, "outcome.filter", report, aggregate=False)
    if outcome.positive_when:
        _check_expression(outcome.positive_when, {VALUE}, "outcome.positive_when", report, aggregate=False)


def _check_features(prediction: Prediction, workspace: WorkspaceCore, kpis: KpiFile | None, report) -> None:
    features = prediction.features
    default_interaction = prediction.outcome.interaction
    if features.rfm is not None:
        interaction = features.rfm.interaction or default_interaction
        if interaction is None:
            report("features.rfm.interaction", "the outcome is an attribute: name the interaction of RFM features")
        elif _check_interaction(workspace, interaction, "customer", "features.rfm", report):
            attributes = workspace.model.interactions[interaction].attributes
            amount = features.rfm.amount
            if amount is not None and (amount not in attributes or
                                       attributes[amount].type not in ("long", "double", "decimal")):
                report("features.rfm.amount", f"'{amount}' is not a numeric attribute of '{interaction}'")
            if features.rfm.filter:
                _check_expression(features.rfm.filter, _columns(workspace, interaction),
                                  "features.rfm.filter", report, aggregate=False)
    population = prediction.population.interaction or default_interaction
    if population is None:
        report("population.interaction", "the outcome is an attribute: name the interaction that defines "
               "who is in the population")
    elif population not in workspace.model.interactions:
        report("population.interaction", f"unknown interaction type '{population}' "
               f"(known: {sorted(workspace.model.interactions)})")
    for interaction in features.interactions or []:
        _check_interaction(workspace, interaction, "customer", "features.interactions", report)
    profile = workspace.model.profiles.get(prediction.entity)
    for attribute in features.profile_attributes or []:
        if profile is not None and attribute not in profile.attributes:
            report("features.profile_attributes", f"'{prediction.entity}' has no attribute '{attribute}'")
    if features.kpis:
        known = set(kpis.of_grain("customer")) if kpis is not None else set()
        for kpi in features.kpis:
            if kpi not in known:
                report("features.kpis", f"unknown customer KPI '{kpi}' (known: {sorted(known)})")


def _check_interaction(workspace: WorkspaceCore, interaction: str | None, role: str, key: str, report) -> bool:
    interactions = workspace.model.interactions
    if interaction not in interactions:
        report(f"{key}.interaction" if key != "features.interactions" else key,
               f"unknown interaction type '{interaction}' (known: {sorted(interactions)})")
        return False
    if role not in interactions[interaction].links:
        report(f"{key}.role" if key == "outcome" else key,
               f"'{interaction}' has no role '{role}' (known: {sorted(interactions[interaction].links)})")
        return False
    return True


def _columns(workspace: WorkspaceCore, interaction: str) -> set[str]:
    entity = workspace.model.interactions[interaction]
    return {*entity.all_attributes(), OCCURRED_AT}


def _check_expression(text: str, known: set[str], key: str, report, aggregate: bool) -> None:
    try:
        tree = parse(text)
    except ExpressionError as error:
        report(key, str(error))
        return
    if aggregate and not aggregates(tree):
        report(key, f"'{text}' aggregates nothing: use count(*), sum(...), count(DISTINCT ...), ...")
    unknown = sorted(column_names(tree) - known)
    if unknown:
        report(key, f"unknown column(s) {unknown} in '{text}' (known: {sorted(known)})")

