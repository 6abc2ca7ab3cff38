"""Spark profiles (infra/spark/<name>.yaml) as strict, typed settings, read without starting Spark."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from infra import SPARK_PROFILES_DIR
from schemas.errors import Problem

_ENV_REF = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


class SparkProfileError(ValueError):
    """A profile that does not exist or whose file is wrong, naming the file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Autoscale(_Strict):
    """Worker bounds a platform applies itself (Databricks), kept in the profile for the record."""

    min_workers: int = Field(ge=0)
    max_workers: int = Field(ge=1)


class SparkProfile(_Strict):
    """A named set of Spark settings: where the driver connects, how Delta arrives, the conf."""

    name: str = Field(description="the file's name without .yaml")
    master: str | None = Field(description="Spark master URL; null: the platform owns the session")
    delta_jar: Literal["maven", "builtin"] = Field(
        default="maven", description="fetch the Delta jar from Maven Central, or the platform ships it"
    )
    conf: dict[str, str] = Field(default_factory=dict, description="Spark settings, applied last")
    description: str = ""
    autoscale: Autoscale | None = None

    @field_validator("conf", mode="before")
    @classmethod
    def _conf_as_text(cls, value: Any) -> Any:
        """YAML reads 8 or true as numbers and booleans; Spark wants their text."""
        if not isinstance(value, dict):
            return value
        return {key: _as_text(item) for key, item in value.items()}

    @property
    def max_executors(self) -> int | None:
        """The executor cap of dynamic allocation, if the profile sets one."""
        value = self.conf.get("spark.dynamicAllocation.maxExecutors")
        return int(value) if value is not None else None


def available_profiles(folder: Path = SPARK_PROFILES_DIR) -> list[str]:
    """Names of the profiles shipped in infra/spark."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_profile(name: str, folder: Path = SPARK_PROFILES_DIR) -> SparkProfile:
    """Read and validate one profile, expanding ${VAR:-default} from the process environment."""
    path = folder / f"{name}.yaml"
    if not path.is_file():
        raise SparkProfileError(
            f"unknown Spark profile '{name}' (known: {available_profiles(folder)}; files in {folder})"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SparkProfileError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SparkProfileError(f"{path}: expected a mapping of profile keys")
    if "name" in data:
        raise SparkProfileError(f"{path}: name: unknown key (a profile is named by its file)")
    try:
        return SparkProfile.model_validate(_expand(data) | {"name": name})
    except ValidationError as exc:
        problems = [_problem(path, error) for error in exc.errors()]
        raise SparkProfileError("\n".join(str(p) for p in problems)) from exc


def _problem(path: Path, error: Any) -> Problem:
    key = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown key (known: {sorted(SparkProfile.model_fields)})"
    return Problem(str(path), key, message)


def _as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


def _expand(value: Any) -> Any:
    """${VAR} and ${VAR:-default} in every text value, from os.environ (the profile asks for them)."""
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, dict):
        return {key: _expand(item) for key, item in value.items()}
    return value
