"""One ephemeral GX context per process, and the translation of our specs into GX objects.

GX is imported here and only when first needed: importing it takes seconds, and code that
only lists or describes suites should not pay for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from expectations.spec import ExpectationSpec, TableSuite, ValidationContext

if TYPE_CHECKING:
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.expectations.expectation import Expectation

# Our severity onto GX's, so GX-rendered output (e.g. Data Docs) agrees with our reports.
GX_SEVERITY = {"error": "critical", "warn": "warning"}
# The position of a spec in its TableSuite travels in the expectation's meta, to map results back.
INDEX_META = "spec_index"

_NAME = "customer_insights"


class InvalidExpectation(ValueError):
    """A spec GX does not accept: unknown type, missing or unknown kwargs."""


@dataclass(frozen=True)
class GxSession:
    """The shared context and its whole-dataframe batch definition; use under `lock`."""

    context: Any
    batch_definition: BatchDefinition
    lock: threading.Lock


_session: GxSession | None = None
_session_lock = threading.Lock()


def gx_session() -> GxSession:
    """The process-wide GX context with a Spark data source, built on first use."""
    global _session
    with _session_lock:
        if _session is None:
            _session = _build_session()
        return _session


def _build_session() -> GxSession:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    # persist=False: GX would persist every batch and never unpersist it; the runner caches.
    source = context.data_sources.add_spark(name=_NAME, persist=False)
    asset = source.add_dataframe_asset(name="dataframe")
    batch_definition = asset.add_batch_definition_whole_dataframe("whole_dataframe")
    return GxSession(context=context, batch_definition=batch_definition, lock=threading.Lock())


def to_gx_expectation(
    spec: ExpectationSpec, index: int, now: datetime, context: ValidationContext | None = None
) -> Expectation:
    """The GX expectation for a spec, tagged with its index; InvalidExpectation if GX refuses it."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    config = ExpectationConfiguration(
        type=spec.type,
        kwargs=spec.resolved_kwargs(now, context),
        meta={INDEX_META: index},
        severity=GX_SEVERITY[spec.severity],
        description=spec.description or None,
    )
    try:
        return config.to_domain_obj()
    except Exception as exc:  # GX raises ExpectationNotFoundError or pydantic v1 errors
        message = " ".join(str(exc).split())
        raise InvalidExpectation(f"{spec.type} {spec.kwargs}: {message}") from exc


def to_gx_suite(
    suite: TableSuite,
    now: datetime,
    indexes: list[int] | None = None,
    context: ValidationContext | None = None,
) -> ExpectationSuite:
    """A GX suite of the given specs (all by default), kept out of any store."""
    import great_expectations as gx

    chosen = range(len(suite.expectations)) if indexes is None else indexes
    problems, expectations = [], []
    for i in chosen:
        try:
            expectations.append(to_gx_expectation(suite.expectations[i], i, now, context))
        except InvalidExpectation as exc:
            problems.append(f"expectation {i}: {exc}")
    if problems:
        listed = "; ".join(problems)
        raise InvalidExpectation(f"suite '{suite.name}' has invalid expectations: {listed}")
    return gx.ExpectationSuite(name=suite.name, expectations=expectations)
