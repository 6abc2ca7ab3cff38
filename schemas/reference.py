"""Render the workspace reference (docs/workspace.md) from the typed schemas themselves.

The descriptions live on the fields, so the reference cannot drift from what the loader
accepts; a test checks the committed file equals this rendering.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

INTRO = """# Workspace reference

A workspace is a folder of YAML files. Unknown keys are errors (a misspelt key never passes
silently); every mistake is reported with its file and dotted key before Spark starts.
`insights validate WORKSPACE` runs only these checks. `examples/retail` uses every file
(exports.yaml as `exports.yaml.example`, so that the example runs without a storage account).

This page is generated from the schemas (`python -m schemas.reference > docs/workspace.md`).
"""


def render(files: list[tuple[str, type[BaseModel], str]]) -> str:
    """Markdown for each workspace file: its top-level object, then every object it contains."""
    parts = [INTRO]
    done: set[type[BaseModel]] = set()
    for filename, model, purpose in files:
        parts.append(f"## {filename}\n\n{purpose}\n")
        queue = [model]
        while queue:
            current = queue.pop(0)
            if current in done:
                continue
            done.add(current)
            parts.append(_section(current, filename if current is model else None))
            queue += [m for m in _nested_models(current) if m not in done]
    return "\n".join(parts)


def _section(model: type[BaseModel], filename: str | None) -> str:
    title = f"### `{model.__name__}`" + (f" (the top level of {filename})" if filename else "")
    doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        default = _default(field)
        rows.append(f"| `{key}` | {_type_name(field.annotation)} | {default} | {field.description or ''} |")
    return f"{title}\n\n{doc}\n\n" + "\n".join(rows) + "\n"


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        return "(empty)" if value in ({}, [], None) or isinstance(value, BaseModel) else f"`{value}`"
    if field.default is None or field.default is PydanticUndefined:
        return "(none)"
    if field.default == "":
        return "(empty)"
    return f"`{field.default}`"


def _type_name(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin is dict:
        return f"map of {_type_name(args[1])}"
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    if annotation is Any:
        return "any"
    return getattr(annotation, "__name__", str(annotation))


def _nested_models(model: type[BaseModel]) -> list[type[BaseModel]]:
    found = []

    def walk(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.append(annotation)
            return
        for arg in get_args(annotation):
            walk(arg)

    for field in model.model_fields.values():
        walk(field.annotation)
    return found


def workspace_files() -> list[tuple[str, type[BaseModel], str]]:
    """Every workspace file the loader reads, with its top-level schema and purpose."""
    from schemas.model import Model
    from schemas.sections import SECTIONS
    from schemas.sources import READING, Sources
    from schemas.workspace_core import MODEL_FILE, SOURCES_FILE, WORKSPACE_FILE, Settings

    return [
        (WORKSPACE_FILE, Settings, "Name, data root and defaults of the workspace."),
        (MODEL_FILE, Model, "Profile types, interaction types (with their links) and relationships."),
        (SOURCES_FILE, Sources, "Where each source is, how to read it and how it maps to the model.\n\n" + READING),
    ] + [(s.filename, s.schema, f"Optional. {s.purpose}") for s in SECTIONS]


if __name__ == "__main__":
    print(render(workspace_files()), end="")
