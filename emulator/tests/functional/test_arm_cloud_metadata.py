"""What az CLI relies on beyond Microsoft.Web: ARM's cloud metadata, lenient paths and full-replace
group PUT, and Entra ID's discovery documents for the multi-tenant aliases (`az logout`)."""

from __future__ import annotations

from typing import Any

import requests

from slotwise_emulator import Emulator

API = "api-version=2021-04-01"


def _get(emulator: Emulator, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(
        f"{emulator.arm_url}{path}", headers=headers, verify=str(emulator.ca_path), timeout=10
    )


def test_cloud_metadata_describes_the_emulator_without_a_token(emulator: Emulator) -> None:
    # az cloud register -n X --endpoint-resource-manager <arm>/ asks exactly this (note the double slash).
    response = _get(emulator, "//metadata/endpoints?api-version=2022-09-01")
    assert response.status_code == 200
    cloud = response.json()
    assert cloud["resourceManager"] == f"{emulator.arm_url}/"
    assert cloud["authentication"]["loginEndpoint"] == emulator.authority
    assert cloud["authentication"]["audiences"][0] == "https://management.core.windows.net/"
    assert cloud["suffixes"] == {}  # az indexes it: it must be there even when empty


def test_cloud_metadata_answers_a_list_of_clouds_for_2019_05_01(emulator: Emulator) -> None:
    clouds = _get(emulator, "/metadata/endpoints?api-version=2019-05-01").json()
    assert [cloud["resourceManager"] for cloud in clouds] == [f"{emulator.arm_url}/"]


def test_cloud_metadata_needs_an_api_version(emulator: Emulator) -> None:
    response = _get(emulator, "/metadata/endpoints")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "MissingApiVersionParameter")


def test_arm_ignores_empty_path_segments(emulator: Emulator, arm_token: str) -> None:
    response = _get(emulator, f"//subscriptions//{emulator.subscription_id}?{API}", arm_token)
    assert (response.status_code, response.json()["subscriptionId"]) == (200, emulator.subscription_id)


def test_resource_group_put_replaces_tags(emulator: Emulator, arm_token: str) -> None:
    url = f"{emulator.arm_url}/subscriptions/{emulator.subscription_id}/resourcegroups/rg-tags?{API}"

    def put(body: dict[str, Any]) -> requests.Response:
        headers = {"Authorization": f"Bearer {arm_token}"}
        return requests.put(url, json=body, headers=headers, verify=str(emulator.ca_path), timeout=10)

    tagged = put({"location": "westeurope", "tags": {"a": "1"}})
    retagged = put({"location": "westeurope", "tags": {"b": "2"}})
    untagged = put({"location": "westeurope"})
    assert tagged.json()["tags"] == {"a": "1"}
    assert retagged.json()["tags"] == {"b": "2"}
    # `az group create` on an existing group without --tags clears its tags, as ARM does
    assert "tags" not in untagged.json()


def test_login_serves_discovery_for_the_multi_tenant_aliases(emulator: Emulator) -> None:
    # az logout builds an MSAL app for <authority>/organizations, which fetches this document first.
    url = f"{emulator.authority}/organizations/v2.0/.well-known/openid-configuration"
    config = requests.get(url, verify=str(emulator.ca_path), timeout=10).json()
    assert config["issuer"] == f"{emulator.authority}/{{tenantid}}/v2.0"
    assert config["token_endpoint"] == f"{emulator.authority}/organizations/oauth2/v2.0/token"
    unknown = f"{emulator.authority}/not-a-tenant/v2.0/.well-known/openid-configuration"
    answer = requests.get(unknown, verify=str(emulator.ca_path), timeout=10)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_tenant")
