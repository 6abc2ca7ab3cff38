"""A separate Spark driver process for the fault tests: it writes, the test kills or races it.

    python -m tests.integration.fault_writer --workspace W --lake L --select SELECTION
    python -m tests.integration.fault_writer --workspace W --lake L --land SOURCE --ready F --go G

--select materialises a Dagster asset selection (as `insights run --select` does);
--land lands one source with jobs.bronze, after touching --ready and waiting for --go, so a
test can start a second writer at the same moment. --records-per-file writes one Parquet
file per N rows (spark.sql.files.maxRecordsPerFile), which stretches a write over many files
and gives a kill time to land between the first data file and the Delta commit.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from schemas.environment import telemetry_off

telemetry_off()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--lake", required=True)
    parser.add_argument("--select")
    parser.add_argument("--land")
    parser.add_argument("--ready")
    parser.add_argument("--go")
    parser.add_argument("--records-per-file", type=int, default=0)
    args = parser.parse_args()

    from jobs.session import get_spark

    spark = get_spark("test", app_name="customer-insights-fault-writer")
    if args.records_per_file:
        spark.conf.set("spark.sql.files.maxRecordsPerFile", str(args.records_per_file))
    if args.ready:
        Path(args.ready).touch()
    if args.go:
        while not Path(args.go).exists():
            time.sleep(0.01)
    print("writing", flush=True)
    if args.land:
        return _land(spark, args)
    return _materialise(args)


def _land(spark, args) -> int:
    from jobs.bronze import land_source
    from schemas.tables import Lake
    from schemas.loader import load_workspace

    ws = load_workspace(args.workspace)
    source = ws.sources[args.land]
    result = land_source(spark, args.land, source, ws.model, ws.source_location(args.land), Lake(args.lake))
    print(json.dumps({"batch_id": result.batch_id, "rows_landed": result.rows_landed}), flush=True)
    return 0


def _materialise(args) -> int:
    import dagster as dg

    from insights.run import run_pipeline
    from schemas.environment import Environment

    env = Environment(workspace_dir=args.workspace, lake_root=args.lake, spark_profile="test")
    summary = run_pipeline(env, args.select, instance=dg.DagsterInstance.ephemeral(), log_level="ERROR",
                           checks=False)  # killed mid-write: a check would never run
    print(json.dumps({"success": summary.success, "failures": summary.failures}), flush=True)
    return 0 if summary.success else 1


if __name__ == "__main__":
    sys.exit(main())
