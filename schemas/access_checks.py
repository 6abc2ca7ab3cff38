"""access.yaml against the rest of the workspace: every grant, mask and principal names something real."""

from __future__ import annotations

from schemas.access import ACCESS_FILE, ALL, GUID, AccessFile, Role
from schemas.access_lineage import kpi_inputs, prediction_inputs, segment_inputs
from schemas.errors import Problem
from schemas.workspace import Workspace


def check_access(access: AccessFile, workspace: Workspace) -> list[Problem]:
    """Grants name known types, KPIs, segments and predictions fed by granted data; masks known columns."""
    problems: list[Problem] = []
    for name, role in access.roles.items():
        problems += _check_grants(name, role, workspace)
        problems += _check_masks(name, role, workspace)
    for object_id, principal in access.principals.items():
        if not GUID.match(object_id):
            problems.append(Problem(ACCESS_FILE, f"principals.{object_id}",
                                    "not an Entra ID object ID: a GUID in lower case, "
                                    "like 00000000-0000-0000-0000-000000000000"))
        if principal.role not in access.roles:
            problems.append(Problem(ACCESS_FILE, f"principals.{object_id}.role",
                                    f"unknown role '{principal.role}' (known: {sorted(access.roles)})"))
    return problems


def known_names(workspace: Workspace) -> dict[str, list[str]]:
    """The names each grant list may hold, from model.yaml, kpis.yaml, segments.yaml and predictions.yaml."""
    return {
        "profiles": list(workspace.model.profiles),
        "interactions": list(workspace.model.interactions),
        "kpis": list(workspace.kpis.kpis) if workspace.kpis else [],
        "segments": list(workspace.segments.segments) if workspace.segments else [],
        "predictions": list(workspace.predictions.predictions) if workspace.predictions else [],
    }


def inputs_of(kind: str, name: str, workspace: Workspace) -> frozenset[str]:
    """The profile and interaction types a granted KPI, segment or prediction is computed from."""
    if kind == "kpis":
        return kpi_inputs(name, workspace.kpis)
    if kind == "segments":
        return segment_inputs(name, workspace)
    if kind == "predictions":
        return prediction_inputs(workspace.predictions.predictions[name], workspace)
    return frozenset({name})


def granted_types(role: Role, workspace: Workspace) -> frozenset[str]:
    """The profile and interaction types the role is granted, `*` expanded."""
    model = workspace.model
    profiles = set(model.profiles) if ALL in role.profiles else set(role.profiles)
    interactions = set(model.interactions) if ALL in role.interactions else set(role.interactions)
    return frozenset(profiles | interactions)


def _check_grants(name: str, role: Role, workspace: Workspace) -> list[Problem]:
    problems, known, types = [], known_names(workspace), granted_types(role, workspace)
    for kind, names in known.items():
        for i, value in enumerate(getattr(role, kind)):
            key = f"roles.{name}.{kind}.{i}"
            if value == ALL:
                continue
            if value not in names:
                problems.append(Problem(ACCESS_FILE, key, f"unknown {kind[:-1]} '{value}' (known: {sorted(names)})"))
            elif kind in ("kpis", "segments", "predictions"):
                missing = sorted(inputs_of(kind, value, workspace) - types)
                if missing:
                    problems.append(Problem(ACCESS_FILE, key, f"'{value}' is computed from {missing}, which role "
                                            f"'{name}' is not granted: grant them or leave it out"))
    built = {"identity": workspace.match is not None, "customer_360": workspace.match is not None}
    for grant, exists in built.items():
        if getattr(role, grant) and not exists:
            problems.append(Problem(ACCESS_FILE, f"roles.{name}.{grant}",
                                    "the workspace has no match.yaml, so it builds no such table"))
    return problems


def _check_masks(name: str, role: Role, workspace: Workspace) -> list[Problem]:
    model, problems = workspace.model, []
    every = {a for t in [*model.profiles, *model.interactions] for a in model.attributes_of(t)}
    for column in role.masks:
        key = f"roles.{name}.masks.{column}"
        type_name, _, attribute = column.rpartition(".")
        if type_name and type_name not in model.profiles and type_name not in model.interactions:
            problems.append(Problem(ACCESS_FILE, key, f"unknown type '{type_name}' (known: "
                                    f"{sorted([*model.profiles, *model.interactions])})"))
        elif type_name and attribute not in model.attributes_of(type_name):
            problems.append(Problem(ACCESS_FILE, key, f"'{type_name}' has no attribute '{attribute}' "
                                    f"(known: {sorted(model.attributes_of(type_name))})"))
        elif not type_name and attribute not in every:
            problems.append(Problem(ACCESS_FILE, key, f"no type of model.yaml has an attribute '{attribute}'"))
    return problems
