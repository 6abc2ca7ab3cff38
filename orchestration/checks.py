"""Asset checks: each silver and gold table's Great Expectations suite, as a gate and warnings.

`quality_gate` fails (severity ERROR, blocking) when an error-severity expectation fails, so
downstream assets in the same run do not build on a broken table; `quality_warnings`
reports warn-severity failures without stopping anything. Both come from one validation,
and both show samples of the failing rows in their metadata.

Every gold asset of the graph gets a check: the gold template plus its gold_<name>.yaml.
Interaction tables' referential checks run as a third, non-blocking check
(`quality_references`) that waits for the profile tables it reads.

A check whose table, referenced tables and suite are unchanged since its last pass reports
that pass again instead of validating, after validating alone the expectations that read the
clock (orchestration/check_reuse.py).
"""

from datetime import datetime, timezone

import dagster as dg

from expectations import TableSuite, ValidationContext, ValidationReport, gold_suites_for, suites_for_workspace
from expectations.derived import UNEXPECTED_ROWS_TYPE
from expectations.runner import validate
from jobs.delta import read_table
from jobs.lake import previous_row_count
from orchestration.assets.common import asset_key
from orchestration.check_reuse import VALIDATION_KEY, clock_part, previous_pass, reused
from orchestration.resources import LakeResource, SparkResource
from schemas.tables import GOLD, SILVER
from schemas.workspace import Workspace

GATE, WARNINGS, REFERENCES = "quality_gate", "quality_warnings", "quality_references"
SAMPLE_ROWS = 5


def silver_checks(workspace: Workspace) -> list[dg.AssetChecksDefinition]:
    """One multi-check per silver table, and a references check per interaction table."""
    suites = suites_for_workspace(workspace)
    checks = []
    for name in workspace.silver_types():
        if name not in suites:
            continue
        own, references = _split_references(suites[name])
        checks.append(_table_check(SILVER, name, own))
        if references.expectations:
            checks.append(_references_check(name, references, _referenced(workspace, references)))
    return checks


def gold_checks(workspace: Workspace) -> list[dg.AssetChecksDefinition]:
    """One multi-check per gold table the catalogue enables (the graph builds exactly those)."""
    return [_table_check(GOLD, name, suite) for name, suite in gold_suites_for(workspace).items()]


def _split_references(suite: TableSuite) -> tuple[TableSuite, TableSuite]:
    """The table's own expectations, and those that read other tables (referential checks)."""
    refs = [e for e in suite.expectations if e.type == UNEXPECTED_ROWS_TYPE and e.needs_lake]
    own = [e for e in suite.expectations if e not in refs]
    return (suite.model_copy(update={"expectations": own}),
            suite.model_copy(update={"expectations": refs}))


def _referenced(workspace: Workspace, suite: TableSuite) -> list[dg.AssetKey]:
    """Profile tables an interaction suite's referential checks read."""
    found = []
    for spec in suite.expectations:
        query = str(spec.kwargs.get("unexpected_rows_query", ""))
        found += [asset_key(SILVER, t) for t in workspace.silver_types() if f"/{SILVER}/{t}`" in query]
    return list(dict.fromkeys(found))


def _table_check(layer: str, name: str, suite: TableSuite) -> dg.AssetChecksDefinition:
    key = asset_key(layer, name)
    errors = suite.by_severity("error")
    warns = suite.by_severity("warn")

    @dg.multi_asset_check(
        name=f"{layer}_{name}_expectations",
        specs=[
            dg.AssetCheckSpec(GATE, asset=key, blocking=True,
                              description=f"{len(errors)} error-level expectations; failing blocks downstream"),
            dg.AssetCheckSpec(WARNINGS, asset=key,
                              description=f"{len(warns)} warn-level expectations; reported only"),
        ],
    )
    def check(context: dg.AssetCheckExecutionContext, spark: SparkResource, lake: LakeResource):
        checks = [dg.AssetCheckKey(key, GATE), dg.AssetCheckKey(key, WARNINGS)]
        unchanged, last = previous_pass(context, spark.session(), lake.lake.path(layer, name), suite, checks, [])
        clock = clock_part(suite)
        if last is not None and clock is None:
            yield from (reused(c, last) for c in checks)
            return
        validated = suite if last is None else clock  # unchanged: only what reads the clock again
        report, validation = _validate(spark, lake, layer, name, validated)
        if report is None:
            yield dg.AssetCheckResult(check_name=GATE, asset_key=key, passed=False,
                                      severity=dg.AssetCheckSeverity.ERROR,
                                      metadata={"reason": "table does not exist"})
            yield dg.AssetCheckResult(check_name=WARNINGS, asset_key=key, passed=True)
            return
        context.log.info(report.summary() + ("" if last is None else " (clock-reading expectations only)"))
        for check_key, failed, severity, level in (
                (checks[0], report.errors, dg.AssetCheckSeverity.ERROR, "error"),
                (checks[1], report.warnings, dg.AssetCheckSeverity.WARN, "warn")):
            if last is not None and not failed:
                yield reused(check_key, last, len(validated.by_severity(level)))
            else:
                yield _result(check_key.name, key, report, failed, severity, validation, unchanged)

    return check


def _references_check(name: str, suite: TableSuite, deps: list[dg.AssetKey]) -> dg.AssetChecksDefinition:
    """Referential integrity, apart from the gate: it waits for the profile tables it reads
    (so it sees this run's), and a broken profile table must not hold back this table's gate."""
    key = asset_key(SILVER, name)

    @dg.asset_check(
        asset=key, name=REFERENCES, additional_deps=deps, blocking=False,
        description=f"links point at existing records of {', '.join('/'.join(d.path) for d in deps)}",
    )
    def check(context: dg.AssetCheckExecutionContext, spark: SparkResource, lake: LakeResource):
        this = dg.AssetCheckKey(key, REFERENCES)
        reads = [lake.lake.path(*dep.path) for dep in deps]
        unchanged, last = previous_pass(context, spark.session(), lake.lake.path(SILVER, name), suite, [this], reads)
        if last is not None and clock_part(suite) is None:
            return reused(this, last)
        report, validation = _validate(spark, lake, SILVER, name, suite)
        if report is None:
            return dg.AssetCheckResult(passed=False, metadata={"reason": "table does not exist"})
        failed = report.errors + report.warnings
        severity = dg.AssetCheckSeverity.ERROR if report.errors else dg.AssetCheckSeverity.WARN
        return _result(REFERENCES, key, report, failed, severity, validation, unchanged)

    return check


def _validate(spark: SparkResource, lake: LakeResource, layer: str, name: str, suite: TableSuite):
    """The table's validation report and its context, or (None, None) if there is no table."""
    session, path = spark.session(), lake.lake.path(layer, name)
    df = read_table(session, path)
    if df is None:
        return None, None
    validation = ValidationContext(
        now=datetime.now(timezone.utc),
        lake_root=lake.root,
        previous_rows=previous_row_count(session, path),
    )
    return validate(df, suite, sample_size=SAMPLE_ROWS, context=validation), validation


def _result(name: str, key: dg.AssetKey, report: ValidationReport, failed: list,
            severity: dg.AssetCheckSeverity, validation: ValidationContext,
            unchanged: str | None) -> dg.AssetCheckResult:
    reuse = {VALIDATION_KEY: unchanged} if unchanged is not None else {}
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=key,
        passed=not failed,
        severity=severity,
        metadata={
            "failed_expectations": len(failed),
            "rows": report.row_count or 0,
            "previous_version_rows": validation.previous_rows if validation.previous_rows is not None else -1,
            "results": dg.MetadataValue.md(report.to_markdown()),
            "failing_rows": dg.MetadataValue.json(failing_rows(failed)),
        } | reuse,
    )


def failing_rows(failed: list) -> dict[str, object]:
    """expectation -> a sample of the rows (or values) that broke it, for the check's metadata."""
    return {
        r.description or r.type: {"unexpected": r.unexpected_count, "sample": _jsonable(r.sample),
                                  "observed": _jsonable(r.observed) if not r.sample else None}
        for r in failed
    }


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
