"""infra/azure/main.bicep read without the Bicep CLI (pycep's parser), and the example's parameters applied to it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycep import BicepParser

INFRA = Path(__file__).resolve().parents[2] / "infra" / "azure"
TEMPLATE = INFRA / "main.bicep"
EXAMPLE_PARAMETERS = INFRA / "retail.parameters.json"
STORAGE_SUFFIX = "core.windows.net"  # environment().suffixes.storage in AzureCloud


@dataclass(frozen=True)
class Template:
    """The parsed template: parameters, variables, resources and outputs by symbolic name."""

    parameters: dict[str, Any]
    variables: dict[str, Any]
    resources: dict[str, Any]
    outputs: dict[str, Any]

    def resources_of(self, kind: str) -> dict[str, dict[str, Any]]:
        """Symbolic name -> body (the condition and loop unwrapped) of every resource of one type."""
        return {name: _body(r["config"]) for name, r in self.resources.items() if r["type"] == kind}


def _body(config: dict[str, Any]) -> dict[str, Any]:
    """A resource's own properties, under pycep's wrapper for `if (...)` and `[for ...]`."""
    return _body(config["config"]) if "config" in config and isinstance(config["config"], dict) else config


def load_template(path: Path = TEMPLATE) -> Template:
    """The Bicep file as pycep parses it; a syntax error fails here, naming the line."""
    parsed = BicepParser().parse(file_path=path)
    return Template(parsed["parameters"], parsed["variables"], parsed["resources"], parsed["outputs"])


def example_parameters(path: Path = EXAMPLE_PARAMETERS) -> dict[str, Any]:
    """The example deployment's parameter values (an ARM deploymentParameters file)."""
    return {name: entry["value"] for name, entry in json.loads(path.read_text())["parameters"].items()}


def parameter_value(template: Template, values: dict[str, Any], name: str) -> Any:
    """A parameter as a deployment with these values sees it: given, else its default."""
    if name in values:
        return values[name]
    if "default" not in template.parameters[name]:
        raise KeyError(f"{TEMPLATE.name}: parameter '{name}' has no default and the deployment gives none")
    return template.parameters[name]["default"]


def interpolate(template: Template, values: dict[str, Any], text: str) -> str:
    """A Bicep string's ${...} resolved: parameters, `<resource>.name` and the storage suffix; anything else fails."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression == "environment().suffixes.storage":
            return STORAGE_SUFFIX
        if expression.endswith(".name") and expression[:-5] in template.resources:
            return str(resolve(template, values, template.resources[expression[:-5]]["config"]["name"]))
        if expression in template.parameters:
            return str(parameter_value(template, values, expression))
        raise ValueError(f"{TEMPLATE.name}: cannot evaluate '${{{expression}}}' without a deployment")

    return re.sub(r"\$\{([^}]+)\}", one, text)


def resolve(template: Template, values: dict[str, Any], value: Any) -> Any:
    """A string as deployed: a parameter's or variable's value for a bare name, else the string interpolated."""
    if isinstance(value, str) and value in template.parameters:
        return parameter_value(template, values, value)
    if isinstance(value, str) and value in template.variables:
        return template.variables[value]["value"]
    return interpolate(template, values, value) if isinstance(value, str) else value
