"""Validate a Spark DataFrame against a TableSuite with GX and return a ValidationReport.

Two GX runs keep Spark work small: the first asks only for counts, which GX bundles into a
few aggregate passes over the DataFrame; only when something failed does a second run,
limited to the failed expectations, fetch a few unexpected rows for the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from expectations.gx_context import INDEX_META, InvalidExpectation, gx_session, to_gx_suite
from expectations.report import ExpectationResult, ValidationReport
from expectations.spec import ExpectationSpec, TableSuite, ValidationContext
from schemas.tables import RECORD_ID, SOURCE, SOURCE_KEY

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["InvalidExpectation", "validate"]

# Counts without any value collection: partial_unexpected_count 0 becomes a LIMIT 0 that
# Spark answers without a job.
_COUNTS_ONLY = {"result_format": "BASIC", "partial_unexpected_count": 0}
# A SQL check: its unexpected count is the observed value, its sample the query's rows.
UNEXPECTED_ROWS = "unexpected_rows_expectation"


def validate(
    df: DataFrame,
    suite: TableSuite,
    sample_size: int = 5,
    cache: bool = False,
    context: ValidationContext | None = None,
) -> ValidationReport:
    """Run the suite on df; success is False only when an error-severity expectation failed.

    context gives the lake root (for `${lake}` in queries) and the previous version's row
    count (for `previous` bounds); expectations needing what it lacks are skipped and listed
    in the report. cache=True caches df for the passes: worth it only when df is costly to
    recompute (a join, a UDF); for a Delta table the passes read only the columns they need,
    and caching the whole table measured slower.
    """
    session = gx_session()
    context = context or ValidationContext(datetime.now(timezone.utc))
    now = context.now
    runnable, skipped = _applicable(suite, context)
    gx_suite = to_gx_suite(suite, now, runnable, context)  # raises InvalidExpectation before Spark
    with session.lock, _cached(df, cache):
        batch = session.batch_definition.get_batch(batch_parameters={"dataframe": df})
        first = _by_index(batch.validate(gx_suite, result_format=_COUNTS_ONLY))
        failed = [i for i, r in first.items() if not r.success and _count(r)]
        samples: dict[int, list[Any]] = {}
        if failed and sample_size > 0:
            queries = [i for i in failed if suite.expectations[i].type == UNEXPECTED_ROWS]
            values = [i for i in failed if i not in queries]
            for indexes, result_format in (
                (values, {"result_format": "BASIC", "partial_unexpected_count": sample_size,
                          "include_unexpected_rows": True}),
                (queries, {"result_format": "COMPLETE"}),  # the query's rows, at most GX's 200
            ):
                if not indexes:
                    continue
                second = batch.validate(to_gx_suite(suite, now, indexes, context),
                                        result_format=result_format)
                samples |= {
                    i: _sample(r, suite.expectations[i], sample_size)
                    for i, r in _by_index(second).items()
                }
    results = [
        _result(spec, first.get(i), samples.get(i, []))
        for i, spec in enumerate(suite.expectations)
        if i in runnable
    ]
    return ValidationReport(
        table=suite.name,
        success=not any(not r.success and r.severity == "error" for r in results),
        results=results,
        row_count=_row_count(first.values()),
        skipped=[suite.expectations[i].describe() for i in skipped],
    )


def _applicable(suite: TableSuite, context: ValidationContext) -> tuple[list[int], list[int]]:
    """Indexes of the expectations the context can resolve, and of those it cannot."""
    runnable, skipped = [], []
    for i, spec in enumerate(suite.expectations):
        lacking = (spec.needs_previous and not context.previous_rows) or (  # none, or empty
            spec.needs_lake and context.lake_root is None
        )
        (skipped if lacking else runnable).append(i)
    return runnable, skipped


@contextmanager
def _cached(df: DataFrame, enabled: bool) -> Iterator[None]:
    """Cache df for the GX passes unless the caller already did (then it stays theirs)."""
    if not enabled or df.is_cached:
        yield
        return
    df.cache()
    try:
        yield
    finally:
        df.unpersist()


def _by_index(validation: Any) -> dict[int, Any]:
    return {r.expectation_config.meta[INDEX_META]: r for r in validation.results}


def _count(gx_result: Any) -> int | None:
    result = gx_result.result or {}
    if gx_result.expectation_config.type == UNEXPECTED_ROWS:
        return result.get("observed_value")
    return result.get("unexpected_count")


def _result(spec: ExpectationSpec, gx_result: Any, sample: list[Any]) -> ExpectationResult:
    if gx_result is None:  # GX returned nothing for it: count it as not passed
        return ExpectationResult(
            spec.type, spec.column, spec.severity, False, None, None, [], spec.describe(),
            exception="no result from GX",
        )
    result = gx_result.result or {}
    return ExpectationResult(
        type=spec.type,
        column=spec.column,
        severity=spec.severity,
        success=bool(gx_result.success),
        unexpected_count=_count(gx_result),
        unexpected_percent=result.get("unexpected_percent"),
        sample=sample,
        description=spec.describe(),
        observed=result.get("observed_value"),
        exception=_exception(gx_result.exception_info),
    )


def _sample(gx_result: Any, spec: ExpectationSpec, size: int) -> list[Any]:
    """Unexpected rows cut to the record_id and the checked columns, else plain values."""
    result = gx_result.result or {}
    rows = result.get("unexpected_rows") or (result.get("details") or {}).get("unexpected_rows") or []
    if spec.type == UNEXPECTED_ROWS:
        return [dict(row) for row in rows[:size]]
    columns = [c for c in (spec.kwargs.get(k) for k in ("column", "column_A", "column_B")) if c]
    columns += spec.kwargs.get("column_list") or []
    if rows and all(isinstance(row, dict) and RECORD_ID in row for row in rows):
        return [_identify(row, columns) for row in rows[:size]]
    return list(result.get("partial_unexpected_list") or [])[:size]


def _identify(row: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """The row's record_id (its source and key when it has none) and the checked values."""
    keys = [RECORD_ID] if row.get(RECORD_ID) is not None else [RECORD_ID, SOURCE, SOURCE_KEY]
    return {c: row.get(c) for c in dict.fromkeys([*keys, *columns]) if c in row}


def _exception(info: Any) -> str | None:
    """GX's exception message, whether it reports one exception or one per metric."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    messages = [
        str(e.get("exception_message"))
        for e in entries
        if isinstance(e, dict) and e.get("raised_exception")
    ]
    return "; ".join(messages) or None


def _row_count(gx_results: Any) -> int | None:
    return next(
        (r.result["element_count"] for r in gx_results if "element_count" in (r.result or {})),
        None,
    )
