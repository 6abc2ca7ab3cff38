"""gold/identity_model: the match parameters, trained without labels, one version per training.

The stored model is reused until the policy's fingerprint changes (or training.retrain asks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import functions as F

from jobs.identity.context import IdentityContext
from jobs.identity.model import MODEL_SCHEMA, MatchModel, model_rows, policy_fingerprint
from jobs.identity.train import train_model
from jobs.writes import append
from schemas.catalog import IDENTITY_MODEL

PRIOR_ROW = "__prior__"


@dataclass(frozen=True)
class StoredModel:
    """A model as stored in gold/identity_model, with its version."""

    model: MatchModel
    version: int


@dataclass(frozen=True)
class ModelResult(StoredModel):
    """The model this run uses; trained says whether it was trained (and appended) now."""

    trained: bool = False
    training: dict[str, Any] = field(default_factory=dict)  # training metrics, when trained now


def stored_model(ctx: IdentityContext) -> StoredModel | None:
    """The latest stored model, if any."""
    table = ctx.read(IDENTITY_MODEL)
    if table is None:
        return None
    row = table.where(F.col("comparison") == PRIOR_ROW).orderBy(F.col("version").desc()).limit(1).collect()
    if not row:
        return None
    return StoredModel(MatchModel.from_dict(json.loads(row[0]["model_json"])), int(row[0]["version"]))


def build_identity_model(ctx: IdentityContext) -> ModelResult:
    """Reuse the stored model unless the policy changed; else train one and append it as a new version."""
    stored = stored_model(ctx)
    if stored and stored.model.fingerprint == policy_fingerprint(ctx.policy) and not ctx.policy.training.retrain:
        return ModelResult(stored.model, stored.version)
    model, metrics = train_model(ctx.records, ctx.policy)
    version = (stored.version + 1) if stored else 1
    rows = model_rows(model, version, datetime.now(UTC), ctx.policy.model_dump_json())
    append(ctx.spark.createDataFrame(rows, MODEL_SCHEMA), ctx.path(IDENTITY_MODEL))
    return ModelResult(model, version, trained=True, training=metrics)
