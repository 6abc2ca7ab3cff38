"""Bad input by the thousand: generated CSV and JSON-lines files of valid and broken rows, landed
through bronze and silver, accounted for row by row against Python's own reading of the bytes.

For each generated pair of files (tests/unit/bad_input_files.py) the oracle
(tests/unit/bad_input_oracle.py: Python's csv and json modules, not our code) says which records
are valid. Then: every valid record is in bronze with its values as written, and in silver exactly
once with its values typed and normalised; every broken record is in quarantine, once, with its raw
text (or its values, when it parsed but cannot be typed) and a reason; rows in = bronze +
quarantine. Duplicate keys: bronze keeps every row, silver one per record, whose values are one of
the rows' (README: "silver keeps one row per record"; which one, within a batch, is not promised).

Bounded: two examples, each landing two CSV files and two JSON-lines files (one batch per
source: keys repeat across files) and one silver build of both; the profile is derandomized so
CI sees the same files every run. BAD_INPUT_PROFILE=bad-input-dev
explores more (and shrinks a failure).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from deltalake import DeltaTable
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from schemas.tables import Lake
from tests.unit.bad_input_files import csv_files, json_files
from tests.unit.bad_input_oracle import Expected, csv_expected, json_expected, silver_values
from tests.unit.bad_input_world import build_silver_of, copy_workspace, land

SOURCES = {"malformed_csv": ("customers.csv", csv_expected), "malformed_json": ("customers.jsonl", json_expected)}
FILES = 2  # per source and example, landed as one batch
settings.register_profile(
    "bad-input-ci", max_examples=2, deadline=None, derandomize=True, database=None,
    phases=(Phase.explicit, Phase.generate), print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
settings.register_profile("bad-input-dev", settings.get_profile("bad-input-ci"), max_examples=20,
                          derandomize=False, phases=tuple(Phase))


def short(value: object, width: int = 160) -> str:
    """A value's repr cut to a readable width (fields run to 300 KB)."""
    text = repr(value)
    return text if len(text) <= width else f"{text[:width]}... ({len(text)} chars)"


def _write(ws, name: str, files: list[bytes]) -> list[Path]:
    """The source's folder holding only these files."""
    folder = Path(ws.source_location(name))
    for old in folder.iterdir():
        old.unlink()
    stem, suffix = SOURCES[name][0].split(".")
    written = [folder / f"{stem}_{i}.{suffix}" for i in range(len(files))]
    for file, data in zip(written, files, strict=True):
        file.write_bytes(data)
    return written


def _matches(row: dict, want: tuple[str, object, set[str]]) -> bool:
    kind, what, reasons = want
    if not any(word in row["_reason"] for word in reasons):
        return False
    if kind == "raw":
        return row["_raw"] == what
    try:
        return json.loads(row["_raw"]) == what
    except ValueError:
        return False


def check_quarantine(rows: list[dict], expected: Expected, name: str) -> None:
    """Every broken record in quarantine once, with its text and a reason; nothing else there."""
    assert all(r["_reason"] and r["_raw"] is not None for r in rows), name
    left = list(expected.broken)
    for row in rows:
        found = next((i for i, want in enumerate(left) if _matches(row, want)), None)
        assert found is not None, f"{name}: quarantined but not broken by Python's reading: {short(row, 400)}"
        left.pop(found)
    assert not left, f"{name}: broken but not in quarantine: {[short(w) for w in left]}"


def check_bronze(bronze: list[dict], expected: Expected, name: str) -> None:
    """Every valid record in bronze, values exactly as Python read them; no other row."""
    columns = sorted({k for row in expected.good for k in row})
    as_key = lambda row: json.dumps({c: row.get(c) for c in columns}, sort_keys=True)  # noqa: E731
    landed, wanted = Counter(map(as_key, bronze)), Counter(map(as_key, expected.good))
    extra, missing = [short(json.loads(k)) for k in landed - wanted], [short(json.loads(k)) for k in wanted - landed]
    assert not extra and not missing, f"{name}: landed but not valid {extra}; valid but not landed {missing}"


def rows(path: str) -> list[dict]:
    """A table's rows as Python values, read by delta-rs (no Spark job; no pandas, whose longs with nulls turn float)."""
    return DeltaTable(path).to_pyarrow_table().to_pylist()


def check_silver(silver: list[dict], expected: dict[str, Expected]) -> None:
    """One silver row per valid record, its values those of one of the record's rows."""
    columns = ["first_name", "email", "points", "birth_date"]
    got = {r["record_id"]: r for r in silver}
    assert len(got) == len(silver), "a record twice in silver"
    wanted: dict[str, list[dict]] = {}
    for name, exp in expected.items():
        for row in exp.good:
            wanted.setdefault(f"{name}:{row['id'].strip(' ')}", []).append(silver_values(row, columns))
    assert sorted(got) == sorted(wanted), "silver holds other records than the valid ones"
    for record_id, candidates in wanted.items():
        row = got[record_id]
        values = {c: row[c] for c in candidates[0]}
        assert values in candidates, f"{record_id}: silver {short(values)} is none of {short(candidates, 400)}"
        assert row["_issues"] is None, f"{record_id}: {row['_issues']}"


def check_file(file: Path, exp: Expected, bronze: list[dict], quarantine: list[dict]) -> None:
    """One file's rows: valid ones in bronze, broken ones in quarantine, rows in = bronze + quarantine."""
    mine = lambda table: [r for r in table if Path(r["_file"].removeprefix("file:")).name == file.name]  # noqa: E731
    landed, held = mine(bronze), mine(quarantine)
    check_bronze(landed, exp, file.name)
    check_quarantine(held, exp, file.name)
    assert len(landed) + len(held) == exp.records, file.name  # rows in = bronze + quarantine


@settings(settings.get_profile(os.environ.get("BAD_INPUT_PROFILE", "bad-input-ci")))
@given(csv_data=st.lists(csv_files(), min_size=FILES, max_size=FILES),
       json_data=st.lists(json_files(), min_size=FILES, max_size=FILES))
def test_generated_bad_input_lands_every_valid_row_once_and_quarantines_every_broken_one(spark, csv_data, json_data):
    with tempfile.TemporaryDirectory(prefix="bad-input-props-") as folder:
        ws = copy_workspace(Path(folder) / "bad_input")
        lake = Lake(str(Path(folder) / "lake"))
        expected = {}
        for name, files in (("malformed_csv", csv_data), ("malformed_json", json_data)):
            written = _write(ws, name, files)
            per_file = {file: SOURCES[name][1](file) for file in written}
            result = land(spark, ws, lake, name)  # the source's files in one batch
            bronze, quarantine = rows(lake.bronze(name)), rows(lake.quarantine(name))
            for file, exp in per_file.items():
                check_file(file, exp, bronze, quarantine)
            expected[name] = exp = Expected([r for e in per_file.values() for r in e.good],
                                            [b for e in per_file.values() for b in e.broken],
                                            sum(e.records for e in per_file.values()))
            assert len(bronze) + len(quarantine) == exp.records, name
            assert (result.rows_landed, result.rows_quarantined) == (len(exp.good), len(exp.broken)), name
        build_silver_of(spark, ws, lake, *SOURCES)  # keys repeat across a source's files: one row per record
        check_silver(rows(lake.silver("customer")), expected)
