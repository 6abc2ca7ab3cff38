"""Desired against actual ACLs, directory by directory: what `insights access apply` would grant and revoke.

Only the principals access.yaml lists are managed: their entries are added, changed or removed to
match it; entries of other object IDs (the pipeline's identity, owners, anyone set by hand) are
left alone and shown as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from insights.access.acl import AclEntry, DirectoryAcl
from schemas.access import AccessFile

NAMED = ("user", "group")


@dataclass(frozen=True)
class DirectoryChange:
    """One directory: its desired ACL, what it has now, and the entries to grant and to revoke."""

    desired: DirectoryAcl
    exists: bool
    actual: tuple[AclEntry, ...]
    grant: tuple[AclEntry, ...]  # missing, or present with other permissions
    revoke: tuple[AclEntry, ...]  # a managed principal's entry that access.yaml does not want here
    unmanaged: tuple[AclEntry, ...]  # named entries of object IDs access.yaml does not list

    @property
    def changed(self) -> bool:
        return self.exists and bool(self.grant or self.revoke)

    def merged(self) -> str:
        """The whole ACL after the change (for a directory set on its own, not recursively)."""
        revoked = {e.key for e in self.revoke} | {e.key for e in self.grant}
        kept = [e for e in self.actual if e.key not in revoked]
        return ",".join(str(e) for e in [*kept, *self.grant])


def _union(a: str, b: str) -> str:
    """Two permission triplets together ('r--' and '--x' make 'r-x')."""
    return "".join(x if x != "-" else y for x, y in zip(a or "---", b or "---", strict=True))


def _masks(grant: list[AclEntry], now: dict[tuple[str, str, str], AclEntry]) -> list[AclEntry]:
    """Mask entries widened to what the granted named entries need: the mask caps every named entry."""
    masks = []
    for scope in sorted({e.scope for e in grant}):
        current = now.get((scope, "mask", ""))
        had = current.permissions if current else "---"
        needed = reduce(_union, (e.permissions for e in grant if e.scope == scope), had)
        if current is None or needed != had:
            masks.append(AclEntry(scope, "mask", "", needed))
    return masks


def plan_change(desired: DirectoryAcl, actual: list[AclEntry] | None, managed: set[str]) -> DirectoryChange:
    """The change that makes a directory's ACL (None: the directory does not exist yet) match the desired one.

    Granting a named entry also widens the mask of its scope, else the mask would cap what it grants.
    """
    if actual is None:
        return DirectoryChange(desired, False, (), (), (), ())
    now = {e.key: e for e in actual}
    wanted = {e.key for e in desired.entries}
    named_grant = [e for e in desired.entries if now.get(e.key) != e]
    grant = tuple(named_grant + _masks(named_grant, now))
    named = [e for e in actual if e.kind in NAMED and e.qualifier]
    revoke = tuple(e for e in named if e.qualifier in managed and e.key not in wanted)
    unmanaged = tuple(e for e in named if e.qualifier not in managed)
    return DirectoryChange(desired, True, tuple(actual), grant, revoke, unmanaged)


def _who(access: AccessFile, object_id: str) -> str:
    if not object_id:
        return "the mask, widened so the named entries take effect"
    principal = access.principals.get(object_id)
    return f"{principal.name or principal.kind} ({principal.role})" if principal else "not in access.yaml"


def render_plan(changes: list[DirectoryChange], access: AccessFile) -> str:
    """The plan as text: per directory, + granted, ~ changed, - revoked, = left alone, and why one is withheld."""
    lines, missing = [], [c.desired.path or "/" for c in changes if not c.exists]
    for change in changes:
        desired = change.desired
        how = "recursive: the table and its files" if desired.recursive else "this directory only"
        if not change.exists:
            continue
        if not (change.grant or change.revoke):
            lines.append(f"{desired.path or '/'}  unchanged ({how})")
            continue
        lines.append(f"{desired.path or '/'}  ({how})")
        before = {e.key: e for e in change.actual}
        for entry in change.grant:
            old = before.get(entry.key)
            sign = f"~ {old} -> {entry.permissions}" if old else f"+ {entry}"
            lines.append(f"  {sign}  {_who(access, entry.qualifier)}")
        reasons = dict(desired.withheld)
        for entry in change.revoke:
            why = reasons.get(entry.qualifier, "no table below it is readable")
            lines.append(f"  - {entry.without_permissions()}  {_who(access, entry.qualifier)}: {why}")
        lines += [f"  = {e}  {_who(access, e.qualifier)}: left as it is" for e in change.unmanaged]
    if missing:
        lines.append(f"not in the lake yet, so nothing to change until the pipeline writes them ({len(missing)}): "
                     + ", ".join(missing))
    changed = sum(c.changed for c in changes)
    lines.append(f"{changed} of {len(changes)} directories to change "
                 f"({sum(len(c.grant) for c in changes)} entries to grant, {sum(len(c.revoke) for c in changes)} to revoke)")
    return "\n".join(lines)
