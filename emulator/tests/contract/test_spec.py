"""The Swagger 2.0 to JSON Schema conversion the contract tests rely on refuses what it must: these
run without the reference, on small documents written here."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.spec import Converter, operations, route_key

DOCUMENT: dict[str, Any] = {
    "swagger": "2.0",
    "paths": {
        "/subscriptions/{subscriptionId}/things/{name}": {
            "parameters": [],
            "get": {
                "operationId": "Things_Get",
                "responses": {"200": {"schema": {"$ref": "#/definitions/Thing"}}, "default": "Failure"},
            },
        }
    },
    "definitions": {
        "Base": {
            "type": "object",
            "properties": {"id": {"type": "string", "readOnly": True}},
            "required": ["id"],
        },
        "Thing": {
            "type": "object",
            "allOf": [{"$ref": "#/definitions/Base"}],
            "properties": {
                "size": {"type": "integer", "format": "int32"},
                "state": {"type": "string", "enum": ["On", "Off"], "x-ms-enum": {"modelAsString": False}},
                "tier": {"type": "string", "enum": ["Basic"], "x-ms-enum": {"modelAsString": True}},
                "when": {"type": "string", "format": "date-time"},
                "operation": {"type": "string", "format": "uuid"},
                "note": {"type": "string", "x-nullable": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "parts": {"type": "array", "items": {"$ref": "#/definitions/Thing"}},
            },
        },
    },
}
SUPPLEMENT = {"Failure": {"type": "object", "properties": {"error": {"type": "object"}}}}
THING = {"$ref": "#/definitions/Thing"}


def problems(instance: Any, **options: Any) -> list[str]:
    return Converter(DOCUMENT, SUPPLEMENT, **options).errors(THING, instance)


def test_a_valid_instance_passes() -> None:
    valid = {
        "id": "a",
        "size": 3,
        "state": "On",
        "tier": "Premium",  # modelAsString: true, an open list
        "when": "2025-01-02T17:40:30.48",  # as ARM writes it: no offset, two fraction digits
        "operation": "176793ff-dbea-4d8f-bee8-a96be3b4f086",
        "note": None,
        "labels": {"k": "v"},
        "parts": [{"id": "b"}],
    }
    assert problems(valid) == []


@pytest.mark.parametrize(
    ("instance", "expected"),
    [
        ({"size": 3}, "'id' is a required property"),  # required, from the allOf part
        ({"id": 1}, "1 is not of type 'string'"),
        ({"id": "a", "size": "3"}, "'3' is not of type 'integer'"),
        ({"id": "a", "state": "Dim"}, "'Dim' is not one of ['On', 'Off']"),
        ({"id": "a", "when": "yesterday"}, "'yesterday' is not a 'date-time'"),
        ({"id": "a", "operation": "op-1"}, "'op-1' is not a 'uuid'"),
        ({"id": "a", "labels": {"k": 1}}, "1 is not of type 'string'"),
        ({"id": "a", "parts": [{"id": "b", "size": "x"}]}, "'x' is not of type 'integer'"),  # recursive
        ({"id": "a", "colour": "red"}, "Additional properties are not allowed ('colour' was unexpected)"),
        ({"id": "a", "size": None}, "None is not of type 'integer'"),
    ],
)
def test_what_breaks_the_schema_is_reported(instance: dict[str, Any], expected: str) -> None:
    assert any(expected in line for line in problems(instance)), problems(instance)


def test_not_strict_accepts_undeclared_properties() -> None:
    assert problems({"id": "a", "colour": "red"}, strict=False) == []


def test_extra_names_are_accepted_by_name_only() -> None:
    extra = {"Thing": ["colour"]}
    assert problems({"id": "a", "colour": "red"}, extra=extra) == []
    assert problems({"id": "a", "shade": "red"}, extra=extra) != []


def test_null_optional_accepts_null_for_optional_properties_only() -> None:
    assert problems({"id": "a", "size": None}, null_optional=True) == []
    assert problems({"id": None}, null_optional=True) != []


def test_an_unknown_definition_is_an_error_not_an_open_schema() -> None:
    with pytest.raises(KeyError, match="Missing"):
        Converter(DOCUMENT).errors({"$ref": "./Other.json#/definitions/Missing"}, {})


def test_operations_read_an_abbreviated_response_as_a_definition() -> None:
    (op,) = operations("doc", DOCUMENT)
    assert (op.declares(200), op.declares(404), op.declares(201)) == (True, True, False)
    assert (op.method, op.operation_id) == ("GET", "Things_Get")
    assert op.response_schema(200) == THING
    assert op.response_schema(404) == {"$ref": "./CommonDefinitions.json#/definitions/Failure"}
    assert Converter(DOCUMENT, SUPPLEMENT).errors(op.response_schema(404) or {}, {"error": "x"}) != []


def test_routes_compare_without_case_and_parameter_names() -> None:
    assert route_key("post", "/Subscriptions/{sub}/things/{n}") == route_key(
        "POST", "/subscriptions/{id}/Things/{x}"
    )
    assert route_key("GET", "/a/{x}") != route_key("POST", "/a/{x}")
