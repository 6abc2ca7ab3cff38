"""Data-quality suites for lake tables: YAML files plus the model, validated with GX on Spark.

Listing and describing suites (suite.py, spec.py) never imports GX; only `runner.validate` does,
on first use. Dependency direction: orchestration -> expectations -> schemas.
"""

from expectations.report import ExpectationResult, ValidationReport
from expectations.spec import ExpectationSpec, Severity, TableSuite, ValidationContext
from expectations.suite import (
    SuiteFileError,
    gold_suites_for,
    suite_for_gold,
    suite_for_silver,
    suites_for_workspace,
)

__all__ = [
    "ExpectationResult",
    "ExpectationSpec",
    "Severity",
    "SuiteFileError",
    "TableSuite",
    "ValidationContext",
    "ValidationReport",
    "gold_suites_for",
    "suite_for_gold",
    "suite_for_silver",
    "suites_for_workspace",
]
