"""Spark ML training: impute, encode, assemble, scale, then a linear model or boosted trees.

Candidates (each family with its parameter grid) are compared by time-aware validation: each
of the latest training windows is predicted by a model fitted on the windows before it, so a
model is never validated on a period older than what it learnt from. The best candidate is
refitted on every training window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import GBTClassifier, LogisticRegression
from pyspark.ml.feature import Imputer, OneHotEncoder, StandardScaler, StringIndexer, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.ml.regression import GBTRegressor, LinearRegression
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.dataset import WINDOW, Examples
from ml.evaluation import SCORE, better, selection_value
from ml.labels import LABEL
from schemas.predictions import OutcomeKind, Training
from schemas.tables import CUSTOMER_ID

WEIGHT = "_weight"
FEATURES, RAW_FEATURES = "features", "raw_features"


@dataclass(frozen=True)
class Candidate:
    """One model family with one set of parameters."""

    family: str
    params: dict[str, float | int]

    @property
    def name(self) -> str:
        settings = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.family}({settings})"


@dataclass
class Selection:
    """The winning candidate, its fitted pipeline, and every candidate's validation score."""

    best: Candidate
    model: PipelineModel
    validation: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def candidates(training: Training) -> list[Candidate]:
    """The grid: linear with each regularisation, gbt with each depth."""
    grid = []
    for family in training.models:
        if family == "linear":
            grid += [Candidate("linear", {"regParam": r}) for r in training.reg_params]
        else:
            grid += [Candidate("gbt", {"maxDepth": d, "maxIter": training.gbt_max_iter}) for d in training.gbt_max_depth]
    return grid


def estimator(kind: OutcomeKind, candidate: Candidate, training: Training, weighted: bool):
    """The Spark ML estimator of a candidate for a kind of outcome."""
    common = {"featuresCol": FEATURES, "labelCol": LABEL}
    if weighted:
        common["weightCol"] = WEIGHT
    if candidate.family == "linear":
        cls = LogisticRegression if kind == "binary" else LinearRegression
        return cls(maxIter=training.linear_max_iter, regParam=float(candidate.params["regParam"]), **common)
    cls = GBTClassifier if kind == "binary" else GBTRegressor
    return cls(maxDepth=int(candidate.params["maxDepth"]), maxIter=int(candidate.params["maxIter"]),
               seed=training.seed, **common)


def pipeline(numeric: list[str], categorical: list[str], final) -> Pipeline:
    """Median imputation, index + one-hot text, assemble, scale to unit variance, estimator."""
    stages = []
    assembled = []
    if numeric:
        imputed = [f"{c}__imputed" for c in numeric]
        stages.append(Imputer(inputCols=numeric, outputCols=imputed, strategy="median"))
        assembled += imputed
    if categorical:
        indexed = [f"{c}__index" for c in categorical]
        encoded = [f"{c}__onehot" for c in categorical]
        stages.append(StringIndexer(inputCols=categorical, outputCols=indexed, handleInvalid="keep"))
        stages.append(OneHotEncoder(inputCols=indexed, outputCols=encoded, handleInvalid="keep"))
        assembled += encoded
    stages.append(VectorAssembler(inputCols=assembled, outputCol=RAW_FEATURES, handleInvalid="keep"))
    stages.append(StandardScaler(inputCol=RAW_FEATURES, outputCol=FEATURES, withMean=False, withStd=True))
    stages.append(final)
    return Pipeline(stages=stages)


def with_class_weights(frame: DataFrame, training: Training, kind: OutcomeKind) -> tuple[DataFrame, bool]:
    """Binary: weights n / (2 n_class), so the rarer class counts as much as the common one."""
    if kind != "binary" or training.class_weights == "none":
        return frame, False
    counts = {row[LABEL]: row["count"] for row in frame.groupBy(LABEL).count().collect()}
    total = sum(counts.values())
    if len(counts) < 2:
        return frame.withColumn(WEIGHT, F.lit(1.0)), True
    weight = F.when(F.col(LABEL) == 1.0, total / (2 * counts[1.0])).otherwise(total / (2 * counts[0.0]))
    return frame.withColumn(WEIGHT, weight), True


def scores(model: PipelineModel, frame: DataFrame, kind: OutcomeKind) -> DataFrame:
    """customer_id, label (when present), score: P(positive) for binary, the value for numeric."""
    out = model.transform(frame)
    score = vector_to_array("probability")[1] if kind == "binary" else F.col("prediction")
    columns = [CUSTOMER_ID] + ([LABEL] if LABEL in frame.columns else [])
    return out.select(*columns, score.cast("double").alias(SCORE))


def fit(examples: Examples, frame: DataFrame, kind: OutcomeKind, candidate: Candidate,
        training: Training) -> PipelineModel:
    """One candidate fitted on some examples."""
    weighted_frame, weighted = with_class_weights(frame, training, kind)
    final = estimator(kind, candidate, training, weighted)
    return pipeline(examples.numeric, examples.categorical, final).fit(weighted_frame)


def select_and_fit(examples: Examples, kind: OutcomeKind, training: Training, windows: list[int]) -> Selection:
    """Time-aware validation of every candidate, then the best one refitted on all training windows."""
    started = time.monotonic()
    folds = windows[-training.validation_windows:] if len(windows) > 1 else windows
    folds = [w for w in folds if w != windows[0]] or windows[-1:]
    validation: dict[str, float] = {}
    best: Candidate | None = None
    for candidate in candidates(training):
        values = []
        for fold in folds:
            past = examples.training.where(F.col(WINDOW) < fold)
            model = fit(examples, past, kind, candidate, training)
            values.append(selection_value(kind, scores(model, examples.training.where(F.col(WINDOW) == fold), kind)))
        validation[candidate.name] = sum(values) / len(values)
        if best is None or better(kind, validation[candidate.name], validation[best.name]):
            best = candidate
    assert best is not None
    model = fit(examples, examples.training, kind, best, training)
    return Selection(best, model, validation, time.monotonic() - started)


def feature_importance(model: PipelineModel, sample: DataFrame) -> list[tuple[str, float]]:
    """(assembled feature, importance) sorted high to low: tree importances or |coefficient| (scaled)."""
    final = model.stages[-1]
    if hasattr(final, "featureImportances"):
        values = final.featureImportances.toArray()
    elif hasattr(final, "coefficients"):
        values = [abs(v) for v in final.coefficients.toArray()]
    else:
        return []
    names = assembled_names(model, sample, len(values))
    return sorted(zip(names, (float(v) for v in values), strict=True), key=lambda item: -item[1])


def assembled_names(model: PipelineModel, sample: DataFrame, size: int) -> list[str]:
    """Names of the assembled vector's slots (one-hot slots as <column>=<value>)."""
    assembled = PipelineModel(stages=model.stages[:-2]).transform(sample.limit(1))
    attrs = assembled.schema[RAW_FEATURES].metadata.get("ml_attr", {}).get("attrs", {})
    names = [""] * size
    for group in attrs.values():
        for attr in group:
            if attr["idx"] < size:
                names[attr["idx"]] = attr.get("name", str(attr["idx"]))
    return [n.replace("__imputed", "").replace("__onehot_", "=") or f"f{i}" for i, n in enumerate(names)]
