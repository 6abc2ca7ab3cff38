"""Spark profiles (infra/spark/<name>.yaml) as strict, typed settings, read without starting Spark."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from infra import SPARK_PROFILES_DIR
from schemas.errors import Problem

_ENV_REF = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")
MAX_EXECUTORS = "spark.dynamicAllocation.maxExecutors"  # the cap of dynamic allocation (schemas/executor_cap.py)


class SparkProfileError(ValueError):
    """A profile that does not exist or whose file is wrong, naming the file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Autoscale(_Strict):
    """The worker range a Databricks job cluster autoscales in: max_workers is the cost cap of a run."""

    model_config = ConfigDict(strict=True)

    min_workers: int = Field(ge=0, description="workers the cluster keeps when idle")
    max_workers: int = Field(ge=1, description="workers the cluster never grows past (the cap)")

    @model_validator(mode="after")
    def _floor_below_cap(self) -> Autoscale:
        if self.min_workers > self.max_workers:
            raise ValueError(f"min_workers ({self.min_workers}) is above max_workers ({self.max_workers})")
        return self


class JobCluster(_Strict):
    """The machine a Databricks job cluster is made of: its runtime and node types (docs/deploy.md)."""

    model_config = ConfigDict(strict=True)

    spark_version: str = Field(min_length=1, description="Databricks Runtime key, e.g. 17.3.x-scala2.13")
    node_type_id: str = Field(min_length=1, description="worker node type, e.g. Standard_D4ds_v5")
    driver_node_type_id: str | None = Field(default=None, description="driver node type; default: node_type_id")


class SparkProfile(_Strict):
    """A named set of Spark settings: where the driver connects, how Delta arrives, the conf."""

    name: str = Field(description="the file's name without .yaml")
    master: str | None = Field(description="Spark master URL; null: the platform owns the session")
    delta_jar: Literal["maven", "builtin"] = Field(
        default="maven", description="fetch the Delta jar from Maven Central, or the platform ships it"
    )
    conf: dict[str, str] = Field(default_factory=dict, description="Spark settings, applied last")
    description: str = ""
    autoscale: Autoscale | None = Field(default=None, description="job cluster worker range (master: null)")
    cluster: JobCluster | None = Field(default=None, description="job cluster runtime and nodes (master: null)")

    @model_validator(mode="after")
    def _platform_cluster_needs_no_master(self) -> SparkProfile:
        """autoscale and cluster describe a cluster the platform starts, so they go together, without a master."""
        given = [key for key in ("autoscale", "cluster") if getattr(self, key) is not None]
        if given and self.master is not None:
            raise ValueError(f"{given[0]}: a platform's job cluster, so master must be null (is {self.master!r})")
        if len(given) == 1:
            missing = {"autoscale", "cluster"} - set(given)
            raise ValueError(f"{given[0]} needs {missing.pop()} too: a job cluster has both its size and its nodes")
        return self

    @field_validator("conf", mode="before")
    @classmethod
    def _conf_as_text(cls, value: Any) -> Any:
        """YAML reads 8 or true as numbers and booleans; Spark wants their text. A setting that is empty (an
        unset ${VAR:-}) is left out, so Spark's own default or spark-defaults.conf holds, not an empty value."""
        if not isinstance(value, dict):
            return value
        return {key: _as_text(item) for key, item in value.items() if item != ""}

    @property
    def max_executors(self) -> int | None:
        """The executor cap of dynamic allocation, if the profile sets one."""
        value = self.conf.get(MAX_EXECUTORS)
        return int(value) if value is not None else None


_NESTED: dict[str, type[BaseModel]] = {"autoscale": Autoscale, "cluster": JobCluster}


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
        model = _NESTED.get(str(error["loc"][0]), SparkProfile) if len(error["loc"]) > 1 else SparkProfile
        message = f"unknown key (known: {sorted(model.model_fields)})"
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
