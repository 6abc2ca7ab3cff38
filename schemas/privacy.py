"""How a person is forgotten (privacy.yaml): retention of old file versions and suppression."""

from __future__ import annotations

from pydantic import Field

from schemas.model import Strict

PRIVACY_FILE = "privacy.yaml"
# Delta's own default: VACUUM refuses shorter retention unless told the risk is understood.
DEFAULT_RETENTION_HOURS = 168.0


class Privacy(Strict):
    """The privacy.yaml file: how `insights forget` erases a person from every table."""

    retention_hours: float = Field(
        default=DEFAULT_RETENTION_HOURS,
        ge=0,
        description="old file versions (time travel) are kept this long after they stop being "
        "current, then VACUUM deletes them; 0 erases them at once (and disables time travel "
        "to earlier versions of the tables touched)",
    )
    suppress: bool = Field(
        default=True,
        description="remember hashed identifiers of forgotten people so that bronze drops "
        "their rows when a source re-sends them",
    )


def privacy_settings(section: Privacy | None) -> Privacy:
    """The workspace's privacy settings, or the defaults when it has no privacy.yaml."""
    return section if section is not None else Privacy()
