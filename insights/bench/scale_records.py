"""What `insights bench scale` records: per asset seconds, rows and peak memory, then totals (no Spark)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from insights.bench.memory import Sample

GROWTH_TARGET = 0.20  # large's seconds per million interactions at most 20% above medium's


@dataclass(frozen=True)
class StepWindow:
    """When one Dagster step ran (time.time() seconds)."""

    step: str
    start: float
    end: float


def window_peaks(samples: Sequence[Sample], start: float, end: float) -> dict[str, float]:
    """The highest RSS of each process sampled within [start, end] (the nearest sample before a short step)."""
    inside = [s for s in samples if start <= s.at <= end]
    if not inside:
        inside = [s for s in samples if s.at <= end][-1:]
    return {"python_rss_mb": round(max((s.python_mb for s in inside), default=0.0), 1),
            "jvm_rss_mb": round(max((s.jvm_mb for s in inside), default=0.0), 1)}


def asset_rows(scale: str, tables: Iterable[Any], windows: dict[str, StepWindow],
               samples: Sequence[Sample]) -> list[dict[str, Any]]:
    """One row per table written (RunSummary's TableWritten: key, rows, seconds, step) with its step's peaks."""
    rows = []
    for table in tables:
        window = windows.get(table.step or "")
        peaks = window_peaks(samples, window.start, window.end) if window else {}
        rows.append({"case": "asset", "scale": scale, "asset": table.key, "step": table.step,
                     "rows": table.rows, "seconds": None if table.seconds is None else round(table.seconds, 2),
                     **peaks})
    return rows


def interactions(tables: Iterable[Any], interaction_types: Iterable[str]) -> int:
    """Interaction rows in silver: the rows of silver/<type> of every interaction type."""
    keys = {f"silver/{t}" for t in interaction_types}
    return sum(t.rows or 0 for t in tables if t.key in keys)


def total_row(scale: str, run_seconds: float, generate_seconds: float, tables: Sequence[Any], n_interactions: int,
              high_water: dict[str, float], samples: Sequence[Sample], success: bool) -> dict[str, Any]:
    """The run as one row: time, rows, peaks and seconds per million interactions."""
    per_million = run_seconds / (n_interactions / 1e6) if n_interactions else None
    return {"case": "total", "scale": scale, "success": success, "seconds": round(run_seconds, 2),
            "generate_seconds": round(generate_seconds, 2), "tables": len(tables),
            "rows": sum(t.rows or 0 for t in tables), "interactions": n_interactions,
            "seconds_per_million_interactions": None if per_million is None else round(per_million, 2),
            **high_water, **window_peaks(samples, float("-inf"), float("inf")), "samples": len(samples)}


def latest_totals(path: Path) -> dict[str, dict[str, Any]]:
    """The last successful total row of each scale in a results file."""
    latest: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row.get("case") == "total" and row.get("success"):
                latest[row["scale"]] = row
    return latest


def growth(totals: dict[str, dict[str, Any]], small: str = "medium", big: str = "large") -> dict[str, Any] | None:
    """How much more each million interactions costs at `big` than at `small`, against the 20% target."""
    a, b = (totals.get(s, {}).get("seconds_per_million_interactions") for s in (small, big))
    if not a or not b:
        return None
    ratio = b / a - 1
    return {"from": small, "to": big, "growth": round(ratio, 3), "within_target": ratio <= GROWTH_TARGET}
