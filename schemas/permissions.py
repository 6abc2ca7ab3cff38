"""What one principal may read, decided from access.yaml: grants with `*` expanded, masks, refusals.

Without access.yaml everyone is admin. With it, a principal must be listed; its role's grants are
resolved once against the workspace (a `*` on KPIs keeps only those computed from granted types),
and every read path asks this object, so a refusal always names the grant that is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from schemas.access import ACCESS_FILE, ALL, AccessFile, MaskKind, Principal, Role
from schemas.access_checks import granted_types, inputs_of, known_names
from schemas.masking import mask_value
from schemas.workspace import Workspace

ADMIN = "admin"
PRINCIPAL_VARIABLE = "INSIGHTS_PRINCIPAL"  # the signed-in identity's object ID when --as is not given


class AccessDenied(PermissionError):
    """A principal asked for something its role does not grant; the message names the grant."""


@dataclass(frozen=True)
class Permissions:
    """One principal's resolved grants: types, KPIs, segments, predictions, identity, the 360, masks."""

    principal: str | None
    role: str
    admin: bool = False
    types: frozenset[str] = frozenset()  # profile and interaction types
    kpis: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    predictions: frozenset[str] = frozenset()
    identity: bool = False
    customer_360: bool = False
    masks: dict[str, MaskKind] = field(default_factory=dict)
    salt: str | None = None
    left_out: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # (kind, name) -> ungranted inputs
    via_group: str | None = None  # the access.yaml group the principal has its role through (not listed itself)

    @property
    def who(self) -> str:
        through = f", through group {self.via_group}" if self.via_group else ""
        return f"principal {self.principal or '(none)'} (role '{self.role}'{through})"

    def deny(self, grant: str, key: str) -> AccessDenied:
        """The refusal for a missing grant, naming it and where access.yaml would give it."""
        return AccessDenied(f"{self.who} has no grant on {grant} ({ACCESS_FILE}: roles.{self.role}.{key})")

    def allows(self, kind: str, name: str | None = None) -> bool:
        """Whether one entity is granted: kind is type, kpis, segments, predictions, identity or customer_360."""
        if self.admin:
            return True
        if kind in ("identity", "customer_360"):
            return getattr(self, kind)
        return name in getattr(self, kind)

    def require(self, kind: str, name: str | None = None) -> None:
        """Raise AccessDenied naming the grant unless the entity is granted."""
        if not self.allows(kind, name):
            what = {"types": "type", "kpis": "KPI", "segments": "segment", "predictions": "prediction"}.get(kind)
            key = kind if kind != "types" else "profiles/interactions"
            refusal = self.deny(f"{what} '{name}'" if what else kind, key)
            inputs = self.left_out.get((kind, name or ""))
            if inputs:  # `*` left it out: it is computed from types the role may not see
                refusal = AccessDenied(f"{refusal}: `*` leaves it out, as it is computed from {sorted(inputs)}, "
                                       "which the role is not granted")
            raise refusal

    def mask(self, type_name: str, column: str) -> MaskKind | None:
        """How this principal sees a column of a type (None: as it is)."""
        return None if self.admin else self.masks.get(f"{type_name}.{column}") or self.masks.get(column)

    def masked(self, type_name: str, column: str, value: Any) -> Any:
        """A value of that column as this principal sees it (hashed with the workspace's salt, nulled, or as is)."""
        return mask_value(value, self.mask(type_name, column), self.salt)


def everything(principal: str | None = None) -> Permissions:
    """An admin: what every command reads as when the workspace has no access.yaml."""
    return Permissions(principal, ADMIN, admin=True)


def resolve_role(name: str, role: Role, workspace: Workspace, salt: str | None) -> Permissions:
    """A role's grants resolved against the workspace: `*` expanded, derived entities kept only if fed by granted types."""
    types = granted_types(role, workspace)
    chosen, left_out = {}, {}
    for kind, names in known_names(workspace).items():
        if kind in ("profiles", "interactions"):
            continue
        listed = getattr(role, kind)
        picked = names if ALL in listed else [n for n in listed if n in names]
        missing = {n: inputs_of(kind, n, workspace) - types for n in picked}
        chosen[kind] = frozenset(n for n in picked if not missing[n])
        left_out |= {(kind, n): inputs for n, inputs in missing.items() if inputs}
    return Permissions(None, name, role.admin, types, chosen["kpis"], chosen["segments"], chosen["predictions"],
                       role.identity, role.customer_360, dict(role.masks), salt, left_out)


def through_groups(access: AccessFile, object_id: str,
                   groups_of: Callable[[str], Iterable[str]] | None) -> tuple[str, Principal]:
    """The listed group a principal not listed itself has its role through, or AccessDenied saying why none."""
    known = sorted(access.principals)
    if groups_of is None:
        raise AccessDenied(f"principal {object_id} is not in {ACCESS_FILE} (principals: {known})")
    groups = {g.lower() for g in groups_of(object_id)}
    granted = {g: p for g, p in sorted(access.principals.items()) if g in groups and p.kind == "group"}
    if not granted:
        raise AccessDenied(f"principal {object_id} is not in {ACCESS_FILE}, nor is any of its {len(groups)} groups "
                           f"(principals: {known})")
    roles = {p.role for p in granted.values()}
    if len(roles) > 1:
        held = ", ".join(f"{g} ({p.name or 'group'}): {p.role}" for g, p in granted.items())
        raise AccessDenied(f"principal {object_id} is in groups of different roles ({held}): list it in "
                           f"{ACCESS_FILE} with the one role it should have")
    return next(iter(granted.items()))


def permissions_for(workspace: Workspace, principal: str | None, local_lake: bool = False,
                    groups_of: Callable[[str], Iterable[str]] | None = None) -> Permissions:
    """The principal's permissions: admin without access.yaml; with it, its role, or AccessDenied if unknown.

    No principal at all (no --as, no INSIGHTS_PRINCIPAL) reads a local lake as admin, since whoever runs
    the command can open its files anyway; a remote lake (abfss://) is refused. A principal access.yaml does
    not list has the role of the listed group it is in (groups_of: its groups, e.g. from Microsoft Graph).
    """
    access: AccessFile | None = workspace.access
    if access is None:
        return everything(principal)
    if not principal:
        if local_lake:
            return everything()
        raise AccessDenied(f"the workspace has {ACCESS_FILE} and the lake is remote: say who you are with "
                           f"--as OBJECT_ID or the {PRINCIPAL_VARIABLE} variable")
    object_id = principal.strip().lower()
    listed, via = access.principals.get(object_id), None
    if listed is None:
        via, listed = through_groups(access, object_id, groups_of)
    role = access.roles[listed.role]
    hashes = any(kind == "hash" for kind in role.masks.values())
    resolved = resolve_role(listed.role, role, workspace, access.salt_value() if hashes else None)
    return Permissions(object_id, **{k: v for k, v in resolved.__dict__.items() if k not in ("principal", "via_group")},
                       via_group=via)
