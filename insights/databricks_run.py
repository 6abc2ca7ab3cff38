"""The Databricks job's entry point: run the selected assets on the cluster's Spark and report each table to Dagster."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Protocol

import click

from schemas.environment import telemetry_off

telemetry_off()


class PipesReporter(Protocol):
    """What the entry point asks of dagster_pipes' PipesContext (a fake one in tests)."""

    def report_asset_materialization(self, metadata=None, data_version=None, asset_key=None) -> None: ...


def pipes_selection(asset_keys: Sequence[str]) -> str:
    """Dagster's selection syntax for exactly the assets the launching run selected."""
    return " or ".join(f'key:"{key}"' for key in asset_keys)


def report(pipes: PipesReporter, summary, asset_keys: Sequence[str]) -> list[str]:
    """Each written table the launch asked for, as a materialisation with its rows and step time; keys reported."""
    wanted = set(asset_keys)
    reported = []
    for table in summary.tables:
        if table.key not in wanted:  # a neighbour written in the same step, not selected by the launch
            continue
        metadata = {"dagster/row_count": table.rows, "cluster_step_seconds": table.seconds,
                    "cluster_run_id": summary.run_id}
        pipes.report_asset_materialization(
            asset_key=table.key, metadata={k: v for k, v in metadata.items() if v is not None}
        )
        reported.append(table.key)
    return reported


def _run(select: str | None):
    """The in-process Dagster run of insights.run, on the environment the job cluster was given."""
    from insights.environment import prepare_dagster_home
    from insights.run import run_pipeline
    from schemas.environment import Environment

    env = Environment.from_env()
    prepare_dagster_home(env)
    return run_pipeline(env, select)


@click.command()
@click.option("--select", default=None, help="Asset selection when not launched through Dagster Pipes (default: all).")
def main(select: str | None) -> None:
    """Launched by PipesDatabricksClient: the selection and the channel back come from Pipes' bootstrap variables."""
    from dagster_pipes import (PipesDbfsContextLoader, PipesDbfsMessageWriter, PipesEnvVarParamsLoader,
                               open_dagster_pipes)
    from pyspark.sql import SparkSession

    SparkSession.builder.getOrCreate()  # the cluster's session: jobs.session and Pipes' DBFS writer find it active
    if not PipesEnvVarParamsLoader().is_dagster_pipes_process():  # `databricks bundle run`, no Dagster
        summary = _run(select)
        click.echo(summary.render())
        sys.exit(0 if summary.success else 1)
    with open_dagster_pipes(context_loader=PipesDbfsContextLoader(), message_writer=PipesDbfsMessageWriter()) as pipes:
        summary = _run(pipes_selection(pipes.asset_keys))
        report(pipes, summary, pipes.asset_keys)
        for line in summary.render().splitlines():
            pipes.log.info(line)
    sys.exit(0 if summary.success else 1)
