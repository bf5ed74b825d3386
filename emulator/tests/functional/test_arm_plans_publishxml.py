"""App Service plans, publishing profiles and ARM's resource-group location rule, against the live emulator.

Through the unmodified azure-mgmt-web client where it has the operation (``app_service_plans.get``,
``web_apps.list_publishing_profile_xml_with_secrets[_slot]``), through raw requests for the rest.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.web import WebSiteManagementClient

from slotwise_emulator import Emulator, FunctionApp

API = "api-version=2025-05-01"
GROUPS_API = "api-version=2024-11-01"
PLAN = "func-demo-plan"


def call(emulator: Emulator, token: str, method: str, path: str, body: Any = None, query: str = API) -> Any:
    return requests.request(
        method,
        f"{emulator.arm_url}/subscriptions/{emulator.subscription_id}{path}?{query}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        verify=str(emulator.ca_path),
        timeout=10,
    )


def group_path(rg: str = "rg-demo") -> str:
    return f"/resourceGroups/{rg}"


def web_path(rg: str = "rg-demo") -> str:
    return f"{group_path(rg)}/providers/Microsoft.Web"


def profiles_of(chunks: Any) -> dict[str, dict[str, str]]:
    """publishMethod -> attributes of each publishProfile in a publishxml answer."""
    root = ET.fromstring(b"".join(chunks))  # noqa: S314 - the emulator's own answer
    assert root.tag == "publishData"
    return {p.attrib["publishMethod"]: dict(p.attrib) for p in root.findall("publishProfile")}


def issued_secrets(emulator: Emulator) -> list[str]:
    answer = requests.get(f"{emulator.arm_url}/_emulator/secrets", verify=str(emulator.ca_path), timeout=10)
    return list(answer.json()["keys"])


# ---- App Service plans ----------------------------------------------------------------------------
def test_a_function_app_runs_on_an_elastic_premium_plan_its_site_resolves(
    web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    site = web_client.web_apps.get("rg-demo", "func-demo")
    plan = web_client.app_service_plans.get("rg-demo", PLAN)
    assert site.properties.server_farm_id == plan.id
    assert plan.id.endswith(f"/resourceGroups/rg-demo/providers/Microsoft.Web/serverfarms/{PLAN}")
    assert (plan.name, plan.type, plan.kind, plan.location) == (
        PLAN,
        "Microsoft.Web/serverfarms",
        "elastic",
        "West Europe",
    )
    assert plan.sku.as_dict() == {
        "name": "EP1",
        "tier": "ElasticPremium",
        "size": "EP1",
        "family": "EP",
        "capacity": 1,
    }
    props = plan.properties
    assert (props.status, props.provisioning_state, props.reserved) == ("Ready", "Succeeded", False)
    assert (props.number_of_sites, props.resource_group, props.elastic_scale_enabled) == (1, "rg-demo", True)
    assert site.properties.sku == plan.sku.tier  # the site's own sku property agrees with its plan
    staging = web_client.web_apps.get_slot("rg-demo", "func-demo", "staging")
    assert (staging.properties.server_farm_id, staging.properties.sku) == (plan.id, "ElasticPremium")


def test_a_web_app_runs_on_a_standard_plan(web_client: WebSiteManagementClient, emulator: Emulator) -> None:
    emulator.create_function_app("rg-web", "web-demo", slots=(), kind="app")
    plan = web_client.app_service_plans.get("rg-web", "web-demo-plan")
    assert (plan.kind, plan.sku.tier, plan.sku.name, plan.sku.family) == ("app", "Standard", "S1", "S")
    assert plan.properties.elastic_scale_enabled is False
    assert web_client.web_apps.get("rg-web", "web-demo").properties.sku == "Standard"


def test_plans_are_listed_in_their_group_and_subscription(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    emulator.create_function_app("rg-other", "func-other", slots=())
    in_group = [p.name for p in web_client.app_service_plans.list_by_resource_group("rg-demo")]
    assert in_group == [PLAN]
    everywhere = sorted(p.name for p in web_client.app_service_plans.list())
    assert everywhere == ["func-demo-plan", "func-other-plan"]
    answer = call(emulator, arm_token, "GET", f"{web_path()}/serverfarms")
    assert answer.status_code == 200
    assert answer.json()["nextLink"] is None


def test_a_missing_plan_or_group_is_arms_404(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    with pytest.raises(ResourceNotFoundError) as missing:
        web_client.app_service_plans.get("rg-demo", "no-such-plan")
    assert missing.value.error is not None
    assert missing.value.error.code == "ResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as no_group:
        web_client.app_service_plans.get("rg-none", PLAN)
    assert no_group.value.error is not None
    assert no_group.value.error.code == "ResourceGroupNotFound"
    bad_version = call(emulator, arm_token, "GET", f"{web_path()}/serverfarms/{PLAN}", query="api-version=1")
    assert (bad_version.status_code, bad_version.json()["error"]["code"]) == (
        400,
        "InvalidApiVersionParameter",
    )


def test_a_site_put_may_move_it_to_an_existing_plan_only(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    emulator.create_function_app("rg-demo", "func-two", slots=())
    plan_id = web_client.app_service_plans.get("rg-demo", PLAN).id
    body = {"location": "westeurope", "kind": "functionapp", "properties": {"serverFarmId": plan_id.upper()}}
    moved = call(emulator, arm_token, "PUT", f"{web_path()}/sites/func-two", body)
    assert moved.status_code == 200
    assert moved.json()["properties"]["serverFarmId"] == plan_id  # the plan's own spelling
    assert web_client.app_service_plans.get("rg-demo", PLAN).properties.number_of_sites == 2
    assert web_client.app_service_plans.get("rg-demo", "func-two-plan").properties.number_of_sites == 0

    body["properties"] = {"serverFarmId": plan_id.replace(PLAN, "nope-plan")}
    missing = call(emulator, arm_token, "PUT", f"{web_path()}/sites/func-two", body)
    assert missing.status_code == 404
    assert missing.json()["Code"] == "NotFound"
    assert missing.json()["Message"] == "Cannot find ServerFarm with name nope-plan."
    created = call(emulator, arm_token, "PUT", f"{web_path()}/sites/func-three", body)
    assert created.status_code == 404
    with pytest.raises(ResourceNotFoundError):
        web_client.web_apps.get("rg-demo", "func-three")
    not_an_id = call(
        emulator, arm_token, "PATCH", f"{web_path()}/sites/func-two", {"properties": {"serverFarmId": "x"}}
    )
    assert not_an_id.status_code == 400


def test_a_new_site_by_put_names_its_plan(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    plan_id = web_client.app_service_plans.get("rg-demo", PLAN).id
    body = {"location": "westeurope", "kind": "functionapp", "properties": {"serverFarmId": plan_id}}
    assert call(emulator, arm_token, "PUT", f"{web_path()}/sites/func-new", body).status_code == 200
    assert web_client.web_apps.get("rg-demo", "func-new").properties.server_farm_id == plan_id
    assert [p.name for p in web_client.app_service_plans.list_by_resource_group("rg-demo")] == [PLAN]


def test_deleting_the_last_site_keeps_its_plan_unless_asked(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    emulator.create_function_app("rg-demo", "func-two", slots=())
    web_client.web_apps.delete("rg-demo", "func-two")
    assert web_client.app_service_plans.get("rg-demo", "func-two-plan").properties.number_of_sites == 0
    web_client.web_apps.delete("rg-demo", "func-demo", delete_empty_server_farm=True)
    with pytest.raises(ResourceNotFoundError):
        web_client.app_service_plans.get("rg-demo", PLAN)


def test_deleting_a_group_deletes_its_plans(
    emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    assert call(emulator, arm_token, "DELETE", group_path(), query=GROUPS_API).status_code == 202
    assert (
        call(emulator, arm_token, "PUT", group_path(), {"location": "westeurope"}, GROUPS_API).status_code
        == 201
    )
    assert call(emulator, arm_token, "GET", f"{web_path()}/serverfarms").json()["value"] == []


# ---- publishing profiles --------------------------------------------------------------------------
def test_publishxml_has_web_deploy_ftp_and_zip_deploy_profiles_of_the_site(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    site = web_client.web_apps.get("rg-demo", "func-demo").properties
    scm = next(s.name for s in site.host_name_ssl_states if s.host_type == "Repository")
    chunks = web_client.web_apps.list_publishing_profile_xml_with_secrets(
        "rg-demo", "func-demo", {"format": "WebDeploy"}
    )
    profiles = profiles_of(chunks)
    assert list(profiles) == ["MSDeploy", "FTP", "ZipDeploy"]
    web_deploy, ftp, zip_deploy = profiles["MSDeploy"], profiles["FTP"], profiles["ZipDeploy"]
    assert web_deploy["profileName"] == "func-demo - Web Deploy"
    assert (web_deploy["publishUrl"], web_deploy["msdeploySite"], web_deploy["userName"]) == (
        scm,
        "func-demo",
        "$func-demo",
    )
    assert web_deploy["destinationAppUrl"] == f"https://{site.default_host_name}"
    assert ftp["profileName"] == "func-demo - FTP"
    assert ftp["publishUrl"] == "ftps://127.0.0.1/site/wwwroot"  # no FTP server: nothing listens there
    assert ftp["userName"] == "func-demo\\$func-demo"
    assert (zip_deploy["profileName"], zip_deploy["publishUrl"]) == ("func-demo - Zip Deploy", scm)
    password = web_deploy["userPWD"]
    assert len(password) == 60
    assert password.isalnum()
    assert ftp["userPWD"] == zip_deploy["userPWD"] == password
    assert password in issued_secrets(emulator)


def test_each_slot_has_its_own_password_which_stays_with_it_through_a_swap(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    apps = web_client.web_apps

    def staging_profiles() -> dict[str, dict[str, str]]:
        return profiles_of(
            apps.list_publishing_profile_xml_with_secrets_slot("rg-demo", "func-demo", "staging", {})
        )

    staging = staging_profiles()["MSDeploy"]
    production = profiles_of(apps.list_publishing_profile_xml_with_secrets("rg-demo", "func-demo", {}))
    assert staging["profileName"] == "func-demo-staging - Web Deploy"
    assert (staging["msdeploySite"], staging["userName"]) == ("func-demo__staging", "$func-demo__staging")
    assert staging["userPWD"] != production["MSDeploy"]["userPWD"]
    entity = {"targetSlot": "production", "preserveVnet": True}
    apps.begin_swap_slot("rg-demo", "func-demo", "staging", entity, polling_interval=0).result()
    assert staging_profiles()["MSDeploy"]["userPWD"] == staging["userPWD"]
    assert staging["userPWD"] in issued_secrets(emulator)


def test_publishxml_formats_and_errors(emulator: Emulator, function_app: FunctionApp, arm_token: str) -> None:
    path = f"{web_path()}/sites/func-demo/publishxml"
    ftp = call(emulator, arm_token, "POST", path, {"format": "ftp"})
    assert (ftp.status_code, ftp.headers["content-type"]) == (200, "application/xml")
    assert ftp.text.startswith("<publishData><publishProfile ")
    assert call(emulator, arm_token, "POST", path).text == ftp.text  # no body: the default profile
    zilla = call(emulator, arm_token, "POST", path, {"format": "FileZilla3"})
    server = ET.fromstring(zilla.content).find("Servers/Server")  # noqa: S314 - the emulator's own answer
    assert server is not None
    assert server.findtext("User") == "func-demo\\$func-demo"
    bad = call(emulator, arm_token, "POST", path, {"format": "Zip"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "InvalidRequestContent")
    missing = call(emulator, arm_token, "POST", f"{web_path()}/sites/func-demo/slots/nope/publishxml", {})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "ResourceNotFound")


def test_the_sdk_raises_for_a_missing_site(
    web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    with pytest.raises(HttpResponseError) as missing:
        list(web_client.web_apps.list_publishing_profile_xml_with_secrets("rg-demo", "nope", {}))
    assert missing.value.status_code == 404


# ---- resource group location ----------------------------------------------------------------------
def test_a_group_keeps_its_location(emulator: Emulator, function_app: FunctionApp, arm_token: str) -> None:
    moved = call(emulator, arm_token, "PUT", group_path(), {"location": "eastus"}, GROUPS_API)
    assert moved.status_code == 409
    assert moved.json()["error"] == {
        "code": "InvalidResourceGroupLocation",
        "message": "Invalid resource group location 'eastus'. "
        "The Resource group already exists in location 'westeurope'.",
    }
    for same in ("westeurope", "West Europe", "WESTEUROPE"):
        again = call(emulator, arm_token, "PUT", group_path("RG-Demo"), {"location": same}, GROUPS_API)
        assert (again.status_code, again.json()["location"]) == (200, "westeurope")
