"""A check on an unchanged table and suite reuses its last pass; any change validates again.

A real Dagster materialisation of a gold table's quality checks over a Delta table, three
times on one instance: the second finds nothing changed, the third follows a new commit; and a
suite with an expectation that reads the clock, which an unchanged table validates again alone.
"""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg

from expectations import TableSuite
from expectations.spec import ExpectationSpec
from orchestration import checks
from orchestration.check_reuse import CLOCK_REVALIDATED, REUSED_FROM, VALIDATION_KEY
from orchestration.checks import GATE, _table_check
from orchestration.resources import LakeResource, SparkResource
from schemas.tables import GOLD

ROWS = ExpectationSpec(type="expect_table_row_count_to_be_between", severity="error",
                       kwargs={"min_value": 1, "max_value": 10})


def _evaluate(instance, lake: str, suite: TableSuite) -> dict:
    check = _table_check(GOLD, "tiny", suite)
    result = dg.materialize(  # the checks alone: the table is written by the test
        [dg.AssetSpec(dg.AssetKey([GOLD, "tiny"])), check], selection=dg.AssetSelection.all_asset_checks(),
        instance=instance, resources={"spark": SparkResource(profile="test"), "lake": LakeResource(root=lake)},
        raise_on_error=False)  # a failing gate fails the run; the test reads its evaluation
    [gate] = [e for e in result.get_asset_check_evaluations() if e.check_name == GATE]
    return {"run": result.run_id, "passed": gate.passed,
            **{k: v.value for k, v in gate.metadata.items() if k in (VALIDATION_KEY, REUSED_FROM, CLOCK_REVALIDATED)}}


def test_unchanged_reuses_the_pass_and_a_commit_or_a_suite_change_validates(spark, tmp_path):
    lake, instance = str(tmp_path / "lake"), dg.DagsterInstance.ephemeral()
    path = f"{lake}/{GOLD}/tiny"
    spark.range(3).write.format("delta").save(path)
    suite = TableSuite(name="gold_tiny", expectations=[ROWS])

    first = _evaluate(instance, lake, suite)
    assert first["passed"] and REUSED_FROM not in first
    second = _evaluate(instance, lake, suite)
    assert second[REUSED_FROM] == first["run"] and second[VALIDATION_KEY] == first[VALIDATION_KEY]
    assert _evaluate(instance, lake, suite)[REUSED_FROM] == first["run"]  # a reuse of a reuse names the validating run

    spark.range(12).write.format("delta").mode("overwrite").save(path)  # too many rows now
    changed = _evaluate(instance, lake, suite)
    assert not changed["passed"] and REUSED_FROM not in changed
    assert not _evaluate(instance, lake, suite)["passed"]  # a failure is never reused

    looser = TableSuite(name="gold_tiny", expectations=[ROWS.model_copy(update={"kwargs": {"min_value": 1}})])
    relaxed = _evaluate(instance, lake, looser)
    assert relaxed["passed"] and REUSED_FROM not in relaxed


def test_a_suite_reading_the_clock_reuses_the_rest_and_validates_what_reads_the_clock(spark, tmp_path, monkeypatch):
    lake, instance = str(tmp_path / "lake"), dg.DagsterInstance.ephemeral()
    spark.sql("SELECT timestamp'2030-01-01 00:00:00' AS at").write.format("delta").save(f"{lake}/{GOLD}/tiny")
    sql_clock = ExpectationSpec(type="unexpected_rows_expectation", severity="error",
                                kwargs={"unexpected_rows_query": "SELECT * FROM {batch} WHERE at > current_timestamp()"})
    assert sql_clock.needs_clock
    assert ROWS.model_copy(update={"kwargs": {"max_value": "now+1d"}}).needs_clock and not ROWS.needs_clock
    ahead = ExpectationSpec(type="expect_column_values_to_be_between", severity="error",
                            kwargs={"column": "at", "max_value": "now+1d"})  # at most a day ahead of the clock
    suite = TableSuite(name="gold_tiny", expectations=[ROWS, ahead])

    def at(moment: datetime):  # the clock the check reads
        class Clock(datetime):
            @classmethod
            def now(cls, tz=None):
                return moment.astimezone(tz)
        monkeypatch.setattr(checks, "datetime", Clock)

    at(datetime(2030, 1, 1, tzinfo=timezone.utc))
    first = _evaluate(instance, lake, suite)
    assert first["passed"] and REUSED_FROM not in first and first[VALIDATION_KEY]
    second = _evaluate(instance, lake, suite)  # the table and the rest unchanged: reused, the clock read again
    assert second["passed"] and second[REUSED_FROM] == first["run"] and second[CLOCK_REVALIDATED] == 1

    at(datetime(2020, 1, 1, tzinfo=timezone.utc))  # now the row is years ahead of the clock
    late = _evaluate(instance, lake, suite)
    assert not late["passed"] and REUSED_FROM not in late
    at(datetime(2030, 1, 1, tzinfo=timezone.utc))
    again = _evaluate(instance, lake, suite)  # after a failure everything is validated again
    assert again["passed"] and REUSED_FROM not in again and CLOCK_REVALIDATED not in again
