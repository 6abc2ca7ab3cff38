"""Suite files as typed config, and a silver table's suite: template, model, then table files."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from expectations.derived import derived_expectations
from expectations.spec import ExpectationSpec, Severity, TableSuite
from schemas.catalog import catalog
from schemas.errors import Problem
from schemas.model import Model
from schemas.tables import GOLD, SILVER
from schemas.parsing import parse_model

if TYPE_CHECKING:
    from schemas.workspace import Workspace

SUITES_DIR = Path(__file__).parent / "suites"
# Template per kind of table; their names are reserved in SUITES_DIR (see README).
TEMPLATES = {
    "profile": "silver_profile.yaml",
    "interaction": "silver_interaction.yaml",
    "gold": "gold_table.yaml",
}
# Folder of a workspace holding its table-specific suite files.
WORKSPACE_SUITES_DIR = "expectations"

__all__ = [
    "ExpectationSpec",
    "Severity",
    "SuiteFile",
    "SuiteFileError",
    "TableSuite",
    "load_suite_file",
    "gold_suites_for",
    "has_table_file",
    "suite_for_gold",
    "suite_for_silver",
    "suites_for_workspace",
    "table_file_name",
]


class FileExpectation(ExpectationSpec):
    """An expectation as written in a suite file; `enabled: false` removes an inherited one."""

    severity: Severity | None = None  # type: ignore[assignment]
    enabled: bool = True

    @model_validator(mode="after")
    def _severity_when_enabled(self) -> FileExpectation:
        if self.enabled and self.severity is None:
            raise ValueError("'severity' is required: error or warn")
        return self

    def to_spec(self) -> ExpectationSpec:
        """The plain spec (only meaningful when enabled)."""
        return ExpectationSpec.model_validate(self.model_dump(exclude={"enabled"}))


class SuiteFile(BaseModel):
    """One YAML suite file: a description and a list of expectations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    expectations: list[FileExpectation] = Field(default_factory=list)


class SuiteFileError(ValueError):
    """A suite file is unreadable or wrong; the message names each file and key at fault."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"suite files have {len(problems)} {noun}:\n{lines}")


def load_suite_file(path: str | os.PathLike[str]) -> SuiteFile:
    """Read and validate one suite file; raise SuiteFileError naming the file and the key."""
    file = Path(path)
    problems: list[Problem] = []
    try:
        data: Any = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SuiteFileError([Problem(str(file), "", f"cannot read: {exc}")]) from exc
    except yaml.YAMLError as exc:
        raise SuiteFileError([Problem(str(file), "", f"not valid YAML: {exc}")]) from exc
    suite = parse_model(str(file), data, SuiteFile, problems)
    if suite is None:
        raise SuiteFileError(problems)
    return suite


def table_file_name(type_name: str, layer: str = SILVER) -> str:
    """File name of the table-specific suite of <layer>/<name>."""
    return f"{layer}_{type_name}.yaml"


def suite_for_silver(
    model: Model,
    type_name: str,
    extra_dirs: Iterable[str | os.PathLike[str]] = (),
    fed: set[str] | None = None,
) -> TableSuite:
    """The suite of silver/<type>: template, then model-derived, then table files, later wins.

    fed: the silver tables that exist; links to profile types outside it get no referential
    check (default: all).
    """
    if type_name in model.profiles:
        kind = "profile"
    elif type_name in model.interactions:
        kind = "interaction"
    else:
        known = sorted([*model.profiles, *model.interactions])
        raise ValueError(f"unknown profile or interaction type '{type_name}' (known: {known})")

    merged: dict[tuple[str, str], ExpectationSpec] = {}
    sources: list[str] = []
    template = SUITES_DIR / TEMPLATES[kind]
    _merge(merged, load_suite_file(template).expectations)
    sources.append(str(template))
    _merge(merged, derived_expectations(model, type_name, fed))
    sources.append(f"model:{type_name}")
    for path in _table_files(type_name, extra_dirs):
        _merge(merged, load_suite_file(path).expectations)
        sources.append(str(path))
    return TableSuite(
        name=f"{SILVER}/{type_name}", expectations=list(merged.values()), sources=sources
    )


def suite_for_gold(name: str, extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> TableSuite:
    """The suite of gold/<name>: the gold template, then gold_<name>.yaml files, later wins.

    The template checks what every gold table owes (row count within bounds of the previous
    version); a table's own file adds its key, ranges and allowed values.
    """
    merged: dict[tuple[str, str], ExpectationSpec] = {}
    template = SUITES_DIR / TEMPLATES["gold"]
    _merge(merged, load_suite_file(template).expectations)
    sources = [str(template)]
    for path in _table_files(name, extra_dirs, GOLD):
        _merge(merged, load_suite_file(path).expectations)
        sources.append(str(path))
    return TableSuite(name=f"{GOLD}/{name}", expectations=list(merged.values()), sources=sources)


def has_table_file(layer: str, name: str, extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> bool:
    """Whether <layer>/<name> has a suite file of its own (not only a template)."""
    return bool(_table_files(name, extra_dirs, layer))


def suites_for_workspace(workspace: Workspace) -> dict[str, TableSuite]:
    """The suite of every silver table in the workspace's catalogue, its expectations/ folder merged."""
    folder = workspace_suites_dir(workspace)
    types = _names(workspace, SILVER)
    return {t: suite_for_silver(workspace.model, t, extra_dirs=[folder], fed=set(types)) for t in types}


def gold_suites_for(workspace: Workspace) -> dict[str, TableSuite]:
    """The suite of each gold table in the workspace's catalogue (the gold template if no file)."""
    folder = workspace_suites_dir(workspace)
    return {n: suite_for_gold(n, extra_dirs=[folder]) for n in _names(workspace, GOLD)}


def workspace_suites_dir(workspace: Workspace) -> Path:
    """The workspace's expectations/ folder, its file names checked against the catalogue."""
    folder = workspace.root / WORKSPACE_SUITES_DIR
    if folder.is_dir():
        types = [*workspace.model.profiles, *workspace.model.interactions]
        _check_folder(folder, types, _names(workspace, GOLD))
    return folder


def _names(workspace: Workspace, layer: str) -> list[str]:
    return [table.name for table in catalog(workspace) if table.layer == layer]


def _table_files(
    name: str, extra_dirs: Iterable[str | os.PathLike[str]], layer: str = SILVER
) -> list[Path]:
    file_name = table_file_name(name, layer)
    # A table named like a template ("profile", "interaction", "table") only has workspace files.
    folders = [] if file_name in TEMPLATES.values() else [SUITES_DIR]
    folders += [Path(d) for d in extra_dirs]
    return [folder / file_name for folder in folders if (folder / file_name).is_file()]


def _merge(
    merged: dict[tuple[str, str], ExpectationSpec],
    entries: Iterable[ExpectationSpec | FileExpectation],
) -> None:
    for entry in entries:
        if isinstance(entry, FileExpectation):
            if not entry.enabled:
                merged.pop(entry.key, None)
                continue
            entry = entry.to_spec()
        merged[entry.key] = entry  # same key: replaced in place, keeping its position


def _check_folder(folder: Path, type_names: list[str], gold_names: list[str]) -> None:
    """A misspelt file name would silently check nothing, so every file must name a table."""
    expected = {table_file_name(t) for t in type_names} | {table_file_name(n, GOLD) for n in gold_names}
    problems = [
        Problem(
            str(path),
            "",
            f"not a suite file of a known table: expected silver_<type>.yaml with <type> one "
            f"of {sorted(type_names)}, or gold_<table>.yaml with <table> one of {sorted(gold_names)}",
        )
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix in (".yaml", ".yml") and path.name not in expected
    ]
    if problems:
        raise SuiteFileError(problems)
