"""The structure holds: no import circles, small modules, typed workspace sections."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schemas", "jobs", "expectations", "ml", "orchestration", "infra", "insights")
MAX_LINES = 400
# Layers may import only the layers below them (orchestration -> jobs, ml, expectations -> schemas).
ALLOWED = {
    "schemas": {"schemas", "infra"},
    "infra": {"infra"},
    "expectations": {"expectations", "schemas", "infra"},
    "jobs": {"jobs", "schemas", "infra"},
    "ml": {"ml", "jobs", "schemas", "infra"},
    "orchestration": {"orchestration", "jobs", "ml", "expectations", "schemas", "infra"},
    "insights": set(PACKAGES),
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for file in (ROOT / package).rglob("*.py"):
            parts = file.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = file
    return found


def _imports(file: Path, known: set[str]) -> set[str]:
    """Project modules a file imports (a name imported from a package counts if it is a module)."""
    found = set()
    for node in ast.walk(ast.parse(file.read_text(), str(file))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(file, known) - {name} for name, file in modules.items()}


def test_no_two_modules_import_each_other_directly_or_through_others():
    try:
        TopologicalSorter(_graph()).prepare()
    except CycleError as error:
        pytest.fail(f"import circle: {' -> '.join(error.args[1])}")


def test_dependencies_point_one_way():
    wrong = [f"{module} imports {target}" for module, targets in _graph().items() for target in targets
             if target.split(".")[0] not in ALLOWED[module.split(".")[0]]]
    assert wrong == []


def test_no_module_is_over_400_lines():
    long = {name: n for name, file in _modules().items() if (n := len(file.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_no_untyped_workspace_section_lookups_are_left():
    lookup = "." + "section("  # spelt apart so this file does not find itself
    callers = [str(f.relative_to(ROOT)) for f in [*ROOT.glob("*/**/*.py")]
               if ".venv" not in f.parts and lookup in f.read_text()]
    assert callers == []


def test_schemas_do_not_import_spark_or_dagster():
    heavy = {"pyspark", "delta", "dagster", "mlflow"}
    offenders = []
    for name, file in _modules().items():
        if not name.startswith("schemas"):
            continue
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                offenders += [f"{name}: {m}" for m in mods if m.split(".")[0] in heavy]
    assert offenders == []
