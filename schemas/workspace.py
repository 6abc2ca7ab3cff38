"""Load a workspace folder of YAML files into one validated, typed object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError

from schemas.errors import Problem, WorkspaceError
from schemas.model import OCCURRED_AT, InteractionType, Model, Strict
from schemas.sources import Source, Sources

WORKSPACE_FILE = "workspace.yaml"
MODEL_FILE = "model.yaml"
SOURCES_FILE = "sources.yaml"
DATA_ENV = "INSIGHTS_DATA"

M = TypeVar("M", bound=BaseModel)


class Defaults(Strict):
    """Workspace-wide defaults used by normalisation."""

    country: str = Field(default="US", description="region for phone numbers written without +code")


class BasicMeasures(Strict):
    """The first gold table: order count, spend and last purchase per profile record."""

    interaction: str = Field(description="the interaction type counted (e.g. purchase)")
    role: str = Field(description="the link role of the profile measured (e.g. customer)")
    amount: str = Field(description="the numeric attribute summed as spend")


class Settings(Strict):
    """The workspace.yaml file."""

    name: str = Field(description="the workspace's name")
    description: str = Field(default="", description="what the workspace is about")
    data_root: str = Field(default="data", description="where relative source locations live")
    defaults: Defaults = Field(default_factory=Defaults, description="workspace-wide defaults")
    basic_measures: BasicMeasures | None = Field(
        default=None, description="the first gold table, gold/customer_measures"
    )


@dataclass(frozen=True)
class Workspace:
    """Everything a workspace folder declares, cross-checked."""

    root: Path
    settings: Settings
    model: Model
    sources: dict[str, Source]
    sections: dict[str, BaseModel] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.settings.name

    def section(self, key: str) -> Any:
        """The parsed optional file of that key (see schemas/sections.py), or None if absent."""
        return self.sections.get(key)

    @property
    def data_root(self) -> str:
        """Root for relative source locations: INSIGHTS_DATA, else data_root under the workspace."""
        override = os.environ.get(DATA_ENV)
        if override:
            return override
        return _resolve(self.settings.data_root, str(self.root))

    def source_location(self, source: str) -> str:
        """Absolute path or URI of a source's files."""
        return _resolve(self.sources[source].location, self.data_root)

    def sources_for(self, type_name: str) -> dict[str, Source]:
        """Sources feeding one silver profile or interaction type, in priority order."""
        feeding = {n: s for n, s in self.sources.items() if s.target.name == type_name}
        return dict(sorted(feeding.items(), key=lambda item: (item[1].priority, item[0])))

    def silver_types(self) -> list[str]:
        """Profile and interaction types that at least one source feeds."""
        fed = {s.target.name for s in self.sources.values()}
        ordered = [*self.model.profiles, *self.model.interactions]
        return [name for name in ordered if name in fed]


def load_workspace(path: str | os.PathLike[str]) -> Workspace:
    """Read and validate a workspace; raise WorkspaceError naming every file and key at fault."""
    root = Path(path).resolve()
    if not root.is_dir():
        raise WorkspaceError([Problem(str(root), "", "workspace folder not found")])
    problems: list[Problem] = []
    settings = _parse(root, WORKSPACE_FILE, Settings, problems)
    model = _parse(root, MODEL_FILE, Model, problems)
    sources_file = _parse(root, SOURCES_FILE, Sources, problems)
    if problems or settings is None or model is None or sources_file is None:
        raise WorkspaceError(problems)
    problems.extend(check_references(model, sources_file.sources, settings))
    if problems:
        raise WorkspaceError(problems)
    workspace = Workspace(root=root, settings=settings, model=model, sources=sources_file.sources)
    workspace = _load_sections(root, workspace, problems)
    if problems:
        raise WorkspaceError(problems)
    return workspace


def _load_sections(root: Path, workspace: Workspace, problems: list[Problem]) -> Workspace:
    """Parse each optional file that is present, then check it against what came before."""
    from schemas.sections import SECTIONS

    for section in SECTIONS:
        if not (root / section.filename).exists():
            continue
        parsed = _parse(root, section.filename, section.schema(), problems)
        if parsed is None:
            continue
        workspace = replace(workspace, sections={**workspace.sections, section.key: parsed})
        if section.check is not None:
            problems.extend(section.check(parsed, workspace))
    return workspace


def read_yaml(root: Path, filename: str, problems: list[Problem]) -> Any:
    """Parsed YAML of one workspace file, or None with a problem recorded."""
    file = root / filename
    if not file.exists():
        problems.append(Problem(filename, "", f"missing file (expected at {file})"))
        return None
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        problems.append(Problem(filename, "", f"not valid YAML: {exc}"))
        return None


def parse_model(filename: str, data: Any, schema: type[M], problems: list[Problem]) -> M | None:
    """Validate data against a typed schema, turning pydantic errors into located problems."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key (check the spelling; see the workspace reference)"
            problems.append(Problem(filename, key, message))
        return None


def _parse(root: Path, filename: str, schema: type[M], problems: list[Problem]) -> M | None:
    data = read_yaml(root, filename, problems)
    if data is None:
        return None
    return parse_model(filename, data, schema, problems)


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


def _resolve(location: str, base: str) -> str:
    """A location as given if it is absolute or a URI, else joined onto base."""
    if "://" in location or os.path.isabs(location):
        return location
    if "://" in base:
        return f"{base.rstrip('/')}/{location}"
    return str((Path(base) / location).resolve())
