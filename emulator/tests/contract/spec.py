"""Reading the official Swagger 2.0 documents and turning their schemas into JSON Schema.

Owns: loading a document of ``../shared/reference`` (UTF-8, with or without BOM), listing its
operations (method, path, operationId, declared responses), matching an emulator route to a
documented path, and converting a Swagger 2.0 schema object into a JSON Schema that ``jsonschema``
validates a response body against. Knows nothing of the emulator and sends no request.

Conversion rules (Swagger 2.0 is a dialect of JSON Schema draft 4):

- ``$ref`` to ``#/definitions/X`` or ``./Other.json#/definitions/X``: the document's own definition
  when it carries it, else the one in ``supplement`` (definitions an excerpt names but does not carry);
  an unknown one is an error, never an open schema.
- ``allOf`` is merged into one object (its parts' properties and required names), so that
  ``additionalProperties`` can be decided for the whole object.
- ``strict``: an object that lists ``properties`` and says nothing of ``additionalProperties`` accepts
  no other property (Swagger itself would allow any); ``extra`` names, per definition, properties that
  are accepted anyway (what real traffic carries beyond the document).
- ``x-nullable: true`` accepts null; ``null_optional`` also accepts null for every property that is not
  ``required`` (what ARM does on the wire, whatever its documents say).
- ``readOnly`` is ignored (responses carry read-only properties); ``x-ms-enum`` with
  ``modelAsString: true`` is an open string (the value list is not closed); ``format`` is checked for
  ``date-time`` and ``uuid`` only (``FORMATS``); descriptions, examples and other ``x-`` keys are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_PARAMETER = re.compile(r"\{[^}/]*\}")
# ARM writes date-times with or without an offset and with 0 to 7 fraction digits (recordings)
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(lambda value: not isinstance(value, str) or bool(_DATE_TIME.match(value)))
FORMATS.checks("uuid")(lambda value: not isinstance(value, str) or bool(_UUID.match(value)))


def load(path: Path) -> dict[str, Any]:
    """A JSON document of the reference (the Azure DevOps ones start with a BOM)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
    return data


def route_key(method: str, path: str) -> tuple[str, str]:
    """How a documented path and an emulator route are compared: the method upper-cased, the path
    lower-cased (ARM and Azure DevOps ignore case) with every ``{parameter}`` as ``{}``."""
    return method.upper(), _PARAMETER.sub("{}", path).lower()


@dataclass(frozen=True)
class Operation:
    """One documented operation: where it lives and what it may answer."""

    document: str
    method: str  # upper case
    path: str
    operation_id: str
    responses: Mapping[str, Mapping[str, Any]]

    @property
    def key(self) -> tuple[str, str]:
        return route_key(self.method, self.path)

    def declares(self, status: int) -> bool:
        """Whether ``status`` is a documented answer: listed, or an error covered by ``default`` (a
        success status must be listed, as AutoRest reads a document)."""
        return str(status) in self.responses or (status >= 400 and "default" in self.responses)

    def response_schema(self, status: int) -> Mapping[str, Any] | None:
        """The schema the document gives the answer with ``status`` (its own, else ``default``'s for
        an error); None when the answer has no body."""
        response = self.responses.get(str(status))
        if response is None or ("schema" not in response and status >= 400):
            response = self.responses.get("default", {})
        schema = response.get("schema")
        return schema if isinstance(schema, Mapping) else None


def operations(name: str, document: Mapping[str, Any]) -> Iterator[Operation]:
    """Every operation of ``document``. A response given as a bare definition name (the
    abbreviated last entry of the App Service excerpt) reads as a response with that schema."""
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            responses = {
                status: (
                    {"schema": {"$ref": f"./CommonDefinitions.json#/definitions/{answer}"}}
                    if isinstance(answer, str)
                    else answer
                )
                for status, answer in op.get("responses", {}).items()
            }
            yield Operation(name, method.upper(), path, str(op.get("operationId", "")), responses)


@dataclass
class Converter:
    """Converts the schemas of one document (plus a supplement) into one JSON Schema namespace."""

    document: Mapping[str, Any]
    supplement: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    strict: bool = True
    null_optional: bool = False
    extra: Mapping[str, Iterable[str]] = field(default_factory=dict)
    _definitions: dict[str, Any] = field(default_factory=dict, init=False)

    def validator(self, schema: Mapping[str, Any]) -> Draft7Validator:
        """A validator of ``schema`` (a Swagger schema object of the document)."""
        root = self.convert(schema)
        return Draft7Validator({**root, "definitions": dict(self._definitions)}, format_checker=FORMATS)

    def errors(self, schema: Mapping[str, Any], instance: Any) -> list[str]:
        """Where ``instance`` breaks ``schema``: one line per problem, with its JSON path."""
        found = self.validator(schema).iter_errors(instance)
        return sorted(f"{error.json_path}: {error.message}" for error in found)

    def definition(self, ref: str) -> str:
        """Converts the definition ``ref`` names (once) and returns its key in ``definitions``."""
        name = ref.rsplit("/", 1)[-1]
        if name in self._definitions:
            return name
        source = self.document.get("definitions", {}).get(name) or self.supplement.get(name)
        if source is None:
            raise KeyError(f"{ref}: neither the document nor the supplement defines {name!r}")
        self._definitions[name] = {}  # a recursive definition refers to itself while being converted
        self._definitions[name] = self.convert(source, extra=self.extra.get(name, ()))
        return name

    def convert(self, schema: Mapping[str, Any], extra: Iterable[str] = ()) -> dict[str, Any]:
        if "$ref" in schema:
            converted: dict[str, Any] = {"$ref": f"#/definitions/{self.definition(schema['$ref'])}"}
        else:
            merged = self._merge_all_of(schema)
            converted = {key: merged[key] for key in ("type", "required") if key in merged}
            if "enum" in merged and not merged.get("x-ms-enum", {}).get("modelAsString", False):
                converted["enum"] = list(merged["enum"])
            if merged.get("format") in ("date-time", "uuid"):
                converted["format"] = merged["format"]
            if "items" in merged:
                converted["items"] = self.convert(merged["items"])
            if "properties" in merged:
                converted["properties"] = self._properties(merged, extra)
            additional = merged.get("additionalProperties")
            if isinstance(additional, Mapping):
                converted["additionalProperties"] = self.convert(additional)
            elif isinstance(additional, bool):
                converted["additionalProperties"] = additional
            elif self.strict and "properties" in merged:
                converted["additionalProperties"] = False
        if schema.get("x-nullable") is True:
            return {"anyOf": [converted, {"type": "null"}]}
        return converted

    def _properties(self, merged: Mapping[str, Any], extra: Iterable[str]) -> dict[str, Any]:
        required = set(merged.get("required", ()))
        properties: dict[str, Any] = {}
        for name, sub in merged["properties"].items():
            converted = self.convert(sub)
            if self.null_optional and name not in required:
                converted = {"anyOf": [converted, {"type": "null"}]}
            properties[name] = converted
        for name in extra:
            properties.setdefault(name, {})
        return properties

    def _merge_all_of(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """``schema`` with its ``allOf`` parts (resolved) folded into its own properties."""
        merged = {key: value for key, value in schema.items() if key != "allOf"}
        for part in schema.get("allOf", ()):
            resolved = self._merge_all_of(self._resolve(part))
            merged["properties"] = {**resolved.get("properties", {}), **merged.get("properties", {})}
            merged["required"] = sorted({*resolved.get("required", ()), *merged.get("required", ())})
            merged.setdefault("type", resolved.get("type", "object"))
        if merged.get("required") == []:
            del merged["required"]
        return merged

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        if "$ref" not in schema:
            return schema
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        found = self.document.get("definitions", {}).get(name) or self.supplement.get(name)
        if found is None:
            raise KeyError(f"{schema['$ref']}: neither the document nor the supplement defines {name!r}")
        return self._resolve(found)
