"""The three files every workspace has (workspace.yaml, model.yaml, sources.yaml), typed.

Optional sections (match.yaml, kpis.yaml, ...) are checked against this core, so their
modules import it and never the full Workspace: the dependency runs one way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from schemas.model import Model, Strict
from schemas.sources import Source

WORKSPACE_FILE = "workspace.yaml"
MODEL_FILE = "model.yaml"
SOURCES_FILE = "sources.yaml"


class Defaults(Strict):
    """Workspace-wide defaults used by normalisation."""

    country: str = Field(default="US", description="region for phone numbers written without +code")


class BasicMeasures(Strict):
    """The first gold table: order count, spend and last purchase per profile record."""

    interaction: str = Field(description="the interaction type counted (e.g. purchase)")
    role: str = Field(description="the link role of the profile measured (e.g. customer)")
    amount: str = Field(description="the numeric attribute summed as spend")


class Customer360(Strict):
    """gold/customer_360 and gold/customer_timeline: the one row per customer and its interactions."""

    timeline_length: int = Field(
        default=20, ge=1, le=1000,
        description="interactions kept newest first in customer_360's nested timeline "
        "(gold/customer_timeline keeps them all)",
    )


class Compute(Strict):
    """How much of the cluster a run of this workspace may take: it can lower the Spark profile's cap, never raise it."""

    max_executors: int | None = Field(
        default=None, ge=1,
        description="executor cap of dynamic allocation for this workspace's runs; the lowest of this, "
        "the profile's maxExecutors and a run's max_executors wins (docs/deploy.md#standalone)",
    )


class Settings(Strict):
    """The workspace.yaml file."""

    name: str = Field(description="the workspace's name")
    description: str = Field(default="", description="what the workspace is about")
    data_root: str = Field(default="data", description="where relative source locations live")
    defaults: Defaults = Field(default_factory=Defaults, description="workspace-wide defaults")
    basic_measures: BasicMeasures | None = Field(
        default=None, description="the first gold table, gold/customer_measures"
    )
    customer_360: Customer360 = Field(
        default_factory=Customer360, description="the customer 360 tables (built when match.yaml exists)"
    )
    compute: Compute = Field(default_factory=Compute, description="limits on the cluster a run may use")


@dataclass(frozen=True)
class WorkspaceCore:
    """Settings, model and sources of a workspace folder, cross-checked."""

    root: Path
    settings: Settings
    model: Model
    sources: dict[str, Source]
    data_override: str | None = None  # the environment's INSIGHTS_DATA, given at load

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def data_root(self) -> str:
        """Root for relative source locations: the override given at load, else data_root."""
        if self.data_override:
            return self.data_override
        return resolve_location(self.settings.data_root, str(self.root))

    def source_location(self, source: str) -> str:
        """Absolute path or URI of a source's files."""
        return resolve_location(self.sources[source].location, self.data_root)

    def sources_for(self, type_name: str) -> dict[str, Source]:
        """Sources feeding one silver profile or interaction type, in priority order."""
        feeding = {n: s for n, s in self.sources.items() if s.target.name == type_name}
        return dict(sorted(feeding.items(), key=lambda item: (item[1].priority, item[0])))

    def silver_types(self) -> list[str]:
        """Profile and interaction types that at least one source feeds."""
        fed = {s.target.name for s in self.sources.values()}
        ordered = [*self.model.profiles, *self.model.interactions]
        return [name for name in ordered if name in fed]


def resolve_location(location: str, base: str) -> str:
    """A location as given if it is absolute or a URI, else joined onto base."""
    if "://" in location or os.path.isabs(location):
        return location
    if "://" in base:
        return f"{base.rstrip('/')}/{location}"
    return str((Path(base) / location).resolve())
