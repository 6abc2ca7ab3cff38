"""Where benchmark results go: one JSON object per line, also kept in benchmarks/results/."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
DATA_ENV = "INSIGHTS_BENCH_DATA"


def bench_data_dir(scale: str) -> Path:
    """Where generated benchmark data of a scale is kept between runs (outside the repository)."""
    base = Path(os.environ.get(DATA_ENV, Path.home() / ".cache" / "customer-insights" / "bench"))
    return base / scale


def write_results(name: str, rows: list[dict[str, Any]]) -> Path:
    """Append the rows, stamped with time, machine and its load (others' jobs skew timings), to <name>.jsonl."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
        "load_1min": round(os.getloadavg()[0], 2),
    }
    path = RESULTS_DIR / f"{name}.jsonl"
    with path.open("a") as out:
        for row in rows:
            out.write(json.dumps(row | stamp) + "\n")
    return path


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
