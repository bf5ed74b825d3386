"""The ReleaseDefinition schema of the official OpenAPI file (release-7.1), as a JSON Schema.

Swagger 2.0 ``definitions`` become ``$defs``; ``allOf`` inheritance is flattened (a subtype has its
base's properties); every object with declared properties is made strict (no property the file
does not declare), except the property bag ``PropertiesCollection``. Two more rules, each stated:

- a list typed by a polymorphic base holds the subtype our documents use: ``DeployPhase`` →
  ``AgentBasedDeployPhase`` (``phaseType: agentBasedDeployment``), ``ReleaseTriggerBase`` →
  ``ArtifactSourceTrigger`` (``triggerType: artifactSource``); the file has no discriminator;
- ``ADDITIONS``: properties the file lacks but the real service sends and the ``azure-devops``
  client models (checked against the client by the test): ``Artifact.sourceId``
  (``"<project id>:<build definition id>"``, in every exported definition).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SUBTYPES = {"DeployPhase": "AgentBasedDeployPhase", "ReleaseTriggerBase": "ArtifactSourceTrigger"}
BAGS = {"PropertiesCollection"}
ADDITIONS: dict[str, dict[str, Any]] = {"Artifact": {"sourceId": {"type": "string"}}}


def release_definition_schema(openapi_file: Path) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of ReleaseDefinition, from the OpenAPI file at ``openapi_file``."""
    definitions = json.loads(openapi_file.read_text(encoding="utf-8-sig"))["definitions"]
    converted = {name: _flatten(name, definitions) for name in definitions}
    for name, extra in ADDITIONS.items():
        converted[name]["properties"].update(extra)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": "#/$defs/ReleaseDefinition",
        "$defs": converted,
    }


def _flatten(name: str, definitions: dict[str, Any]) -> dict[str, Any]:
    schema = definitions[name]
    properties: dict[str, Any] = {}
    for parent in schema.get("allOf", []):
        properties.update(_flatten(parent["$ref"].rsplit("/", 1)[1], definitions).get("properties", {}))
    properties.update(schema.get("properties", {}))
    flat: dict[str, Any] = {"type": schema.get("type", "object")}
    if properties:
        flat["properties"] = {key: _convert(value) for key, value in properties.items()}
        if name not in BAGS:
            flat["additionalProperties"] = False
    elif "additionalProperties" in schema:
        flat["additionalProperties"] = _convert(schema["additionalProperties"])
    return flat


def _convert(schema: Any) -> Any:
    """``$ref``s to ``$defs`` (subtypes for the polymorphic bases), OpenAPI-only keywords dropped."""
    if isinstance(schema, list):
        return [_convert(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref":
            target = value.rsplit("/", 1)[1]
            converted[key] = f"#/$defs/{SUBTYPES.get(target, target)}"
        elif key.startswith("x-") or key in ("format", "description", "readOnly"):
            continue
        else:
            converted[key] = _convert(value)
    return converted
