"""A pipeline run on a standalone cluster, in a driver of its own, that records how many executors it had.

The test suite's process holds the local session, so tests/integration/test_standalone_cluster.py starts this
module with the standalone profile's variables. A thread samples the driver's own count of executors
(SparkContext's executor ids) while the run goes on and until the idle ones are released after it; the
samples and the run's outcome go to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import dagster as dg
from pyspark import SparkContext

from insights.run import run_pipeline
from schemas.environment import Environment

SAMPLE_EVERY_S = 0.25


def executor_count() -> int | None:
    """Executors the driver holds now (the driver itself not counted); None before Spark starts."""
    context = SparkContext._active_spark_context
    if context is None:
        return None
    return context._jsc.sc().getExecutorIds().size()


class Sampler(threading.Thread):
    """(seconds since start, executors) every SAMPLE_EVERY_S, from the first sample Spark answers."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int]] = []
        self.started = time.monotonic()
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(SAMPLE_EVERY_S):
            try:
                count = executor_count()
            except Exception:  # the context is stopping
                continue
            if count is not None:
                self.samples.append((round(time.monotonic() - self.started, 2), count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--lake", required=True)
    parser.add_argument("--select", required=True)
    parser.add_argument("--max-executors", type=int, required=True)
    parser.add_argument("--release-within", type=float, required=True, help="seconds to wait for idle release")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sampler = Sampler()
    sampler.start()
    env = Environment(workspace_dir=args.workspace, lake_root=args.lake, spark_profile="standalone")
    summary = run_pipeline(env, select=args.select, instance=dg.DagsterInstance.ephemeral(), log_level="WARNING",
                           max_executors=args.max_executors)
    finished = time.monotonic() - sampler.started
    deadline = time.monotonic() + args.release_within
    while time.monotonic() < deadline and executor_count():
        time.sleep(SAMPLE_EVERY_S)
    sampler.halt.set()
    sampler.join()
    released = executor_count() == 0
    # The last word is read after the sampler stopped: its own last sample may predate the release.
    sampler.samples.append((round(time.monotonic() - sampler.started, 2), executor_count()))
    context = SparkContext._active_spark_context
    conf = dict(context.getConf().getAll()) if context else {}
    args.out.write_text(json.dumps({
        "success": summary.success, "failures": summary.failures,
        "tables": {table.key: {"rows": table.rows, "seconds": table.seconds} for table in summary.tables},
        "run_finished_at": round(finished, 2), "released": released, "samples": sampler.samples,
        "max_executors_conf": conf.get("spark.dynamicAllocation.maxExecutors"),
        "executor_python": conf.get("spark.pyspark.python"), "archives": conf.get("spark.archives"),
    }))
    if context is not None:
        context.stop()


if __name__ == "__main__":
    main()
