"""Asset checks: each silver table's Great Expectations suite, as a blocking gate and warnings.

`quality_gate` fails (severity ERROR, blocking) when an error-severity expectation fails, so
downstream assets in the same run do not build on a broken table; `quality_warnings`
reports warn-severity failures without stopping anything. Both come from one validation.
"""

import dagster as dg

from expectations import ValidationReport, suites_for_workspace
from expectations.runner import validate
from jobs.delta import read_table
from orchestration.assets.common import asset_key
from orchestration.resources import LakeResource, SparkResource
from schemas.tables import SILVER
from schemas.workspace import Workspace

GATE, WARNINGS = "quality_gate", "quality_warnings"


def silver_checks(workspace: Workspace) -> list[dg.AssetChecksDefinition]:
    """One multi-check per silver table."""
    suites = suites_for_workspace(workspace)
    return [_silver_check(name, suites[name]) for name in workspace.silver_types() if name in suites]


def _silver_check(type_name: str, suite) -> dg.AssetChecksDefinition:
    key = asset_key(SILVER, type_name)
    errors = [e for e in suite.expectations if e.severity == "error"]
    warns = [e for e in suite.expectations if e.severity == "warn"]

    @dg.multi_asset_check(
        name=f"silver_{type_name}_expectations",
        specs=[
            dg.AssetCheckSpec(GATE, asset=key, blocking=True,
                              description=f"{len(errors)} error-level expectations; failing blocks downstream"),
            dg.AssetCheckSpec(WARNINGS, asset=key,
                              description=f"{len(warns)} warn-level expectations; reported only"),
        ],
    )
    def check(context: dg.AssetCheckExecutionContext, spark: SparkResource, lake: LakeResource):
        df = read_table(spark.session(), lake.lake.silver(type_name))
        if df is None:
            yield dg.AssetCheckResult(check_name=GATE, asset_key=key, passed=False,
                                      severity=dg.AssetCheckSeverity.ERROR,
                                      metadata={"reason": "table does not exist"})
            yield dg.AssetCheckResult(check_name=WARNINGS, asset_key=key, passed=True)
            return
        report = validate(df, suite)
        context.log.info(report.summary())
        yield _result(GATE, key, report, report.errors, dg.AssetCheckSeverity.ERROR)
        yield _result(WARNINGS, key, report, report.warnings, dg.AssetCheckSeverity.WARN)

    return check


def _result(name: str, key: dg.AssetKey, report: ValidationReport, failed: list,
            severity: dg.AssetCheckSeverity) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=key,
        passed=not failed,
        severity=severity,
        metadata={
            "failed_expectations": len(failed),
            "rows": report.row_count or 0,
            "results": dg.MetadataValue.md(report.to_markdown()),
        },
    )
