"""The one Definitions entry point for `dagster dev -m orchestration.definitions` (`make ui`).

It loads the workspace named by INSIGHTS_WORKSPACE (default: the bundled examples/retail),
writing to INSIGHTS_LAKE (default: ./lakehouse), with Spark built from
INSIGHTS_SPARK_PROFILE (default: local) and MLflow at INSIGHTS_MLFLOW_URI (default: a
sqlite store under the lake root). schemas.environment reads and checks them all at load.
"""

from schemas.environment import telemetry_off

telemetry_off()

from orchestration.build import load_definitions  # noqa: E402 - telemetry off before Dagster is imported

defs = load_definitions()
