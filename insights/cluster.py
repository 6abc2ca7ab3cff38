"""A Spark standalone cluster on this machine (a master, two workers on 127.0.0.1): `make cluster-up` and the tests.

The daemons are the pip pyspark's own (bin/spark-class with its jars), on ports chosen free; their pids,
logs and ports are kept in one folder, so `down` stops exactly what `up` started.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import pyspark

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
STATE_FILE = "cluster.json"


@dataclass(frozen=True)
class Cluster:
    """Where a running local cluster listens and which processes it is."""

    master_port: int
    webui_port: int
    worker_webui_ports: list[int]
    pids: list[int]
    work_dir: str = ""  # the workers' (executors unpack the Python archive there): outside the repository

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    @property
    def webui(self) -> str:
        return f"http://127.0.0.1:{self.webui_port}"

    def status(self) -> dict:
        """The master's JSON status (workers, their cores used, the applications)."""
        with urllib.request.urlopen(f"{self.webui}/json/", timeout=5) as reply:
            return json.load(reply)

    def executors(self) -> list[dict]:
        """The executors running now, from each worker's JSON status (appid, id, cores, memory)."""
        running = []
        for port in self.worker_webui_ports:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/", timeout=5) as reply:
                running += json.load(reply).get("executors", [])
        return running


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def daemon_env() -> dict[str, str]:
    """The daemons' environment: the pip pyspark as SPARK_HOME, loopback only."""
    return os.environ | {"SPARK_HOME": str(Path(pyspark.__file__).parent), "SPARK_LOCAL_IP": "127.0.0.1",
                         "SPARK_NO_DAEMONIZE": "1"}


def _start(folder: Path, name: str, args: list[str]) -> int:
    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    with open(folder / f"{name}.log", "ab") as log:
        process = subprocess.Popen([str(spark_class), *args], stdout=log, stderr=subprocess.STDOUT,
                                   env=daemon_env(), start_new_session=True)
    return process.pid


def start(folder: Path, workers: int = 2, cores: int = 2, memory: str = "2g", timeout: float = 90.0) -> Cluster:
    """A master and its workers, each worker offering cores and memory; returns when all workers registered."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / STATE_FILE).exists():
        raise RuntimeError(f"a cluster is already up ({folder / STATE_FILE}); stop it first")
    master, webui = free_port(), free_port()
    pids = [_start(folder, "master", [MASTER_CLASS, "--host", "127.0.0.1", "--port", str(master),
                                      "--webui-port", str(webui)])]
    ports = [free_port() for _ in range(workers)]
    cluster = Cluster(master, webui, ports, pids, tempfile.mkdtemp(prefix="insights-cluster-"))
    _wait(lambda: cluster.status(), timeout, folder / "master.log")
    for index, port in enumerate(ports):
        work = Path(cluster.work_dir) / f"worker-{index}"
        work.mkdir()
        pids.append(_start(folder, f"worker-{index}", [
            WORKER_CLASS, "--host", "127.0.0.1", "--webui-port", str(port), "--cores", str(cores),
            "--memory", memory, "--work-dir", str(work), cluster.url]))
    (folder / STATE_FILE).write_text(json.dumps(asdict(cluster)))
    _wait(lambda: len(cluster.status()["workers"]) == workers or None, timeout, folder / "worker-0.log")
    return cluster


def _wait(ready, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the local Spark cluster did not come up in {timeout:.0f} s; see {log}")


def running(folder: Path) -> Cluster | None:
    """The cluster `up` recorded in folder, if any."""
    state = folder / STATE_FILE
    return Cluster(**json.loads(state.read_text())) if state.exists() else None


def stop(folder: Path) -> None:
    """Stop the daemons `up` started (their process groups: a worker's executors end with it)."""
    cluster = running(folder)
    if cluster is None:
        return
    for pid in reversed(cluster.pids):
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 20
    for pid in cluster.pids:
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
    (folder / STATE_FILE).unlink()
    if cluster.work_dir:
        shutil.rmtree(cluster.work_dir, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a child of this process that exited stays a zombie until reaped
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--dir", type=Path, default=Path(".tools/cluster"))
    args = parser.parse_args()
    if args.action == "down":
        stop(args.dir)
        print(f"stopped the cluster of {args.dir}")
        return
    cluster = start(args.dir)
    print(f"master {cluster.url}, web UI {cluster.webui}; logs in {args.dir}\n"
          f"export INSIGHTS_SPARK_PROFILE=standalone INSIGHTS_SPARK_MASTER={cluster.url} "
          "INSIGHTS_EXECUTOR_MEMORY=1g INSIGHTS_EXECUTOR_CORES=1 SPARK_LOCAL_IP=127.0.0.1")


if __name__ == "__main__":
    main()
