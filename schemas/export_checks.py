"""exports.yaml against the rest of the workspace: names, destinations, gold tables and principals that exist."""

from __future__ import annotations

from schemas.access import ACCESS_FILE
from schemas.catalog import by_key, gold_tables
from schemas.errors import Problem
from schemas.exports import DESTINATION, EXPORTS_FILE, NAME, Export, ExportFile, table_key
from schemas.permissions import resolve_role
from schemas.table_access import table_refusal
from schemas.workspace import Workspace


def check_exports(exports: ExportFile, workspace: Workspace) -> list[Problem]:
    """Names, destinations, tables (gold, enabled by this workspace) and principals (in access.yaml)."""
    problems: list[Problem] = []
    gold = {t.key for t in gold_tables(workspace)}
    for name, export in exports.exports.items():
        key = f"exports.{name}"
        if not NAME.match(name):
            problems.append(Problem(EXPORTS_FILE, key, "an export name is lower case letters, digits and `_`"))
        if not DESTINATION.match(export.to):
            problems.append(Problem(EXPORTS_FILE, f"{key}.to", f"'{export.to}' is neither abfss://<container>@"
                                    "<account>.dfs.core.windows.net/<folder> nor https://<host>/<container>/<folder>"))
        for i, table in enumerate(export.tables):
            if table_key(table) not in gold:
                problems.append(Problem(EXPORTS_FILE, f"{key}.tables.{i}", f"unknown gold table '{table}' "
                                        f"(known: {sorted(t.removeprefix('gold/') for t in gold)})"))
        problems += _check_principal(export, key, workspace)
    return problems


def _check_principal(export: Export, key: str, workspace: Workspace) -> list[Problem]:
    if export.as_ is None:
        return []
    if workspace.access is None:
        return [Problem(EXPORTS_FILE, f"{key}.as", f"the workspace has no {ACCESS_FILE}, so there is nobody to "
                        "read as: leave `as` out (the export reads everything)")]
    listed = workspace.access.principals.get(export.as_.lower())
    if listed is None:
        return [Problem(EXPORTS_FILE, f"{key}.as", f"principal {export.as_} is not in {ACCESS_FILE} "
                        f"(principals: {sorted(workspace.access.principals)})")]
    if listed.role not in workspace.access.roles:
        return []  # access.yaml's own check reports the unknown role
    allowed = resolve_role(listed.role, workspace.access.roles[listed.role], workspace, None)
    tables = by_key(workspace)
    return [Problem(EXPORTS_FILE, f"{key}.tables.{i}", f"role '{listed.role}' of {export.as_} may not export "
                    f"{table_key(name)}: {why}")
            for i, name in enumerate(export.tables) if table_key(name) in tables
            and (why := table_refusal(tables[table_key(name)], allowed, workspace, masks=False))]
