"""Where one deployment points, read from the environment in one place and checked before Spark starts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, field_validator, model_validator

from schemas.azure_credentials import (
    AZURE_VARIABLES,
    AbfssRoot,
    AzureCredentials,
    credentials_values,
    object_store_options,
)
from schemas.loader import load_workspace
from schemas.redaction import redact_uri
from schemas.spark_profile import SparkProfileError, load_profile
from schemas.workspace import Workspace

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WORKSPACE = PROJECT_ROOT / "examples" / "retail"

# Each field and the variable it is read from (README, "Environment variables").
VARIABLES = {
    "workspace_dir": "INSIGHTS_WORKSPACE",
    "lake_root": "INSIGHTS_LAKE",
    "data_root": "INSIGHTS_DATA",
    "spark_profile": "INSIGHTS_SPARK_PROFILE",
    "mlflow_uri": "INSIGHTS_MLFLOW_URI",
    "dagster_home": "DAGSTER_HOME",
}
DEFAULTS = {"workspace_dir": str(DEFAULT_WORKSPACE), "lake_root": "lakehouse", "spark_profile": "local"}

# Telemetry of the tools we run: there is no network for it, and the data is not ours to send.
NO_TELEMETRY = {
    "GX_ANALYTICS_ENABLED": "False",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "DAGSTER_DISABLE_TELEMETRY": "true",
}


class InvalidEnvironment(ValueError):
    """The environment names something that cannot work; each line says which variable and why."""


def telemetry_off() -> None:
    """Switch off every tool's telemetry; entry points call it before importing GX, MLflow or Dagster."""
    for key, value in NO_TELEMETRY.items():
        os.environ.setdefault(key, value)


def is_remote(uri: str) -> bool:
    """A URI with a scheme other than file:// (abfss://, s3://, ...): not a local folder."""
    return "://" in uri and not uri.startswith("file://")


def is_abfss(uri: str) -> bool:
    """An ADLS Gen2 location (abfss:// or abfs://), reached through hadoop-azure and the Azure SDKs."""
    return uri.startswith(("abfss://", "abfs://"))


def azure_credentials(environ: Mapping[str, str] | None = None) -> AzureCredentials:
    """How to reach ADLS Gen2, from AZURE_* and INSIGHTS_AZURE_AUTH; InvalidEnvironment naming what is missing."""
    environ = os.environ if environ is None else environ
    try:
        return AzureCredentials(**credentials_values(environ))
    except (ValidationError, ValueError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else [{"msg": str(exc)}]
        lines = [str(e["msg"]).removeprefix("Value error, ") for e in errors]
        raise InvalidEnvironment("environment is not usable:\n" + "\n".join(f"  - {line}" for line in lines)) from exc


def delta_storage_options(path: str, environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """What delta-rs needs to open a table at path: the account's credentials for abfss://, None elsewhere."""
    if not is_abfss(path):
        return None
    return object_store_options(AbfssRoot.parse(path), azure_credentials(environ))


class Environment(BaseModel):
    """One deployment: workspace, lake root, data root override, Spark profile, MLflow store, Dagster home."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, hide_input_in_errors=True)  # URIs can hold secrets

    workspace_dir: str = Field(description="the workspace folder of YAML files")
    lake_root: str = Field(description="a local folder (made absolute) or a URI such as abfss://...")
    spark_profile: str = Field(default="local", description="a profile of infra/spark")
    mlflow_uri: str | None = Field(default=None, description="tracking server; default sqlite under a local lake")
    data_root: str | None = Field(default=None, description="replaces the workspace's own data root")
    dagster_home: str = Field(default_factory=lambda: str(Path.cwd() / ".dagster"))
    azure: AzureCredentials | None = Field(default=None, description="how to reach an abfss:// lake (AZURE_*)")

    @field_validator("workspace_dir", "dagster_home")
    @classmethod
    def _absolute(cls, value: str) -> str:
        return str(Path(value).resolve())

    @field_validator("lake_root")
    @classmethod
    def _absolute_if_local(cls, value: str) -> str:
        if is_abfss(value):
            AbfssRoot.parse(value)  # a container, an account, no SAS in the URI
        return value if "://" in value else str(Path(value).resolve())

    @field_validator("spark_profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        """The profile exists and its file is valid, so a typo fails here, not at the first asset."""
        try:
            load_profile(value)
        except SparkProfileError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_serializer("lake_root", "mlflow_uri")
    def _without_passwords(self, value: str | None) -> str | None:
        """Dumped (logs, JSON, metadata) without a password or SAS signature; the attribute keeps the real URI."""
        return redact_uri(value) if value else value

    def __repr_args__(self) -> Any:
        """The repr masks what the dump masks (a database password in INSIGHTS_MLFLOW_URI)."""
        for name, value in super().__repr_args__():
            yield name, redact_uri(value) if name in ("lake_root", "mlflow_uri") and value else value

    def reads_variable(self, field: str, environ: Mapping[str, str] | None = None) -> bool:
        """Whether the field's value is what its variable holds now (then a resource can name the variable instead)."""
        environ = os.environ if environ is None else environ
        return environ.get(VARIABLES[field]) == getattr(self, field)

    @model_validator(mode="after")
    def _remote_lake_needs_mlflow(self) -> Environment:
        if is_remote(self.lake_root) and not self.mlflow_uri:
            raise ValueError(
                f"the lake root '{self.lake_root}' is remote, so MLflow cannot default to sqlite under it: "
                "set INSIGHTS_MLFLOW_URI to a tracking server"
            )
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: str | None) -> Environment:
        """The environment from INSIGHTS_* and DAGSTER_HOME, with given (non-None) overrides on top."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {f: environ[v] for f, v in VARIABLES.items() if environ.get(v)}
        values = DEFAULTS | values | {f: v for f, v in overrides.items() if v is not None}
        if is_abfss(str(values["lake_root"])) or environ.get(AZURE_VARIABLES["method"]):
            values["azure"] = azure_credentials(environ)
        try:
            return cls(**values)
        except ValidationError as exc:
            given = {f for f, v in overrides.items() if v is not None}
            raise InvalidEnvironment(_describe(exc, given)) from exc

    def load_workspace(self, sections: bool = True) -> Workspace:
        """The environment's workspace, validated, with the data root override applied (sections: see the loader)."""
        return load_workspace(self.workspace_dir, self.data_root, sections=sections)


def _describe(exc: ValidationError, given: set[str]) -> str:
    """One line per problem, named by the variable it came from (or the field when given directly)."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        where = field if field in given or field not in VARIABLES else VARIABLES[field]
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "environment is not usable:\n" + "\n".join(f"  - {line}" for line in lines)
