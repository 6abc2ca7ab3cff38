"""The cluster's entry point runs exactly what the launch selected and reports only those tables (no Spark here)."""

from __future__ import annotations

import pytest

from insights.databricks_run import pipes_selection, report
from insights.run import RunSummary, TableWritten, plan_run
from schemas.environment import Environment


class RecordingPipes:
    """PipesContext's report call, recorded."""

    def __init__(self):
        self.reported = []

    def report_asset_materialization(self, metadata=None, data_version=None, asset_key=None):
        self.reported.append((asset_key, metadata))


@pytest.mark.parametrize("keys", [["silver/customer"], ["gold/customer_ids", "bronze/crm_contacts"]])
def test_the_selection_is_the_launched_keys_and_their_step_neighbours(keys):
    env = Environment.from_env({}, lake_root="/tmp/insights-databricks-test-lake")
    selected = {key.to_user_string() for key in plan_run(env, pipes_selection(keys)).selection.asset_keys}
    assert set(keys) <= selected
    neighbours = {"gold/customer_ids": "gold/customer_id_history", "bronze/crm_contacts": "quarantine/crm_contacts"}
    assert selected == set(keys) | {neighbours[k] for k in keys if k in neighbours}


def test_only_launched_tables_are_reported_with_their_rows_and_time():
    pipes = RecordingPipes()
    summary = RunSummary("abc", 9.0, [TableWritten("gold/customer_ids", 12, 2.5), TableWritten("gold/customer_id_history", 3),
                                      TableWritten("silver/customer", None, None)])
    assert report(pipes, summary, ["gold/customer_ids", "silver/customer"]) == ["gold/customer_ids", "silver/customer"]
    assert pipes.reported == [
        ("gold/customer_ids", {"dagster/row_count": 12, "cluster_step_seconds": 2.5, "cluster_run_id": "abc"}),
        ("silver/customer", {"cluster_run_id": "abc"}),
    ]
