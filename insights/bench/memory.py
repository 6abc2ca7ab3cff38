"""Peak memory of this Python process and its Spark driver JVM, sampled from /proc while a run goes on."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Sample:
    """Resident memory at one moment (MB); jvm 0 before the JVM starts."""

    at: float  # time.time()
    python_mb: float
    jvm_mb: float


def status_mb(pid: int, field: str) -> float:
    """A /proc/<pid>/status memory field (VmRSS, VmHWM) in MB, 0 when the process is gone."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def jvm_pids(parent: int) -> list[int]:
    """The java processes under parent (PySpark's gateway starts the driver JVM as a child)."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == parent and b"java" in (entry / "cmdline").read_bytes().split(b"\0")[0]:
                found.append(int(entry.name))
            elif ppid == parent:
                found += jvm_pids(int(entry.name))  # spark-submit's shell in between
        except (OSError, ValueError, IndexError):
            continue
    return found


class MemorySampler:
    """Samples both processes' RSS every `every` seconds in a thread; peaks per time window afterwards."""

    def __init__(self, every: float = 0.5) -> None:
        self.every, self.samples = every, []
        self._pid, self._stop = os.getpid(), threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="memory-sampler")
        self.jvm: int | None = None

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            if self.jvm is None or not status_mb(self.jvm, "VmRSS"):
                self.jvm = next(iter(jvm_pids(self._pid)), None)
            jvm = status_mb(self.jvm, "VmRSS") if self.jvm else 0.0
            self.samples.append(Sample(time.time(), status_mb(self._pid, "VmRSS"), jvm))

    def high_water(self) -> dict[str, float]:
        """The kernel's own peaks (VmHWM) of both processes, MB."""
        return {"python_peak_mb": round(status_mb(self._pid, "VmHWM"), 1),
                "jvm_peak_mb": round(status_mb(self.jvm, "VmHWM"), 1) if self.jvm else 0.0}
