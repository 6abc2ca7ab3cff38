"""The metadata-driven model (model.yaml): profile types, interaction types, relationships."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

AttributeType = Literal["string", "long", "double", "decimal", "boolean", "date", "timestamp"]
# The name of the Spark type each attribute type is stored as (the types themselves: jobs/spark_types.py).
SPARK_TYPE_NAMES: dict[AttributeType, str] = {
    "string": "StringType", "long": "LongType", "double": "DoubleType", "decimal": "DecimalType",
    "boolean": "BooleanType", "date": "DateType", "timestamp": "TimestampType",
}
Normalizer = Literal["email", "phone", "name", "country", "postcode", "lower", "upper", "trim"]
Cardinality = Literal["one_to_one", "many_to_one", "one_to_many", "many_to_many"]
# A range bound: a number, a date or timestamp (YAML or ISO text), or "now".
Bound = int | float | datetime | date | str

# Every interaction carries its time under this name in silver, whatever the source calls it.
OCCURRED_AT = "occurred_at"
IDENTIFIER = r"^[a-z][a-z0-9_]*$"


class Strict(BaseModel):
    """Base for workspace objects: unknown keys are mistakes, not extensions."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Attribute(Strict):
    """A typed attribute of a profile or interaction type."""

    type: AttributeType = Field(default="string", description="canonical type in silver")
    normalize: Normalizer | None = Field(
        default=None,
        description="canonical form for text: email, phone (E.164), name, country (ISO2), ...; an email, "
        "phone or country that cannot be normalised is null in silver with the reason in `_issues`",
    )
    description: str = Field(default="", description="what the attribute means, shown in the UI")
    pii: bool = Field(default=False, description="personal data: removed by `insights forget`")
    min: Bound | None = Field(
        default=None,
        description="smallest valid value (numbers, dates, timestamps; `now` for the clock): "
        "rows below it are quarantined in bronze",
    )
    max: Bound | None = Field(
        default=None,
        description="largest valid value (numbers, dates, timestamps; `now` for the clock): "
        "rows above it are quarantined in bronze",
    )

    @model_validator(mode="after")
    def _bounds_fit_the_type(self) -> Attribute:
        for name in ("min", "max"):
            problem = bound_problem(self.type, getattr(self, name))
            if problem:
                raise ValueError(f"'{name}': {problem}")
        low, high = self.min, self.max
        if low is not None and high is not None and "now" not in (low, high):
            if _as_comparable(low) > _as_comparable(high):
                raise ValueError(f"'min' ({low}) is greater than 'max' ({high})")
        return self


def bound_problem(kind: str, value: Bound | None) -> str | None:
    """Why a range bound does not suit an attribute type, or None if it does."""
    if value is None:
        return None
    if kind in ("long", "double", "decimal"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"a {kind} attribute needs a number, not {value!r}"
    if kind in ("date", "timestamp"):
        if value == "now" or isinstance(value, date | datetime):
            return None
        try:
            datetime.fromisoformat(str(value))
        except ValueError:
            return f"a {kind} attribute needs an ISO date or 'now', not {value!r}"
        return None
    return f"ranges apply to numbers, dates and timestamps, not to {kind} attributes"


def _as_comparable(value: Bound) -> float | datetime:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)


class ProfileType(Strict):
    """A kind of business entity (customer, account, product, store, ...)."""

    description: str = Field(default="", description="what the profile type is, shown in the UI")
    attributes: dict[str, Attribute] = Field(description="attribute name -> attribute")
    primary: bool = Field(
        default=False, description="the profile type that identity resolution unifies (customer)"
    )

    @field_validator("attributes")
    @classmethod
    def _names_are_identifiers(cls, value: dict[str, Attribute]) -> dict[str, Attribute]:
        return _check_identifiers(value)


class Link(Strict):
    """A role in which a profile type takes part in an interaction."""

    profile: str = Field(description="the profile type that takes part in this role")
    description: str = Field(default="", description="what the role means")


class InteractionType(Strict):
    """A kind of event (purchase, web visit, support case, ...) with its time and participants."""

    description: str = Field(default="", description="what the interaction type is")
    attributes: dict[str, Attribute] = Field(
        default_factory=dict, description="attribute name -> attribute (occurred_at is implicit)"
    )
    links: dict[str, Link] = Field(default_factory=dict, description="role -> participating profile type")

    @field_validator("attributes")
    @classmethod
    def _names_are_identifiers(cls, value: dict[str, Attribute]) -> dict[str, Attribute]:
        if OCCURRED_AT in value and value[OCCURRED_AT].type != "timestamp":
            raise ValueError(f"'{OCCURRED_AT}' is reserved for the interaction time (timestamp)")
        return _check_identifiers(value)

    def all_attributes(self) -> dict[str, Attribute]:
        """Declared attributes plus the reserved interaction time."""
        return {OCCURRED_AT: Attribute(type="timestamp", description="when it happened")} | dict(
            self.attributes
        )


class Relationship(Strict):
    """A connection between two profile types, e.g. a customer belongs to an account."""

    from_: str = Field(alias="from", description="the profile type that refers")
    to: str = Field(description="the profile type referred to")
    via: dict[str, str] = Field(
        default_factory=dict, description="attribute of 'from' -> attribute of 'to' that it matches"
    )
    cardinality: Cardinality = Field(default="many_to_one", description="how many 'to' per 'from'")
    description: str = Field(default="", description="what the relationship means")


class Model(Strict):
    """Profile types, interaction types and the relationships between profiles."""

    profiles: dict[str, ProfileType] = Field(description="profile type name -> profile type")
    interactions: dict[str, InteractionType] = Field(
        default_factory=dict, description="interaction type name -> interaction type"
    )
    relationships: dict[str, Relationship] = Field(
        default_factory=dict, description="relationship name -> relationship between profile types"
    )

    @field_validator("profiles", "interactions")
    @classmethod
    def _type_names_are_identifiers(cls, value: dict) -> dict:
        return _check_identifiers(value)

    def entity(self, name: str) -> ProfileType | InteractionType:
        """The profile or interaction type of that name."""
        if name in self.profiles:
            return self.profiles[name]
        return self.interactions[name]

    def attributes_of(self, name: str) -> dict[str, Attribute]:
        """All attributes a silver table of that type holds (besides its key columns)."""
        entity = self.entity(name)
        if isinstance(entity, InteractionType):
            return entity.all_attributes()
        return dict(entity.attributes)

    def link_roles(self, type_name: str) -> list[str]:
        """Link roles of an interaction type (none for profiles), in declared order."""
        entity = self.entity(type_name)
        return list(entity.links) if isinstance(entity, InteractionType) else []

    def roles_linking_to(self, profile: str, types: list[str] | None = None) -> list[tuple[str, str]]:
        """(interaction type, role) pairs whose role links to that profile type, optionally among types."""
        return [(name, role) for name, interaction in self.interactions.items()
                if types is None or name in types
                for role, link in interaction.links.items() if link.profile == profile]

    @property
    def primary_profile(self) -> str | None:
        """The profile type marked primary (the customer), if any."""
        return next((name for name, p in self.profiles.items() if p.primary), None)


def _check_identifiers(value: dict) -> dict:
    import re

    bad = [name for name in value if not re.match(IDENTIFIER, name)]
    if bad:
        raise ValueError(
            f"names must be lower_snake_case identifiers (used as column and table names): {bad}"
        )
    return value
