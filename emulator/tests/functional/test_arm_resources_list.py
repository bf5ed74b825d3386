"""ARM's generic resource list (``GET /subscriptions/{sub}/resources``), as Microsoft's pipeline tasks
ask it to find an app's resource group (``Resources.getAppDetails`` in
azure-pipelines-tasks-azure-arm-rest)."""

from __future__ import annotations

from typing import Any

import requests

from slotwise_emulator import Emulator, FunctionApp

API = "api-version=2016-07-01"  # what the library asks for


def listed(emulator: Emulator, token: str, query: str = "") -> requests.Response:
    url = f"{emulator.arm_url}/subscriptions/{emulator.subscription_id}/resources?{API}{query}"
    return requests.get(
        url, headers={"Authorization": f"Bearer {token}"}, verify=str(emulator.ca_path), timeout=10
    )


def names_and_types(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["name"], item["type"]) for item in body["value"]]


def test_the_tasks_filter_finds_the_app_and_its_resource_group(
    emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    emulator.create_function_app("rg-other", "func-other")
    # Exactly what the library sends (its casing of the type and of EQ/AND, URL-encoded).
    query = "&$filter=resourceType%20EQ%20%27Microsoft.Web%2FSites%27%20AND%20name%20EQ%20%27func-demo%27"
    answer = listed(emulator, arm_token, query)
    assert answer.status_code == 200
    [app] = answer.json()["value"]
    group = f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-demo"
    assert app == {
        "id": f"{group}/providers/Microsoft.Web/sites/func-demo",
        "name": "func-demo",
        "type": "Microsoft.Web/sites",
        "kind": "functionapp",
        "location": app["location"],
    }
    assert app["id"].split("/")[4] == "rg-demo"  # how the library reads the group
    assert app["location"] == app["location"].lower().replace(" ", "")


def test_without_a_filter_it_lists_plans_sites_and_slots(
    emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    assert names_and_types(listed(emulator, arm_token).json()) == [
        ("func-demo-plan", "Microsoft.Web/serverFarms"),
        ("func-demo", "Microsoft.Web/sites"),
        ("func-demo/staging", "Microsoft.Web/sites/slots"),
    ]
    by_group = listed(
        emulator, arm_token, "&$filter=resourceGroup eq 'RG-DEMO' and name eq 'func-demo/staging'"
    )
    assert names_and_types(by_group.json()) == [("func-demo/staging", "Microsoft.Web/sites/slots")]
    elsewhere = listed(emulator, arm_token, "&$filter=resourceGroup eq 'rg-nowhere'")
    assert elsewhere.json() == {"value": []}


def test_a_filter_it_does_not_understand_is_a_400(
    emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    answer = listed(emulator, arm_token, "&$filter=substringof('demo', name)")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "InvalidFilterInQueryString"
