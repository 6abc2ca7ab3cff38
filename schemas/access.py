"""Who may read what (access.yaml): roles with grants on the catalogue's entities, masks, principals.

A principal is an Entra ID object ID (user, group or service principal) with one role; a member of a
listed group has the group's role (insights/access/groups.py asks Microsoft Graph). A role is
either `admin` (everything, unmasked) or a set of grants: profile and interaction types, KPIs,
segments, predictions, the identity tables and the customer 360, each list `["*"]` for all.
Masked columns arrive hashed (HMAC-SHA256 with the workspace's salt) or null.
"""

from __future__ import annotations

import os
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from schemas.model import Strict

ACCESS_FILE = "access.yaml"
ALL = "*"
MaskKind = Literal["hash", "null"]
PrincipalKind = Literal["user", "group", "service_principal"]
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
GRANT_LISTS = ("profiles", "interactions", "kpis", "segments", "predictions")


def _names(what: str, star: str) -> Any:
    """A grant list: names of one kind of entity, or `["*"]`."""
    return Field(default_factory=list, description=f'{what}; `["*"]` {star}')


class Role(Strict):
    """What one role may read: admin, or grants on entities, with masked columns."""

    description: str = Field(default="", description="what the role is for")
    admin: bool = Field(default=False, description="everything, unmasked (no grants or masks beside it)")
    profiles: list[str] = _names("profile types of model.yaml (silver/<type>)", "for all")
    interactions: list[str] = _names("interaction types of model.yaml (silver/<type>, the card's timeline and "
                                     "counts)", "for all")
    kpis: list[str] = _names("KPIs of kpis.yaml", "for every KPI computed only from granted interactions")
    segments: list[str] = _names("segments of segments.yaml", "for every segment whose rules use only granted data")
    predictions: list[str] = _names("predictions of predictions.yaml (gold/scores)",
                                    "for every one fed only by granted data")
    identity: bool = Field(default=False, description="the identity tables (gold/customer_ids, identity_pairs, ...; "
                           "the card's source records)")
    customer_360: bool = Field(default=False, description="gold/customer_360: the customer card and search (its parts "
                               "filtered by the other grants)")
    masks: dict[str, MaskKind | None] = Field(
        default_factory=dict,
        description="column -> `hash` (HMAC-SHA256 of the value with the salt, hex) or `null`; a bare attribute name "
        "masks it in every type, `<type>.<attribute>` in one type only (the golden record is the primary profile's)")

    @field_validator("masks")
    @classmethod
    def _null_is_a_mask(cls, value: dict[str, MaskKind | None]) -> dict[str, MaskKind | None]:
        """An unquoted YAML `null` means the null mask."""
        return {column: kind or "null" for column, kind in value.items()}

    @model_validator(mode="after")
    def _admin_alone(self) -> Role:
        granted = self.identity or self.customer_360 or self.masks or any(getattr(self, g) for g in GRANT_LISTS)
        if self.admin and granted:
            raise ValueError("an admin role sees everything unmasked: give it no grants or masks")
        for name in GRANT_LISTS:
            values = getattr(self, name)
            if ALL in values and len(values) > 1:
                raise ValueError(f"'{name}': [\"*\"] already means all; list names or \"*\", not both")
        return self

    def mask_of(self, type_name: str, column: str) -> MaskKind | None:
        """How the role sees one column of a type: hashed, nulled, or as it is (None)."""
        return self.masks.get(f"{type_name}.{column}") or self.masks.get(column)


class Principal(Strict):
    """An Entra ID user, group or service principal, and the role it has."""

    kind: PrincipalKind = Field(
        description="user, group or service_principal (ACL entries: group for groups, user otherwise)")
    role: str = Field(description="a role of this file")
    name: str = Field(default="", description="who it is, for people reading the file and the ACL plan")


class AccessFile(Strict):
    """The access.yaml file: roles, principals (by object ID) and the salt of hashed masks."""

    roles: dict[str, Role] = Field(description="role name -> role")
    principals: dict[str, Principal] = Field(
        default_factory=dict, description="Entra ID object ID (a GUID, lower case) -> principal; a group's role "
        "applies to its members, looked up in Microsoft Graph (docs/deploy.md)")
    salt: str | None = Field(
        default=None, description="salt of hashed masks; prefer salt_env so the salt stays out of the repository")
    salt_env: str | None = Field(
        default=None, description="environment variable holding the salt (wins over salt when set)")

    @model_validator(mode="after")
    def _salt_for_hashes(self) -> AccessFile:
        hashes = any(kind == "hash" for role in self.roles.values() for kind in role.masks.values())
        if hashes and not (self.salt or self.salt_env):
            raise ValueError("a role hashes a column: give 'salt' or 'salt_env' (the salt makes hashes unguessable)")
        return self

    def salt_value(self) -> str:
        """The salt: the variable salt_env names if set, else salt; an error if neither is there."""
        value = os.environ.get(self.salt_env) if self.salt_env else None
        value = value or self.salt
        if not value:
            raise ValueError(f"{ACCESS_FILE}: salt_env names {self.salt_env}, which is not set, and there is no salt")
        return value
