"""The command line: validation errors name the file and key and exit non-zero."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from insights.cli import main

RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail"


def test_validate_accepts_the_example():
    result = CliRunner().invoke(main, ["validate", str(RETAIL)])
    assert result.exit_code == 0, result.output
    assert "workspace 'retail' is valid" in result.output


def test_validate_names_file_and_key(tmp_path):
    broken = tmp_path / "ws"
    shutil.copytree(RETAIL, broken, ignore=shutil.ignore_patterns("data"))
    text = (broken / "sources.yaml").read_text().replace("format: parquet", "format: xls", 1)
    (broken / "sources.yaml").write_text(text)
    result = CliRunner().invoke(main, ["validate", str(broken)])
    assert result.exit_code != 0
    assert "sources.yaml: sources.loyalty_members.format:" in result.output


def test_generate_writes_a_manifest(tmp_path):
    result = CliRunner().invoke(main, ["generate", "--scale", "tiny", "--seed", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "_truth" / "manifest.json").exists()
