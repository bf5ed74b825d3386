"""Contract tests of the emulated Microsoft.Web against the official App Service documents on hand.

Why not schemathesis: schemathesis 4.32.5 cannot load the excerpt (it has no ``swagger`` key: "Unable
to determine the Open API version"; with one added, every operation fails on the unresolvable
``#/parameters/resourceGroupNameParameter`` and the abbreviated ``slotsdiffs`` entry), the excerpt lacks
the definitions its answers need, and the operations only mean something on an app and slot that
exist. So this is the equivalent the issue allows: explicit cases (the official examples' request
bodies, real names of the emulator's ``func-demo`` app and ``staging`` slot) sent to a live emulator,
each answer checked with ``jsonschema`` against the document (``app_service.violations``): a success
status the operation declares, no body where it declares none, a body valid against the declared
schema (``DefaultErrorResponse`` for errors). Every case also asserts the status it is about, so it
drives the path it names. Deterministic, no generated input.

Which routes are held to which operation: ``table.py``. Allowances for real traffic: ``app_service.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from jsonschema import Draft7Validator

from slotwise_emulator import Speed
from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.contract import app_service
from tests.contract.app_service import APP_SERVICE, recorded_site_properties, recorded_sites, violations
from tests.contract.conftest import Arm
from tests.contract.definitions import SUPPLEMENT
from tests.contract.spec import Operation, load
from tests.contract.table import ROUTES, SITE, SLOT

pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(not APP_SERVICE.is_dir(), reason=REFERENCE_MISSING),
]

SWAP = {"targetSlot": "production", "preserveVnet": True}


@dataclass(frozen=True)
class Case:
    """One request to one documented route, and the status it must draw."""

    route: tuple[str, str]  # (method, route template of table.ROUTES)
    path: Callable[[Arm], str]
    status: int
    body: Any = None  # JSON, or a function giving it (read from the reference when the case runs)
    method: str = ""  # another method than the route's, to be refused
    setup: Callable[[Arm], None] | None = None
    api_version: str | None = "2025-05-01"
    authenticated: bool = True
    app_service_error: bool = False  # the APP_SERVICE_ERROR allowance: App Service's own error shape


def operation_of(method: str, template: str) -> Operation:
    contract = ROUTES[("arm", method, template)]
    if contract.kind == "operation":
        return app_service.excerpt_operations()[contract.name]
    return app_service.example_operation(contract, method, template)


def official_body(file: str, parameter: str) -> Callable[[], Any]:
    """The request body of an official example (read when a case runs: the reference may be absent)."""

    def read() -> Any:
        return load(APP_SERVICE / f"spec-2025-05-01-example-{file}.json")["parameters"][parameter]

    return read


def busy_swapping(arm: Arm) -> None:
    """A swap of staging into production that is still running (it takes ten minutes)."""
    arm.emulator.set_speed(Speed(swap_seconds=600))
    assert arm.call("POST", f"{arm.slot}/slotsswap", SWAP).status_code == 202


def prepared_the_other_way(arm: Arm) -> None:
    """Swap with preview prepared from staging to production (the reverse of the case's own)."""
    assert arm.call("POST", f"{arm.slot}/applySlotConfig", SWAP).status_code == 200


def differing_settings(arm: Arm) -> None:
    assert (
        arm.call("PUT", f"{arm.site}/config/appsettings", {"properties": {"MODE": "blue"}}).status_code == 200
    )
    assert (
        arm.call("PUT", f"{arm.slot}/config/appsettings", {"properties": {"MODE": "green"}}).status_code
        == 200
    )


def swapped(arm: Arm) -> None:
    """A swap of staging into production, done (each slot now carries ``slotSwapStatus``)."""
    accepted = arm.call("POST", f"{arm.slot}/slotsswap", SWAP)
    assert accepted.status_code == 202
    assert arm.call("GET", accepted.headers["Location"]).status_code == 200


def app_settings_of_the_example(arm: Arm) -> None:
    body = official_body("UpdateAppSettings", "appSettings")()
    assert arm.call("PUT", f"{arm.site}/config/appsettings", body).status_code == 200


CASES: dict[str, Case] = {
    # WebApps_SwapSlotSlot
    "swap-slot:accepted": Case(("POST", f"{SLOT}/slotsswap"), lambda a: f"{a.slot}/slotsswap", 202, SWAP),
    "swap-slot:unknown-slot": Case(
        ("POST", f"{SLOT}/slotsswap"), lambda a: f"{a.site}/slots/nope/slotsswap", 404, SWAP
    ),
    "swap-slot:unknown-target": Case(
        ("POST", f"{SLOT}/slotsswap"), lambda a: f"{a.slot}/slotsswap", 404, {"targetSlot": "nope"}
    ),
    "swap-slot:no-target": Case(("POST", f"{SLOT}/slotsswap"), lambda a: f"{a.slot}/slotsswap", 400, {}),
    "swap-slot:bad-api-version": Case(
        ("POST", f"{SLOT}/slotsswap"), lambda a: f"{a.slot}/slotsswap", 400, SWAP, api_version="1999-01-01"
    ),
    "swap-slot:no-api-version": Case(
        ("POST", f"{SLOT}/slotsswap"), lambda a: f"{a.slot}/slotsswap", 400, SWAP, api_version=None
    ),
    "swap-slot:no-token": Case(
        ("POST", f"{SLOT}/slotsswap"), lambda a: f"{a.slot}/slotsswap", 401, SWAP, authenticated=False
    ),
    "swap-slot:wrong-method": Case(
        ("POST", f"{SLOT}/slotsswap"), lambda a: f"{a.slot}/slotsswap", 405, method="GET"
    ),
    "swap-slot:with-itself": Case(
        ("POST", f"{SLOT}/slotsswap"),
        lambda a: f"{a.slot}/slotsswap",
        400,
        {"targetSlot": "staging"},
        app_service_error=True,
    ),
    "swap-slot:while-swapping": Case(
        ("POST", f"{SLOT}/slotsswap"),
        lambda a: f"{a.slot}/slotsswap",
        409,
        SWAP,
        setup=busy_swapping,
        app_service_error=True,
    ),
    # WebApps_SwapSlotWithProduction
    "swap-production:accepted": Case(
        ("POST", f"{SITE}/slotsswap"), lambda a: f"{a.site}/slotsswap", 202, {"targetSlot": "staging"}
    ),
    "swap-production:unknown-app": Case(
        ("POST", f"{SITE}/slotsswap"),
        lambda a: f"{a.group}/providers/Microsoft.Web/sites/nope/slotsswap",
        404,
        {"targetSlot": "staging"},
    ),
    "swap-production:not-an-object": Case(
        ("POST", f"{SITE}/slotsswap"), lambda a: f"{a.site}/slotsswap", 400, ["staging"]
    ),
    # WebApps_ApplySlotConfigToProduction
    "apply-slot-config:official-example": Case(
        ("POST", f"{SITE}/applySlotConfig"),
        lambda a: f"{a.site}/applySlotConfig",
        200,
        official_body("ApplySlotConfig", "slotSwapEntity"),
    ),
    "apply-slot-config:unknown-target": Case(
        ("POST", f"{SITE}/applySlotConfig"),
        lambda a: f"{a.site}/applySlotConfig",
        404,
        {"targetSlot": "nope"},
    ),
    "apply-slot-config:prepared-the-other-way": Case(
        ("POST", f"{SITE}/applySlotConfig"),
        lambda a: f"{a.site}/applySlotConfig",
        409,
        {"targetSlot": "staging"},
        setup=prepared_the_other_way,
        app_service_error=True,
    ),
    # WebApps_ListSlotDifferencesFromProduction
    "slot-differences:listed": Case(
        ("POST", f"{SITE}/slotsdiffs"),
        lambda a: f"{a.site}/slotsdiffs",
        200,
        {"targetSlot": "staging"},
        setup=differing_settings,
    ),
    "slot-differences:unknown-target": Case(
        ("POST", f"{SITE}/slotsdiffs"), lambda a: f"{a.site}/slotsdiffs", 404, {"targetSlot": "nope"}
    ),
    # GetWebAppSlot (WebApps_GetSlot)
    "get-slot:found": Case(("GET", SLOT), lambda a: a.slot, 200),
    "get-slot:after-a-swap": Case(("GET", SLOT), lambda a: a.slot, 200, setup=swapped),
    "get-slot:while-swapping": Case(("GET", SLOT), lambda a: a.slot, 200, setup=busy_swapping),
    "get-slot:unknown-slot": Case(("GET", SLOT), lambda a: f"{a.site}/slots/nope", 404),
    # ListAppSettings (WebApps_ListApplicationSettings)
    "list-app-settings:listed": Case(
        ("POST", f"{SITE}/config/appsettings/list"),
        lambda a: f"{a.site}/config/appsettings/list",
        200,
        setup=app_settings_of_the_example,
    ),
    "list-app-settings:unknown-app": Case(
        ("POST", f"{SITE}/config/appsettings/list"),
        lambda a: f"{a.group}/providers/Microsoft.Web/sites/nope/config/appsettings/list",
        404,
    ),
    # UpdateAppSettings (WebApps_UpdateApplicationSettings)
    "update-app-settings:official-example": Case(
        ("PUT", f"{SITE}/config/appsettings"),
        lambda a: f"{a.site}/config/appsettings",
        200,
        official_body("UpdateAppSettings", "appSettings"),
    ),
    "update-app-settings:not-a-string": Case(
        ("PUT", f"{SITE}/config/appsettings"),
        lambda a: f"{a.site}/config/appsettings",
        400,
        {"properties": {"WORKERS": 2}},
    ),
}


def send(arm: Arm, case: Case) -> Any:
    if case.setup is not None:
        case.setup(arm)
    body = case.body() if callable(case.body) else case.body
    return arm.call(
        case.method or case.route[0],
        case.path(arm),
        body,
        api_version=case.api_version,
        authenticated=case.authenticated,
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_answer_is_one_the_document_declares(arm: Arm, name: str) -> None:
    case = CASES[name]
    response = send(arm, case)
    assert response.status_code == case.status, response.text
    problems = violations(operation_of(*case.route), response)
    if case.app_service_error:
        # allowance: App Service's own error shape, not the DefaultErrorResponse its document declares
        assert problems != [], "the answer is a DefaultErrorResponse now: drop this case's allowance"
        assert app_service.app_service_error_violations(response) == []
    else:
        assert problems == []


def test_every_documented_route_has_a_success_and_an_error_case() -> None:
    documented = {
        (method, path)
        for (service, method, path), contract in ROUTES.items()
        if service == "arm" and contract.kind in ("operation", "example")
    }
    statuses: dict[tuple[str, str], set[int]] = {}
    for case in CASES.values():
        statuses.setdefault(case.route, set()).add(case.status)
    assert set(statuses) == documented
    for route, seen in statuses.items():
        assert any(s < 300 for s in seen), route
        assert any(s >= 400 for s in seen), route


# ---- beyond the declared schema ------------------------------------------------------------------
def test_a_slot_has_every_field_of_the_official_example_with_its_type(arm: Arm) -> None:
    body = load(REFERENCE / ROUTES[("arm", "GET", SLOT)].document)["responses"]["200"]
    shape = Draft7Validator(app_service.example_shape(body["body"]))
    answer = arm.call("GET", arm.slot).json()
    assert sorted(e.message for e in shape.iter_errors(answer)) == []


def test_slot_differences_are_listed_with_their_fields(arm: Arm) -> None:
    differing_settings(arm)
    listed = arm.call("POST", f"{arm.site}/slotsdiffs", {"targetSlot": "staging"}).json()["value"]
    assert listed, "no difference listed: the schema of the items was not exercised"
    assert {"settingName", "valueInCurrentSlot", "valueInTargetSlot"} <= set(listed[0]["properties"])


# ---- whatever was written, a slot answers a Site --------------------------------------------------
# Writable properties with a value of another JSON type than the document gives them, and a siteConfig
# property the document does not have. Azure refuses what it cannot read and drops what it does not
# know; either way its later answers stay valid Sites.
ODD_PROPERTIES: dict[str, dict[str, Any]] = {
    "clientCertExclusionPaths-number": {"clientCertExclusionPaths": 5},
    "virtualNetworkSubnetId-boolean": {"virtualNetworkSubnetId": True},
    "outboundVnetRouting-string": {"outboundVnetRouting": "all"},
    "outboundVnetRouting-field-string": {"outboundVnetRouting": {"allTraffic": "yes"}},
    "clientCertMode-not-in-enum": {"clientCertMode": "Sometimes"},
    "redundancyMode-not-in-enum": {"redundancyMode": "Twice"},
    "siteConfig-unknown-property": {"siteConfig": {"colour": "red"}},
    "siteConfig-alwaysOn-string": {"siteConfig": {"alwaysOn": "yes"}},
    "siteConfig-numberOfWorkers-string": {"siteConfig": {"numberOfWorkers": "two"}},
    "siteConfig-virtualApplications-string": {"siteConfig": {"virtualApplications": "/"}},
    "siteConfig-loadBalancing-not-in-enum": {"siteConfig": {"loadBalancing": "Random"}},
    "siteConfig-experiments-rule-string": {"siteConfig": {"experiments": {"rampUpRules": ["staging"]}}},
}
WRITES: dict[str, Callable[[Arm, dict[str, Any]], Any]] = {
    "put": lambda a, p: a.call("PUT", a.slot, {"location": "westeurope", "properties": p}),
    "patch": lambda a, p: a.call("PATCH", a.slot, {"properties": p}),
    "config-web": lambda a, p: a.call("PUT", f"{a.slot}/config/web", {"properties": p.get("siteConfig", p)}),
}


# config/web takes siteConfig properties only
ODD_WRITES = [
    (odd, write)
    for odd in sorted(ODD_PROPERTIES)
    for write in sorted(WRITES)
    if write != "config-web" or "siteConfig" in ODD_PROPERTIES[odd]
]


@pytest.mark.parametrize(("odd", "write"), ODD_WRITES)
def test_a_slot_written_with_odd_values_still_answers_a_site(arm: Arm, odd: str, write: str) -> None:
    get_slot = operation_of("GET", SLOT)
    written = WRITES[write](arm, ODD_PROPERTIES[odd])
    assert written.status_code in (200, 400), written.text
    if written.status_code == 400:
        assert violations(get_slot, written) == []  # an error the document declares
    answer = arm.call("GET", arm.slot)
    assert answer.status_code == 200
    assert violations(get_slot, answer) == []


# ---- the allowances are still needed ---------------------------------------------------------------
def test_real_site_bodies_carry_nulls_the_document_does_not_allow() -> None:
    declared = SUPPLEMENT["SiteProperties"]["properties"]
    nulls = {key for site in recorded_sites() for key, value in site["properties"].items() if value is None}
    assert {"targetSwapSlot", "slotSwapStatus", "inProgressOperationId"} <= nulls & set(declared)


def test_real_site_bodies_carry_properties_the_document_does_not_declare() -> None:
    undeclared = recorded_site_properties()
    assert {"name", "deploymentId", "slotName", "defaultHostNameScope"} <= undeclared
    assert not undeclared & set(SUPPLEMENT["SiteProperties"]["properties"])


def test_real_app_settings_bodies_carry_a_location_the_document_does_not_declare() -> None:
    assert app_service.recorded_string_dictionary_keys() == {"location"}
