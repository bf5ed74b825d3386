"""ARM's tags API (``{site or slot}/providers/Microsoft.Resources/tags/default``) on the live emulator,
through raw HTTP and through slotwise's own ``WebApps`` client."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import requests
from azure.mgmt.web import WebSiteManagementClient

from slotwise.azure.models import SlotRef
from slotwise.errors import NotFoundError, RemoteError, SlotwiseError
from slotwise.factory import build_services, settings_from_env
from slotwise.services import Services
from slotwise_emulator import Emulator, FunctionApp
from slotwise_emulator.backends import Backends
from tests.fakes import FastClock
from tests.functional.control import add_fault, logged_requests

API = "api-version=2021-04-01"
SUFFIX = "/providers/Microsoft.Resources/tags/default"
STAGING = SlotRef("rg-demo", "func-demo", "staging")
PRODUCTION = SlotRef("rg-demo", "func-demo", "production")


def site_id(emulator: Emulator, slot: str | None = "staging", app: str = "func-demo") -> str:
    group = f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-demo"
    base = f"{group}/providers/Microsoft.Web/sites/{app}"
    return base if slot is None else f"{base}/slots/{slot}"


def call(
    emulator: Emulator,
    token: str,
    method: str,
    path: str,
    body: Any = None,
    query: str = API,
) -> requests.Response:
    return requests.request(
        method,
        f"{emulator.arm_url}{path}?{query}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        verify=str(emulator.ca_path),
        timeout=10,
    )


def patch(
    emulator: Emulator, token: str, operation: str, tags: dict[str, str], **kw: Any
) -> requests.Response:
    body = {"operation": operation, "properties": {"tags": tags}}
    return call(emulator, token, "PATCH", site_id(emulator, **kw) + SUFFIX, body)


def slot_tags(web_client: WebSiteManagementClient, slot: str = "staging") -> dict[str, str]:
    site = (
        web_client.web_apps.get("rg-demo", "func-demo")
        if slot == "production"
        else web_client.web_apps.get_slot("rg-demo", "func-demo", slot)
    )
    return dict(site.tags or {})


def finish_swaps_now(emulator: Emulator) -> None:
    """Make every accepted swap due, so the next request applies it."""

    def due_now(b: Backends) -> None:
        for op in b.web.operations.values():
            op.due = b.clock.now()

    emulator.call(due_now)


# ---- raw HTTP -------------------------------------------------------------------------------------
def test_merge_answers_the_tags_resource_and_the_slot_shows_them(
    emulator: Emulator, arm_token: str, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    response = patch(emulator, arm_token, "Merge", {"owner": "me", "hold": "yes"})
    assert response.status_code == 200
    assert response.json() == {
        "id": site_id(emulator) + SUFFIX,
        "name": "default",
        "type": "Microsoft.Resources/tags",
        "properties": {"tags": {"owner": "me", "hold": "yes"}},
    }
    assert slot_tags(web_client) == {"owner": "me", "hold": "yes"}
    assert slot_tags(web_client, "production") == {}
    read = call(emulator, arm_token, "GET", site_id(emulator) + SUFFIX)
    assert read.json()["properties"]["tags"] == {"owner": "me", "hold": "yes"}


def test_merge_overwrites_by_name_in_any_casing_and_keeps_the_rest(
    emulator: Emulator, arm_token: str, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    patch(emulator, arm_token, "Merge", {"Env": "qa", "owner": "me"})
    answer = patch(emulator, arm_token, "Merge", {"env": "prod", "new": "1"}).json()
    assert answer["properties"]["tags"] == {"owner": "me", "env": "prod", "new": "1"}
    assert slot_tags(web_client) == {"owner": "me", "env": "prod", "new": "1"}


def test_replace_by_patch_and_by_put(
    emulator: Emulator, arm_token: str, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    patch(emulator, arm_token, "Merge", {"a": "1", "b": "2"})
    assert patch(emulator, arm_token, "Replace", {"c": "3"}).json()["properties"]["tags"] == {"c": "3"}
    put = call(emulator, arm_token, "PUT", site_id(emulator) + SUFFIX, {"properties": {"tags": {"d": "4"}}})
    assert (put.status_code, put.json()["properties"]["tags"]) == (200, {"d": "4"})
    assert slot_tags(web_client) == {"d": "4"}
    no_properties = call(emulator, arm_token, "PUT", site_id(emulator) + SUFFIX, {"tags": {"e": "5"}})
    assert (no_properties.status_code, no_properties.json()["error"]["code"]) == (
        400,
        "InvalidRequestContent",
    )


def test_delete_operation_removes_by_name_or_by_matching_name_and_value(
    emulator: Emulator, arm_token: str, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    patch(emulator, arm_token, "Merge", {"a": "1", "b": "2", "c": "3", "d": "4"})
    answer = patch(emulator, arm_token, "Delete", {"A": "", "b": "2", "c": "other", "absent": ""})
    assert answer.status_code == 200
    assert answer.json()["properties"]["tags"] == {"c": "3", "d": "4"}
    assert slot_tags(web_client) == {"c": "3", "d": "4"}


def test_delete_at_scope_removes_every_tag(
    emulator: Emulator, arm_token: str, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    patch(emulator, arm_token, "Merge", {"a": "1"}, slot=None)
    deleted = call(emulator, arm_token, "DELETE", site_id(emulator, None) + SUFFIX)
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert slot_tags(web_client, "production") == {}
    read = call(emulator, arm_token, "GET", site_id(emulator, None) + SUFFIX)
    assert read.json()["properties"] == {"tags": {}}
    assert read.json()["id"].endswith("/providers/Microsoft.Web/sites/func-demo" + SUFFIX)


def test_unknown_site_or_slot_is_resource_not_found(
    emulator: Emulator, arm_token: str, function_app: FunctionApp
) -> None:
    for path in (site_id(emulator, "nope"), site_id(emulator, None, app="nope")):
        for method in ("GET", "PATCH", "PUT", "DELETE"):
            body = {"operation": "Merge", "properties": {"tags": {"a": "1"}}}
            response = call(emulator, arm_token, method, path + SUFFIX, body)
            assert (response.status_code, response.json()["error"]["code"]) == (404, "ResourceNotFound")


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ({"a/b": "1"}, "InvalidTagNameCharacters"),
        ({"a?": "1"}, "InvalidTagNameCharacters"),
        ({"<x>": "1"}, "InvalidTagNameCharacters"),
        ({"n" * 513: "1"}, "InvalidTagName"),
        ({" ": "1"}, "InvalidTagName"),
        ({"a": "v" * 257}, "InvalidTagValueLength"),
        ({f"t{i}": "v" for i in range(51)}, "InvalidTags"),
    ],
)
def test_invalid_tags_get_arms_400(
    emulator: Emulator,
    arm_token: str,
    function_app: FunctionApp,
    web_client: WebSiteManagementClient,
    tags: dict[str, str],
    code: str,
) -> None:
    response = patch(emulator, arm_token, "Merge", tags)
    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    assert slot_tags(web_client) == {}


def test_limits_are_inclusive_and_count_the_merged_set(
    emulator: Emulator, arm_token: str, function_app: FunctionApp
) -> None:
    assert patch(emulator, arm_token, "Merge", {"n" * 512: "v" * 256}).status_code == 200
    assert patch(emulator, arm_token, "Merge", {f"t{i}": "v" for i in range(49)}).status_code == 200
    too_many = patch(emulator, arm_token, "Merge", {"one-more": "v"})
    assert (too_many.status_code, too_many.json()["error"]["code"]) == (400, "InvalidTags")


def test_bad_operation_body_or_api_version_is_a_400(
    emulator: Emulator, arm_token: str, function_app: FunctionApp
) -> None:
    path = site_id(emulator) + SUFFIX
    unknown = call(emulator, arm_token, "PATCH", path, {"operation": "Upsert", "properties": {"tags": {}}})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "InvalidRequestContent")
    not_object = call(emulator, arm_token, "PATCH", path, {"operation": "Merge", "properties": {"tags": []}})
    assert (not_object.status_code, not_object.json()["error"]["code"]) == (400, "InvalidRequestContent")
    missing = call(emulator, arm_token, "GET", path, query="")
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "MissingApiVersionParameter")
    wrong = call(emulator, arm_token, "GET", path, query="api-version=2025-05-01")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "InvalidApiVersionParameter")
    newer = call(emulator, arm_token, "GET", path, query="api-version=2025-04-01")
    assert newer.status_code == 200


def test_path_after_the_site_matches_in_any_casing(
    emulator: Emulator, arm_token: str, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    path = site_id(emulator).replace("/slots/", "/SLOTS/") + "/providers/microsoft.resources/Tags/Default"
    body = {"operation": "merge", "properties": {"tags": {"a": "1"}}}
    assert call(emulator, arm_token, "PATCH", path, body).status_code == 200
    assert slot_tags(web_client) == {"a": "1"}


def test_tags_can_be_written_during_a_swap_and_stay_with_their_slot(
    emulator: Emulator, arm_token: str, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    patch(emulator, arm_token, "Merge", {"where": "production"}, slot=None)
    emulator.call(lambda b: setattr(b.speed, "swap_seconds", 30))
    web_client.web_apps.begin_swap_slot(
        "rg-demo", "func-demo", "staging", {"targetSlot": "production"}, polling=False
    )
    assert web_client.web_apps.get_slot("rg-demo", "func-demo", "staging").target_swap_slot == "production"
    assert patch(emulator, arm_token, "Merge", {"where": "staging"}).status_code == 200
    finish_swaps_now(emulator)
    assert web_client.web_apps.get_slot("rg-demo", "func-demo", "staging").target_swap_slot is None
    assert slot_tags(web_client) == {"where": "staging"}
    assert slot_tags(web_client, "production") == {"where": "production"}


# ---- slotwise's own client ------------------------------------------------------------------------
def test_product_merge_and_delete_tags_on_a_slot(services: Services, function_app: FunctionApp) -> None:
    services.web_apps.merge_tags(STAGING, {"slotwise-hold": "x", "keep": "y"})
    assert services.web_apps.get(STAGING).tags == {"slotwise-hold": "x", "keep": "y"}
    services.web_apps.merge_tags(STAGING, {"slotwise-hold": "z"})
    assert services.web_apps.get(STAGING).tags["slotwise-hold"] == "z"
    services.web_apps.delete_tags(STAGING, ["slotwise-hold", "never-there"])
    assert services.web_apps.get(STAGING).tags == {"keep": "y"}
    assert services.web_apps.get(PRODUCTION).tags == {}


def test_product_tags_on_production(services: Services, function_app: FunctionApp) -> None:
    services.web_apps.merge_tags(PRODUCTION, {"slotwise-hold": "x"})
    assert services.web_apps.get(PRODUCTION).tags == {"slotwise-hold": "x"}
    assert services.web_apps.get(STAGING).tags == {}
    services.web_apps.delete_tags(PRODUCTION, ["slotwise-hold"])
    assert services.web_apps.get(PRODUCTION).tags == {}


def test_product_errors_name_the_slot(services: Services, function_app: FunctionApp) -> None:
    with pytest.raises(NotFoundError):
        services.web_apps.merge_tags(SlotRef("rg-demo", "func-demo", "nope"), {"a": "1"})
    with pytest.raises(SlotwiseError) as refused:
        services.web_apps.merge_tags(STAGING, {"bad/name": "1"})
    assert "InvalidTagNameCharacters" in str(refused.value)


# ---- a tags write whose connection failed (Merge and Delete are idempotent: retried like a PUT) ----------
TAGS_PATH = r"/providers/Microsoft\.Resources/tags/default$"


def tag_writes(emulator: Emulator) -> int:
    return sum(
        1
        for entry in logged_requests(emulator)
        if entry["method"] == "PATCH" and entry["path"].lower().endswith(SUFFIX.lower())
    )


def test_a_tags_write_on_a_dropped_connection_is_retried(
    emulator: Emulator, services: Services, function_app: FunctionApp
) -> None:
    add_fault(emulator, path=TAGS_PATH, method="PATCH", kind="arm", drop=True, count=1)

    services.web_apps.merge_tags(STAGING, {"slotwise-hold": "x"})

    assert services.web_apps.get(STAGING).tags == {"slotwise-hold": "x"}
    assert tag_writes(emulator) == 2


@pytest.mark.parametrize("operation", ["merge", "delete"])
def test_a_tags_write_whose_answer_is_always_lost_is_read_back_and_done(
    emulator: Emulator, services: Services, function_app: FunctionApp, operation: str
) -> None:
    services.web_apps.merge_tags(STAGING, {"Slotwise-Hold": "x", "keep": "y"})
    add_fault(emulator, path=TAGS_PATH, method="PATCH", kind="arm", drop_after=True, count=None)

    if operation == "merge":
        services.web_apps.merge_tags(STAGING, {"slotwise-hold": "z"})  # ARM's names: any case
        assert services.web_apps.get(STAGING).tags == {"slotwise-hold": "z", "keep": "y"}
    else:
        services.web_apps.delete_tags(STAGING, ["slotwise-hold"])
        assert services.web_apps.get(STAGING).tags == {"keep": "y"}
    assert tag_writes(emulator) > 2  # retried, then read back


def test_a_tags_write_that_never_reached_arm_is_a_loud_failure(
    emulator: Emulator, services: Services, function_app: FunctionApp
) -> None:
    add_fault(emulator, path=TAGS_PATH, method="PATCH", kind="arm", drop=True, count=None)

    with pytest.raises(RemoteError, match="Could not reach Azure while writing tags on func-demo/staging"):
        services.web_apps.merge_tags(STAGING, {"slotwise-hold": "x"})
    assert services.web_apps.get(STAGING).tags == {}


def test_a_slow_tags_write_is_sent_again(
    emulator: Emulator, slot_env: dict[str, str], function_app: FunctionApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLOTWISE_HTTP_TIMEOUT", "1")
    slow = build_services(settings_from_env(os.environ), clock=FastClock())
    add_fault(
        emulator, path=TAGS_PATH, method="PATCH", kind="arm", latency_ms=2000, passthrough=True, count=1
    )
    try:
        slow.web_apps.merge_tags(STAGING, {"slotwise-hold": "x"})
        assert slow.web_apps.get(STAGING).tags == {"slotwise-hold": "x"}
    finally:
        slow.close()
    deadline = time.monotonic() + 10
    while tag_writes(emulator) < 2 and time.monotonic() < deadline:  # the slow first one lands late
        time.sleep(0.1)
    assert tag_writes(emulator) == 2
