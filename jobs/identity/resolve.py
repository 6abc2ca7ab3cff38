"""Every step of identity resolution up to the customer IDs, in order, for benchmarks and scripts.

The Dagster assets (orchestration/assets/identity.py) call the same steps one by one:
identity_model -> identity_pairs -> identity_clusters -> customer_ids (+ customer_id_history).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from pyspark.sql import SparkSession

from jobs.identity.context import identity_context
from jobs.identity.customer_ids import build_customer_ids
from jobs.identity.identity_clusters import build_identity_clusters
from jobs.identity.identity_model import build_identity_model
from jobs.identity.identity_pairs import build_identity_pairs
from schemas.tables import Lake
from schemas.workspace import Workspace

T = TypeVar("T")


def resolve(spark: SparkSession, workspace: Workspace, lake: Lake, run_id: str = "manual") -> dict[str, Any]:
    """Model, pairs, clusters and customer IDs; each step's result as a dict, and the seconds it took."""
    ctx = identity_context(spark, workspace, lake)
    seconds: dict[str, float] = {}

    def timed(name: str, step: Callable[..., T], *args: Any) -> T:
        started = time.monotonic()
        result = step(*args)
        seconds[name] = round(time.monotonic() - started, 2)
        return result

    try:
        model = timed("model", build_identity_model, ctx)
        pairs = timed("pairs", build_identity_pairs, ctx, model)
        clusters = timed("clusters", build_identity_clusters, ctx)
        ids = timed("customer_ids", build_customer_ids, ctx, run_id)
    finally:
        ctx.release()
    return {"model_version": model.version, "trained": model.trained, "training": model.training,
            "pairs": asdict(pairs), "clusters": asdict(clusters), "ids": asdict(ids), "seconds": seconds}
