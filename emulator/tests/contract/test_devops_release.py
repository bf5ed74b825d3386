"""The release definitions service against its contract: every route has a row naming the release-7.1
operation it implements; the contract table (``devops_release_contract.SCHEMAS``) knows every field of
the OpenAPI ``ReleaseDefinition`` tree and nothing that neither the OpenAPI, the azure-devops client's
models nor a real exported definition shows; what it keeps that the client's models lack is listed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from azure.devops.v7_1.release import models
from starlette.routing import Route

from slotwise_emulator.backends.devops_release_contract import OBSERVED, SCHEMAS
from slotwise_emulator.backends.devops_release_query import QUERY_ORDERS
from slotwise_emulator.routes import devops_release
from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.contract.spec import load, operations, route_key
from tests.contract.table import RELEASE, RELEASE_ROUTES

needs_reference = pytest.mark.skipif(not (REFERENCE / RELEASE).is_file(), reason=REFERENCE_MISSING)
# the emulator's names for polymorphic bases the OpenAPI leaves without a discriminator
RENAMED = {"Trigger": "ReleaseTriggerBase"}
# contract types without an OpenAPI definition of that name (the client's models have them)
SDK_ONLY = {"MultiConfigInput", "MultiMachineInput"}


def served() -> set[tuple[str, str, str]]:
    rows = set()
    for route in devops_release.routes(lambda _request: None):  # type: ignore[arg-type, return-value]
        assert isinstance(route, Route)
        rows.update(("devops", method, route.path) for method in (route.methods or set()) - {"HEAD"})
    return rows


def test_every_route_has_a_row() -> None:
    assert served() == set(RELEASE_ROUTES)


@needs_reference
def test_every_row_is_the_operation_it_names() -> None:
    found = {op.operation_id: op for op in operations(RELEASE, load(REFERENCE / RELEASE))}
    for (_service, method, path), contract in RELEASE_ROUTES.items():
        op = found[contract.name]
        assert op.key == route_key(method, path), contract.name


def _openapi_fields(definitions: dict[str, Any], name: str) -> set[str]:
    schema = definitions[name]
    fields = set(schema.get("properties", {}))
    for parent in schema.get("allOf", []):
        if "$ref" in parent:
            fields |= _openapi_fields(definitions, parent["$ref"].rsplit("/", 1)[-1])
    return fields


def _sdk_fields(name: str) -> set[str]:
    model = getattr(models, name, None)
    if model is None:
        return set()
    return {entry["key"] for entry in model._attribute_map.values()}


@needs_reference
def test_the_contract_table_matches_the_openapi_and_adds_only_what_clients_or_servers_show() -> None:
    definitions = load(REFERENCE / RELEASE)["definitions"]
    for name, fields in SCHEMAS.items():
        official = RENAMED.get(name, name)
        openapi = _openapi_fields(definitions, official) if official in definitions else set()
        assert official in definitions or name in SDK_ONLY, name
        missing = openapi - set(fields)
        assert missing == set(), f"{name} lacks OpenAPI fields {missing}"
        extra = set(fields) - openapi - _sdk_fields(official) - set(OBSERVED.get(name, ()))
        assert extra == set(), f"{name} keeps fields nothing shows: {extra}"
    # the list's queryOrder and $expand values are the OpenAPI's
    listing = (
        definitions
        and load(REFERENCE / RELEASE)["paths"]["/{organization}/{project}/_apis/release/definitions"]
    )
    parameters = {p.get("name"): p for p in listing["get"]["parameters"]}
    assert set(parameters["queryOrder"]["enum"]) == set(QUERY_ORDERS)


def test_the_contract_keeps_fields_the_clients_models_do_not_know() -> None:
    """What a GET -> models -> PUT through the azure-devops client loses and the server keeps (typed
    levels only: deploy phases are untyped in the models and pass through)."""
    lacking = {
        f"{name}.{field}"
        for name, fields in SCHEMAS.items()
        if getattr(models, RENAMED.get(name, name), None) is not None
        for field in fields
        if field not in _sdk_fields(RENAMED.get(name, name))
    }
    assert "EnvironmentOptions.publishDeploymentStatusToWorkItems" in lacking
    assert all(re.match(r"^\w+\.\w+$", entry) for entry in lacking)
