"""Publishing credentials (``POST .../config/publishingcredentials/list``), the basic-auth policy of
the SCM site (``basicPublishingCredentialsPolicies/scm``) and Kudu taking those credentials as Basic
auth: how Microsoft's pipeline tasks reach Kudu (``AzureAppServiceUtility.getKuduService``). Through
the unmodified azure-mgmt-web client where it has the operation, through raw requests for Kudu."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.mgmt.web import WebSiteManagementClient

from slotwise_emulator import Emulator, FunctionApp

API = "api-version=2016-08-01"  # what Microsoft's library asks for


def arm(emulator: Emulator, token: str, method: str, path: str, body: object = None) -> requests.Response:
    group = f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-demo"
    return requests.request(
        method,
        f"{emulator.arm_url}{group}/providers/Microsoft.Web/sites/func-demo{path}?{API}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        verify=str(emulator.ca_path),
        timeout=10,
    )


def kudu(emulator: Emulator, slot: str, authorization: str) -> requests.Response:
    host = emulator.call(
        lambda b: b.web.slot(emulator.subscription_id, "rg-demo", "func-demo", slot).scm_host_name
    )
    return requests.get(
        f"https://{host}/api/deployments",
        headers={"Authorization": authorization},
        verify=str(emulator.ca_path),
        timeout=10,
    )


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_sdk_lists_the_publishing_credentials_of_the_app_and_a_slot(
    emulator: Emulator, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    production = web_client.web_apps.begin_list_publishing_credentials("rg-demo", "func-demo").result()
    staging = web_client.web_apps.begin_list_publishing_credentials_slot(
        "rg-demo", "func-demo", "staging"
    ).result()
    assert (production.publishing_user_name, staging.publishing_user_name) == (
        "$func-demo",
        "$func-demo__staging",
    )
    assert production.publishing_password != staging.publishing_password
    for slot, user in ((None, production), ("staging", staging)):
        site = (
            web_client.web_apps.get_slot("rg-demo", "func-demo", slot)
            if slot
            else web_client.web_apps.get("rg-demo", "func-demo")
        )
        scm_host = next(s.name for s in site.host_name_ssl_states or [] if s.host_type == "Repository")
        # App Service writes the credentials into the SCM address; clients take Kudu's host from it.
        assert user.scm_uri == f"https://{user.publishing_user_name}:{user.publishing_password}@{scm_host}"
        assert urlsplit(user.scm_uri).hostname == "127.0.0.1"


def test_the_credentials_are_the_publishing_profiles_and_listed_as_secrets(
    emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    answer = arm(emulator, arm_token, "POST", "/slots/staging/config/publishingcredentials/list")
    assert answer.status_code == 200
    user = answer.json()
    assert user["type"] == "Microsoft.Web/sites/slots/publishingcredentials"
    assert user["name"] == "func-demo__staging"
    assert user["id"].endswith("/sites/func-demo/slots/staging/publishingcredentials/$func-demo__staging")
    properties = user["properties"]
    assert (properties["publishingPasswordHash"], properties["isDeleted"]) == (None, False)
    xml = arm(emulator, arm_token, "POST", "/slots/staging/publishxml", {}).text
    profile = ET.fromstring(xml)  # noqa: S314 - the emulator's own answer
    passwords = {p.get("userPWD") for p in profile.iter("publishProfile")}
    assert passwords == {properties["publishingPassword"]}
    secrets = requests.get(f"{emulator.arm_url}/_emulator/secrets", verify=str(emulator.ca_path), timeout=10)
    assert properties["publishingPassword"] in str(secrets.json())


def test_kudu_takes_the_slots_own_credentials_as_basic_auth(
    emulator: Emulator, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    staging = web_client.web_apps.begin_list_publishing_credentials_slot(
        "rg-demo", "func-demo", "staging"
    ).result()
    production = web_client.web_apps.begin_list_publishing_credentials("rg-demo", "func-demo").result()
    user, password = staging.publishing_user_name, staging.publishing_password or ""
    assert kudu(emulator, "staging", basic(user, password)).status_code == 200
    refused = kudu(emulator, "staging", basic(user, password + "x"))
    assert (refused.status_code, refused.content) == (401, b"")
    assert refused.headers["WWW-Authenticate"] == 'Basic realm="func-demo"'
    other = kudu(
        emulator, "staging", basic(production.publishing_user_name, production.publishing_password or "")
    )
    assert other.status_code == 401
    assert kudu(emulator, "staging", "Basic not-base64!").status_code == 401


def test_the_scm_policy_turns_basic_auth_off_but_not_tokens(
    emulator: Emulator, function_app: FunctionApp, web_client: WebSiteManagementClient, arm_token: str
) -> None:
    apps = web_client.web_apps
    assert apps.get_scm_allowed("rg-demo", "func-demo").allow is True
    assert apps.get_scm_allowed_slot("rg-demo", "func-demo", "staging").allow is True
    turned = apps.update_scm_allowed_slot("rg-demo", "func-demo", "staging", {"properties": {"allow": False}})
    assert turned.allow is False
    assert turned.name == "scm"
    assert turned.type == "Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies"
    assert apps.get_scm_allowed_slot("rg-demo", "func-demo", "staging").allow is False
    assert apps.get_scm_allowed("rg-demo", "func-demo").allow is True  # the slot's own policy
    staging = apps.begin_list_publishing_credentials_slot("rg-demo", "func-demo", "staging").result()
    credentials = basic(staging.publishing_user_name, staging.publishing_password or "")
    assert kudu(emulator, "staging", credentials).status_code == 401
    assert kudu(emulator, "staging", f"Bearer {arm_token}").status_code == 200
    apps.update_scm_allowed_slot("rg-demo", "func-demo", "staging", {"properties": {"allow": True}})
    assert kudu(emulator, "staging", credentials).status_code == 200


def test_the_scm_policy_stays_with_its_slot_through_a_swap(
    emulator: Emulator, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    apps = web_client.web_apps
    apps.update_scm_allowed("rg-demo", "func-demo", {"properties": {"allow": False}})
    apps.begin_swap_slot(
        "rg-demo", "func-demo", "staging", {"targetSlot": "production"}, polling_interval=0
    ).result()
    assert apps.get_scm_allowed("rg-demo", "func-demo").allow is False
    assert apps.get_scm_allowed_slot("rg-demo", "func-demo", "staging").allow is True


@pytest.mark.parametrize("body", [{}, {"properties": {}}, {"properties": {"allow": "false"}}])
def test_a_policy_without_a_boolean_allow_is_a_400(
    emulator: Emulator, function_app: FunctionApp, arm_token: str, body: object
) -> None:
    answer = arm(emulator, arm_token, "PUT", "/basicPublishingCredentialsPolicies/scm", body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "InvalidRequestContent")


def test_credentials_of_a_missing_slot_are_arms_404(
    emulator: Emulator, function_app: FunctionApp, web_client: WebSiteManagementClient
) -> None:
    with pytest.raises(HttpResponseError) as raised:
        web_client.web_apps.begin_list_publishing_credentials_slot("rg-demo", "func-demo", "nope").result()
    assert raised.value.status_code == 404
    assert raised.value.error is not None
    assert raised.value.error.code == "ResourceNotFound"
