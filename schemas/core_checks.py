"""Cross-file checks of the core files: every name model.yaml and sources.yaml use exists."""

from __future__ import annotations

from schemas.errors import Problem
from schemas.model import OCCURRED_AT, InteractionType, Model
from schemas.sources import Source
from schemas.workspace_core import MODEL_FILE, SOURCES_FILE, WORKSPACE_FILE, Settings


def check_references(model: Model, sources: dict[str, Source], settings: Settings) -> list[Problem]:
    """Cross-file checks: every name a file uses must exist where it points."""
    problems: list[Problem] = []
    problems += _check_model(model)
    for name, source in sources.items():
        problems += _check_source(name, source, model, sources)
    if settings.basic_measures is not None:
        problems += _check_basic_measures(settings, model)
    return problems


def _check_model(model: Model) -> list[Problem]:
    problems = []
    for name, interaction in model.interactions.items():
        for role, link in interaction.links.items():
            if link.profile not in model.profiles:
                problems.append(
                    Problem(
                        MODEL_FILE,
                        f"interactions.{name}.links.{role}.profile",
                        f"unknown profile type '{link.profile}' (known: {sorted(model.profiles)})",
                    )
                )
    for name, rel in model.relationships.items():
        for end, value in (("from", rel.from_), ("to", rel.to)):
            if value not in model.profiles:
                problems.append(
                    Problem(
                        MODEL_FILE,
                        f"relationships.{name}.{end}",
                        f"unknown profile type '{value}' (known: {sorted(model.profiles)})",
                    )
                )
        problems += _check_relationship_attributes(model, name, rel)
    primaries = [n for n, p in model.profiles.items() if p.primary]
    if len(primaries) > 1:
        problems.append(
            Problem(MODEL_FILE, "profiles", f"only one profile type may be primary, not {primaries}")
        )
    both = set(model.profiles) & set(model.interactions)
    if both:
        problems.append(
            Problem(MODEL_FILE, "interactions", f"names used for profiles too: {sorted(both)}")
        )
    return problems


def _check_relationship_attributes(model: Model, name: str, rel) -> list[Problem]:
    if rel.from_ not in model.profiles or rel.to not in model.profiles:
        return []
    problems = []
    for left, right in rel.via.items():
        for end, profile, attr in (("from", rel.from_, left), ("to", rel.to, right)):
            if attr not in model.profiles[profile].attributes:
                problems.append(
                    Problem(
                        MODEL_FILE,
                        f"relationships.{name}.via.{left}",
                        f"'{profile}' ({end}) has no attribute '{attr}'",
                    )
                )
    return problems


def _check_source(
    name: str, source: Source, model: Model, sources: dict[str, Source]
) -> list[Problem]:
    where = f"sources.{name}"
    target = source.target.name
    known_types = [*model.profiles, *model.interactions]
    if target not in known_types or (
        (source.target.kind == "profile") != (target in model.profiles)
    ):
        kind = source.target.kind
        known = sorted(model.profiles if kind == "profile" else model.interactions)
        return [
            Problem(
                SOURCES_FILE,
                f"{where}.target.{kind}",
                f"unknown {kind} type '{target}' (known: {known})",
            )
        ]
    problems = []
    attributes = model.attributes_of(target)
    for attr, mapping in source.column_mappings().items():
        if attr not in attributes:
            problems.append(
                Problem(
                    SOURCES_FILE,
                    f"{where}.mapping.{attr}",
                    f"'{target}' has no attribute '{attr}' (known: {sorted(attributes)})",
                )
            )
        elif mapping.format and attributes[attr].type not in ("date", "timestamp"):
            problems.append(
                Problem(
                    SOURCES_FILE,
                    f"{where}.mapping.{attr}.format",
                    f"'format' applies to date and timestamp attributes, '{attr}' is "
                    f"{attributes[attr].type}",
                )
            )
    if source.target.kind == "interaction":
        problems += _check_links(where, source, model.interactions[target], model, sources)
    elif source.links:
        problems.append(
            Problem(SOURCES_FILE, f"{where}.links", "only interaction sources have links")
        )
    return problems


def _check_links(
    where: str,
    source: Source,
    interaction: InteractionType,
    model: Model,
    sources: dict[str, Source],
) -> list[Problem]:
    problems = []
    if OCCURRED_AT not in source.mapping:
        problems.append(
            Problem(
                SOURCES_FILE,
                f"{where}.mapping",
                f"an interaction source must map '{OCCURRED_AT}' (when it happened)",
            )
        )
    for role, link in source.links.items():
        if role not in interaction.links:
            problems.append(
                Problem(
                    SOURCES_FILE,
                    f"{where}.links.{role}",
                    f"unknown role (the interaction type has: {sorted(interaction.links)})",
                )
            )
            continue
        profile = interaction.links[role].profile
        if link.source is not None:
            referenced = sources.get(link.source)
            if referenced is None:
                problems.append(
                    Problem(
                        SOURCES_FILE,
                        f"{where}.links.{role}.source",
                        f"unknown source '{link.source}' (known: {sorted(sources)})",
                    )
                )
            elif referenced.target.name not in model.profiles:
                pass  # the referenced source's own target is reported where it is declared
            elif referenced.target.name != profile:
                problems.append(
                    Problem(
                        SOURCES_FILE,
                        f"{where}.links.{role}.source",
                        f"source '{link.source}' feeds '{referenced.target.name}', "
                        f"but role '{role}' links to '{profile}'",
                    )
                )
            elif len(link.key_columns) != len(referenced.key):
                problems.append(
                    Problem(
                        SOURCES_FILE,
                        f"{where}.links.{role}.key",
                        f"source '{link.source}' has a key of {len(referenced.key)} column(s), "
                        f"this link gives {len(link.key_columns)}",
                    )
                )
        for attr in link.match or {}:
            if attr not in model.profiles[profile].attributes:
                problems.append(
                    Problem(
                        SOURCES_FILE,
                        f"{where}.links.{role}.match.{attr}",
                        f"'{profile}' has no attribute '{attr}'",
                    )
                )
    return problems


def _check_basic_measures(settings: Settings, model: Model) -> list[Problem]:
    measures = settings.basic_measures
    assert measures is not None
    key = "basic_measures"
    interaction = model.interactions.get(measures.interaction)
    if interaction is None:
        return [
            Problem(
                WORKSPACE_FILE,
                f"{key}.interaction",
                f"unknown interaction type '{measures.interaction}'",
            )
        ]
    problems = []
    if measures.role not in interaction.links:
        problems.append(
            Problem(WORKSPACE_FILE, f"{key}.role", f"'{measures.interaction}' has no role "
                    f"'{measures.role}' (known: {sorted(interaction.links)})")
        )
    amount = interaction.attributes.get(measures.amount)
    if amount is None or amount.type not in ("long", "double", "decimal"):
        problems.append(
            Problem(WORKSPACE_FILE, f"{key}.amount",
                    f"'{measures.amount}' must be a numeric attribute of '{measures.interaction}'")
        )
    return problems


