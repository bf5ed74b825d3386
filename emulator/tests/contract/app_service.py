"""The App Service contract as the tests hold the emulator to it: the operations of the excerpt and of
the official examples, the JSON Schema their answers must validate against, and the allowances where
real recorded traffic differs from the documents.

Owns: reading ``../shared/reference/app-service`` (excerpt, examples, recordings), building the
converter for Microsoft.Web schemas (``spec.Converter`` with ``definitions.SUPPLEMENT``), and
``violations``: what an answer breaks. Sends no request (the tests do).

Allowances (each checked to still be needed, see ``test_app_service.py``):

- ``null_optional``: ARM answers ``null`` for unset properties that its documents do not mark
  ``x-nullable`` (the recordings: ``targetSwapSlot``, ``slotSwapStatus``, ``inProgressOperationId``...),
  so a property that is not ``required`` may be null.
- ``recorded_site_properties``: real Site bodies carry properties ``Site`` does not declare (the
  recordings: ``name``, ``deploymentId``, ``slotName``, ``buildVersion``...); those are accepted by name,
  every other undeclared property is drift.
- ``recorded_string_dictionary_keys``: real app settings bodies carry ``location``, which
  ``StringDictionary`` (a proxy resource) does not declare; accepted by name.
- ``APP_SERVICE_ERROR``: App Service answers many of its own errors as ``{"Code", "Message", "Target",
  "Details", "Innererror"}`` rather than the ``DefaultErrorResponse`` (``{"error": {...}}``) its document
  declares (FACTS.md; such a 409 body is quoted in Azure/azure-libraries-for-net#1079). A case that
  expects this shape says so and is checked against it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests
import yaml
from jsonschema import Draft7Validator

from tests.conftest import REFERENCE
from tests.contract.definitions import SUPPLEMENT
from tests.contract.spec import Converter, Operation, load, operations
from tests.contract.table import APP_SERVICE_EXCERPT, Contract

APP_SERVICE = REFERENCE / "app-service"
ERROR_SCHEMA = {"$ref": "./CommonDefinitions.json#/definitions/DefaultErrorResponse"}

APP_SERVICE_ERROR: dict[str, Any] = {
    "type": "object",
    "properties": {
        "Code": {"type": "string"},
        "Message": {"type": "string"},
        "Target": {"type": ["string", "null"]},
        "Details": {"type": "array", "items": {"type": "object"}},
        "Innererror": {"type": ["string", "null"]},
    },
    "required": ["Code", "Message"],
    "additionalProperties": False,
}


def excerpt() -> dict[str, Any]:
    return load(REFERENCE / APP_SERVICE_EXCERPT)


def excerpt_operations() -> dict[str, Operation]:
    return {op.operation_id: op for op in operations(APP_SERVICE_EXCERPT, excerpt())}


def example(contract: Contract) -> dict[str, Any]:
    return load(REFERENCE / contract.document)


def example_operation(contract: Contract, method: str, path: str) -> Operation:
    """The operation an official example shows: the answers it lists, the success ones with the
    definition ``contract.schema``, errors with ``DefaultErrorResponse`` (the ``default`` of every
    WebApps operation, as of each of the excerpt's)."""
    shown = example(contract)["responses"]
    responses: dict[str, Mapping[str, Any]] = {
        status: ({"schema": {"$ref": f"#/definitions/{contract.schema}"}} if "body" in answer else {})
        for status, answer in shown.items()
    }
    responses["default"] = {"schema": ERROR_SCHEMA}
    return Operation(contract.document, method, path, contract.name, responses)


def recordings() -> list[dict[str, Any]]:
    """Every interaction of the recordings on hand."""
    found: list[dict[str, Any]] = []
    for path in sorted(APP_SERVICE.glob("recording-*.yaml")):
        found += yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
    return found


def recorded_bodies() -> list[Any]:
    """The JSON bodies of the recorded answers."""
    bodies = []
    for interaction in recordings():
        text = (interaction["response"].get("body") or {}).get("string") or ""
        if text.startswith("{"):
            bodies.append(json.loads(text))
    return bodies


def recorded_sites() -> list[dict[str, Any]]:
    """The recorded Site bodies (sites and slots)."""
    return [
        body
        for body in recorded_bodies()
        if body.get("type") in ("Microsoft.Web/sites", "Microsoft.Web/sites/slots")
        and "state" in body["properties"]
    ]


def recorded_site_properties() -> set[str]:
    """Properties real Site bodies carry that the Site definition does not declare."""
    declared = set(SUPPLEMENT["SiteProperties"]["properties"])
    return {key for site in recorded_sites() for key in site["properties"]} - declared


def recorded_string_dictionary_keys() -> set[str]:
    """Top-level keys real app settings bodies carry that ``StringDictionary`` does not declare."""
    declared = {*SUPPLEMENT["ProxyOnlyResource"]["properties"], *SUPPLEMENT["StringDictionary"]["properties"]}
    settings = [
        body
        for body in recorded_bodies()
        if body.get("type") in ("Microsoft.Web/sites/config", "Microsoft.Web/sites/slots/config")
        and body.get("name") == "appsettings"
    ]
    return {key for body in settings for key in body} - declared


def converter() -> Converter:
    """Microsoft.Web schemas, strict, with the allowances of this module."""
    return Converter(
        excerpt(),
        SUPPLEMENT,
        strict=True,
        null_optional=True,
        extra={
            "SiteProperties": sorted(recorded_site_properties()),
            "StringDictionary": sorted(recorded_string_dictionary_keys()),
        },
    )


def violations(op: Operation, response: requests.Response) -> list[str]:
    """What ``response`` breaks of ``op``: a success status it does not declare (``default`` covers
    errors only, as AutoRest reads it), a body where it declares none, a body that is not JSON or that
    its schema refuses."""
    status = response.status_code
    problems: list[str] = []
    if not op.declares(status):
        problems.append(f"{op.operation_id} declares no {status} (it declares {sorted(op.responses)})")
    schema = op.response_schema(status)
    if schema is None:
        if response.content:
            problems.append(f"{op.operation_id} declares no body for {status}, got {response.text[:200]!r}")
        return problems
    media = response.headers.get("content-type", "")
    if not media.startswith("application/json"):
        problems.append(f"{op.operation_id} declares a JSON body for {status}, got content-type {media!r}")
    try:
        body = response.json()
    except ValueError:
        return [
            *problems,
            f"{op.operation_id} declares a JSON body for {status}, got {response.text[:200]!r}",
        ]
    return problems + converter().errors(schema, body)


def app_service_error_violations(response: requests.Response) -> list[str]:
    """What ``response`` breaks of App Service's own error shape (the ``APP_SERVICE_ERROR`` allowance)."""
    validator = Draft7Validator(APP_SERVICE_ERROR)
    return sorted(f"{e.json_path}: {e.message}" for e in validator.iter_errors(response.json()))


def example_shape(value: Any) -> dict[str, Any]:
    """A JSON Schema of an official example's body: every field it shows, with the JSON type it shows
    (a null says nothing), arrays by their first item. The example is an instance upstream validates
    against the definition, so an answer must have these fields with these types."""
    if isinstance(value, dict):
        return {
            "type": "object",
            "properties": {key: example_shape(item) for key, item in value.items()},
            "required": sorted(value),
        }
    if isinstance(value, list):
        return {"type": "array", "items": example_shape(value[0])} if value else {"type": "array"}
    if value is None:
        return {}
    kind = {bool: "boolean", int: "integer", float: "number", str: "string"}[type(value)]
    return {"type": kind}
