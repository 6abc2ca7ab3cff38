"""Read one YAML file into a typed model, turning every mistake into a located Problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from schemas.errors import Problem

M = TypeVar("M", bound=BaseModel)
# libyaml's parser when PyYAML has it: ten times faster, and commands that read no Spark
# (`insights customer`) spend most of their time loading the workspace.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(root: Path, filename: str, problems: list[Problem]) -> Any:
    """Parsed YAML of one workspace file, or None with a problem recorded."""
    file = root / filename
    if not file.exists():
        problems.append(Problem(filename, "", f"missing file (expected at {file})"))
        return None
    try:
        return yaml.load(file.read_text(encoding="utf-8"), Loader=LOADER) or {}
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


def parse_file(root: Path, filename: str, schema: type[M], problems: list[Problem]) -> M | None:
    """One workspace file read and validated, or None with its problems recorded."""
    data = read_yaml(root, filename, problems)
    if data is None:
        return None
    return parse_model(filename, data, schema, problems)
