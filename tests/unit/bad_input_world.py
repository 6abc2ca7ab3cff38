"""The bad-input workspace (tests/data/bad_input: one small source per case), copied fresh per test,
and Python's own reading of a CSV file (csv module, RFC 4180): the independent side of the checks."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from jobs.bronze import land_source
from jobs.silver import build_silver
from schemas.loader import load_workspace
from schemas.workspace import Workspace

BAD_INPUT = Path(__file__).resolve().parents[1] / "data" / "bad_input"
LINE = re.compile(r".*?(?:\r\n|\n|\r)|.+$", re.S)  # a physical line with its ending
csv.field_size_limit(1 << 24)  # the csv module refuses fields over 128 KiB by default


def copy_workspace(target: Path) -> Workspace:
    """A fresh copy of the workspace at target, loaded, so a test may add or edit its files."""
    shutil.copytree(BAD_INPUT, target)
    return load_workspace(target)


@pytest.fixture()
def ws(tmp_path):
    """A copy of the workspace, so a test may add or edit its files."""
    return copy_workspace(tmp_path / "bad_input")


def land(spark, ws, lake, name):
    """One source landed in bronze (and quarantine), phones read as GB numbers."""
    return land_source(spark, name, ws.sources[name], ws.model, ws.source_location(name), lake, region="GB")


def build_silver_of(spark, ws, lake, *names: str, type_name: str = "customer"):
    """Silver of the named sources alone (the workspace's other sources are not landed)."""
    only = load_workspace(ws.root)
    only = type(only)(only.root, only.settings, only.model, {n: only.sources[n] for n in names})
    return build_silver(spark, only, type_name, lake)


def table(spark, path) -> pd.DataFrame:
    return spark.read.format("delta").load(path).toPandas()


def csv_records(path: Path, errors: str = "strict") -> tuple[list[str], list[tuple[list[str], str]]]:
    """The header and each record as Python's csv module reads it, with its raw text.

    errors="surrogateescape" keeps bytes that are not UTF-8 as lone surrogates, so a caller can
    tell which records hold them.
    """
    lines = LINE.findall(path.read_bytes().decode("utf-8", errors=errors))  # line endings as they are
    reader, records, read = csv.reader(iter(lines)), [], 0
    for fields in reader:
        raw = "".join(lines[read:reader.line_num])
        records.append((fields, re.sub(r"(\r\n|\n|\r)$", "", raw)))
        read = reader.line_num
    (header, _), *rows = records
    return header, rows


def closes_every_quote(path: Path) -> bool:
    """Whether the file is RFC 4180 to its end (Python's strict mode: no unclosed quote)."""
    try:
        list(csv.reader(path.open(newline="", encoding="utf-8", errors="surrogateescape"), strict=True))
    except csv.Error as error:
        return "unexpected end of data" not in str(error)
    return True
