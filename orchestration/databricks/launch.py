"""The Dagster side of a Databricks run: one subsettable multi-asset that submits the run through Dagster Pipes."""

from collections.abc import Iterator

import dagster as dg
from dagster_databricks import PipesDatabricksClient

from orchestration.databricks.job_spec import DatabricksRunConfig, DatabricksTarget, submit_task
from schemas.spark_profile import load_profile

ASSET_NAME = "databricks_pipeline"


def remote_specs(graph: dg.Definitions) -> list[dg.AssetSpec]:
    """The local graph's assets as specs (key, group, upstream), so the UI shows the same graph run remotely."""
    asset_graph = graph.resolve_asset_graph()
    return [
        dg.AssetSpec(key, group_name=node.group_name, deps=sorted(node.parent_keys), skippable=True,
                     description=node.description)
        for key in sorted(asset_graph.materializable_asset_keys)
        for node in [asset_graph.get(key)]
    ]


def databricks_pipeline(specs: list[dg.AssetSpec]) -> dg.AssetsDefinition:
    """Selected assets run on a Databricks job cluster; each materialisation is reported back through Pipes."""

    @dg.multi_asset(specs=specs, can_subset=True, name=ASSET_NAME)
    def _run(
        context: dg.AssetExecutionContext,
        config: DatabricksRunConfig,
        pipes_databricks: PipesDatabricksClient,
        databricks_target: DatabricksTarget,
    ) -> Iterator[dg.MaterializeResult]:
        task = submit_task(load_profile(databricks_target.profile), databricks_target, config.max_workers)
        context.log.info(f"Databricks job cluster workers: {task.new_cluster.autoscale.as_dict()}")
        run_name = f"customer-insights {context.run_id[:8]}"
        yield from pipes_databricks.run(task=task, context=context, submit_args={"run_name": run_name}).get_results()

    return _run
