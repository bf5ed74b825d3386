"""ARM Microsoft.Web as the unmodified azure-mgmt-web client sees it, against the live emulator."""

from __future__ import annotations

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.web import WebSiteManagementClient

from slotwise_emulator import Emulator, FunctionApp
from slotwise_emulator.backends import Backends
from slotwise_emulator.backends.model import FunctionDef, Slot

ENTITY = {"targetSlot": "production", "preserveVnet": True}


def slot_of(emulator: Emulator, app: FunctionApp, slot: str) -> Slot:
    return emulator.call(lambda b: b.web.slot(app.subscription_id, app.resource_group, app.name, slot))


def deploy_function(emulator: Emulator, app: FunctionApp, slot: str, name: str, route: str) -> None:
    """Put a function into a slot's content, as a finished zip deployment would."""

    def deploy(b: Backends) -> None:
        target = b.web.slot(app.subscription_id, app.resource_group, app.name, slot)
        config = {"bindings": [{"type": "httpTrigger", "route": route, "authLevel": "function"}]}
        target.content.functions[name.lower()] = FunctionDef(name, route, ["GET"], "function", config=config)

    emulator.call(deploy)


def set_deployment_id(emulator: Emulator, app: FunctionApp, slot: str, deployment_id: str) -> None:
    def mark(b: Backends) -> None:
        b.web.slot(
            app.subscription_id, app.resource_group, app.name, slot
        ).content.deployment_id = deployment_id

    emulator.call(mark)


# ---- sites and slots ------------------------------------------------------------------------------
def test_get_and_list_slots(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    staging = slot_of(emulator, function_app, "staging")
    site = web_client.web_apps.get_slot("rg-demo", "func-demo", "staging")
    assert (site.name, site.type, site.kind) == (
        "func-demo/staging",
        "Microsoft.Web/sites/slots",
        "functionapp",
    )
    assert site.id.endswith("/resourceGroups/rg-demo/providers/Microsoft.Web/sites/func-demo/slots/staging")
    assert site.properties.default_host_name == staging.host_name
    ssl = {s.host_type: s.name for s in site.properties.host_name_ssl_states}
    assert ssl == {"Standard": staging.host_name, "Repository": staging.scm_host_name}
    assert site.properties.server_farm_id.endswith("/providers/Microsoft.Web/serverfarms/func-demo-plan")
    assert site.properties.slot_swap_status is None
    assert [s.name for s in web_client.web_apps.list_slots("rg-demo", "func-demo")] == ["func-demo/staging"]
    assert [s.name for s in web_client.web_apps.list_by_resource_group("rg-demo")] == ["func-demo"]
    production = web_client.web_apps.get("rg-demo", "func-demo")
    assert production.properties.default_host_name != staging.host_name


def test_unknown_slot_is_resource_not_found(
    web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    with pytest.raises(ResourceNotFoundError) as missing:
        web_client.web_apps.get_slot("rg-demo", "func-demo", "nope")
    assert missing.value.response.json()["error"]["code"] == "ResourceNotFound"


def test_slot_put_replaces_tags_and_delete_removes_it(
    web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    slots = web_client.web_apps
    body = {"location": "westeurope", "tags": {"env": "qa", "owner": "me"}, "properties": {"httpsOnly": True}}
    created = slots.begin_create_or_update_slot(
        "rg-demo", "func-demo", "qa", body, polling_interval=0
    ).result()
    assert (created.name, created.tags, created.properties.https_only) == ("func-demo/qa", body["tags"], True)
    again = {"location": "westeurope", "tags": {"env": "qa"}, "properties": {}}
    slots.begin_create_or_update_slot("rg-demo", "func-demo", "qa", again, polling_interval=0).result()
    fetched = slots.get_slot("rg-demo", "func-demo", "qa")
    assert (fetched.tags, fetched.properties.https_only) == ({"env": "qa"}, True)
    slots.delete_slot("rg-demo", "func-demo", "qa")
    with pytest.raises(ResourceNotFoundError):
        slots.get_slot("rg-demo", "func-demo", "qa")


def test_restart_answers_200_and_restarts_only_that_slot(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    web_client.web_apps.restart_slot("rg-demo", "func-demo", "staging")
    assert slot_of(emulator, function_app, "staging").last_restart is not None
    assert slot_of(emulator, function_app, "production").last_restart is None


def test_requests_without_a_token_get_401(emulator: Emulator, function_app: FunctionApp) -> None:
    url = (
        f"{emulator.arm_url}/subscriptions/{emulator.subscription_id}/resourceGroups/rg-demo/providers/"
        "Microsoft.Web/sites/func-demo/slots/staging?api-version=2025-05-01"
    )
    response = requests.get(url, verify=str(emulator.ca_path), timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"


# ---- configuration --------------------------------------------------------------------------------
def test_app_settings_are_replaced_and_listed_per_slot(
    web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    apps = web_client.web_apps
    written = apps.update_application_settings_slot(
        "rg-demo", "func-demo", "staging", {"properties": {"FEATURE": "on", "DB": "stage"}}
    )
    assert written.properties == {"FEATURE": "on", "DB": "stage"}
    apps.update_application_settings("rg-demo", "func-demo", {"properties": {"DB": "prod"}})
    listed = apps.list_application_settings_slot("rg-demo", "func-demo", "staging")
    assert (listed.name, listed.type) == ("appsettings", "Microsoft.Web/sites/slots/config")
    assert listed.properties == {"FEATURE": "on", "DB": "stage"}
    assert apps.list_application_settings("rg-demo", "func-demo").properties == {"DB": "prod"}


def test_slot_config_names_start_empty_and_are_replaced(
    web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    apps = web_client.web_apps
    assert apps.list_slot_configuration_names("rg-demo", "func-demo").properties.app_setting_names is None
    names = {"properties": {"appSettingNames": ["DB"], "connectionStringNames": ["Main"]}}
    apps.update_slot_configuration_names("rg-demo", "func-demo", names)
    fetched = apps.list_slot_configuration_names("rg-demo", "func-demo").properties
    assert (fetched.app_setting_names, fetched.connection_string_names) == (["DB"], ["Main"])


# ---- functions and keys -----------------------------------------------------------------------------
def test_functions_of_a_slot_are_listed_with_invoke_urls(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    deploy_function(emulator, function_app, "staging", "Hello", "greet/{name}")
    staging = slot_of(emulator, function_app, "staging")
    functions = list(web_client.web_apps.list_instance_functions_slot("rg-demo", "func-demo", "staging"))
    assert [f.name for f in functions] == ["func-demo/staging/Hello"]
    assert functions[0].properties.invoke_url_template == f"https://{staging.host_name}/api/greet/{{name}}"
    one = web_client.web_apps.get_instance_function_slot("rg-demo", "func-demo", "Hello", "staging")
    assert one.properties.config["bindings"][0]["type"] == "httpTrigger"
    assert list(web_client.web_apps.list_instance_functions_slot("rg-demo", "func-demo", "production")) == []


def test_function_and_host_keys_are_the_slots_own(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    deploy_function(emulator, function_app, "staging", "hello", "hello")
    deploy_function(emulator, function_app, "production", "hello", "hello")
    staging_keys = web_client.web_apps.list_function_keys_slot("rg-demo", "func-demo", "hello", "staging")
    assert staging_keys.properties is None  # a flat dictionary, not a resource
    assert list(staging_keys) == ["default"]
    again = web_client.web_apps.list_function_keys_slot("rg-demo", "func-demo", "hello", "staging")
    production = web_client.web_apps.list_function_keys("rg-demo", "func-demo", "hello")
    assert dict(again) == dict(staging_keys) != dict(production)
    host = web_client.web_apps.list_host_keys_slot("rg-demo", "func-demo", "staging")
    staging = slot_of(emulator, function_app, "staging")
    assert (host.master_key, host.function_keys) == (staging.master_key, staging.host_function_keys)
    with pytest.raises(ResourceNotFoundError):
        web_client.web_apps.list_function_keys_slot("rg-demo", "func-demo", "absent", "staging")


# ---- swap -------------------------------------------------------------------------------------------
def test_swap_poller_completes_and_both_slots_show_it(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    set_deployment_id(emulator, function_app, "production", "build-41")
    set_deployment_id(emulator, function_app, "staging", "build-42")
    apps = web_client.web_apps
    apps.update_slot_configuration_names("rg-demo", "func-demo", {"properties": {"appSettingNames": ["DB"]}})
    apps.update_application_settings("rg-demo", "func-demo", {"properties": {"DB": "prod", "V": "41"}})
    apps.update_application_settings_slot(
        "rg-demo", "func-demo", "staging", {"properties": {"DB": "stage", "V": "42"}}
    )
    poller = apps.begin_swap_slot("rg-demo", "func-demo", "staging", ENTITY, polling_interval=0)
    assert poller.result() is None
    assert poller.status() == "Succeeded"
    production, staging = apps.get("rg-demo", "func-demo"), apps.get_slot("rg-demo", "func-demo", "staging")
    # deploymentId is not in the SDK's model; its models keep the raw JSON keys
    assert (production.properties["deploymentId"], staging.properties["deploymentId"]) == (
        "build-42",
        "build-41",
    )
    for site in (production, staging):
        status = site.properties.slot_swap_status
        assert (status.source_slot_name, status.destination_slot_name) == ("staging", "Production")
    assert apps.list_application_settings("rg-demo", "func-demo").properties == {"DB": "prod", "V": "42"}
    assert apps.list_application_settings_slot("rg-demo", "func-demo", "staging").properties == {
        "DB": "stage",
        "V": "41",
    }


def test_swap_with_production_as_source(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    set_deployment_id(emulator, function_app, "staging", "build-42")
    entity = {"targetSlot": "staging", "preserveVnet": True}
    web_client.web_apps.begin_swap_slot_with_production(
        "rg-demo", "func-demo", entity, polling_interval=0
    ).result()
    assert web_client.web_apps.get("rg-demo", "func-demo").properties["deploymentId"] == "build-42"


def test_a_failing_swap_raises_the_services_error_and_swaps_nothing(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    set_deployment_id(emulator, function_app, "staging", "build-42")
    emulator.call(lambda b: b.web.fail_next_swap(function_app.subscription_id, "rg-demo", "func-demo"))
    poller = web_client.web_apps.begin_swap_slot(
        "rg-demo", "func-demo", "staging", ENTITY, polling_interval=0
    )
    with pytest.raises(HttpResponseError) as failed:
        poller.result()
    assert failed.value.status_code == 400
    body = failed.value.response.json()
    assert body["Code"] == "BadRequest"
    assert "Cannot swap slots for site 'func-demo'" in body["Message"]
    assert web_client.web_apps.get("rg-demo", "func-demo").properties["deploymentId"] == "func-demo"
    assert web_client.web_apps.get("rg-demo", "func-demo").properties.slot_swap_status is None


def test_changes_during_a_swap_get_app_services_409(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    emulator.call(lambda b: setattr(b.speed, "swap_seconds", 30))
    apps = web_client.web_apps
    apps.begin_swap_slot("rg-demo", "func-demo", "staging", ENTITY, polling=False)
    with pytest.raises(ResourceExistsError) as conflict:
        apps.update_application_settings("rg-demo", "func-demo", {"properties": {"A": "1"}})
    assert conflict.value.status_code == 409
    body = conflict.value.response.json()
    assert body["Code"] == "Conflict"
    assert body["Message"].startswith("Cannot modify this site because another operation is in progress.")
    with pytest.raises(ResourceExistsError):
        apps.restart_slot("rg-demo", "func-demo", "staging")
    with pytest.raises(ResourceExistsError):
        apps.begin_swap_slot("rg-demo", "func-demo", "staging", ENTITY, polling=False)
    running = apps.get_slot("rg-demo", "func-demo", "staging")
    assert running.properties.target_swap_slot == "production"


def test_swap_with_preview_can_be_cancelled(
    web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    apps = web_client.web_apps
    apps.update_slot_configuration_names("rg-demo", "func-demo", {"properties": {"appSettingNames": ["DB"]}})
    apps.update_application_settings("rg-demo", "func-demo", {"properties": {"DB": "prod"}})
    apps.update_application_settings_slot("rg-demo", "func-demo", "staging", {"properties": {"DB": "stage"}})
    apps.apply_slot_configuration_slot("rg-demo", "func-demo", "staging", ENTITY)
    assert apps.list_application_settings_slot("rg-demo", "func-demo", "staging").properties == {"DB": "prod"}
    assert apps.get_slot("rg-demo", "func-demo", "staging").properties.target_swap_slot == "production"
    with pytest.raises(ResourceExistsError) as conflict:
        apps.update_application_settings("rg-demo", "func-demo", {"properties": {"DB": "x"}})
    assert "prepared for swap" in conflict.value.response.json()["Message"]
    apps.reset_slot_configuration_slot("rg-demo", "func-demo", "staging")
    assert apps.list_application_settings_slot("rg-demo", "func-demo", "staging").properties == {
        "DB": "stage"
    }
    apps.update_application_settings("rg-demo", "func-demo", {"properties": {"DB": "prod2"}})  # unlocked


def test_swap_with_preview_from_production_completes_with_a_swap(
    web_client: WebSiteManagementClient, emulator: Emulator, function_app: FunctionApp
) -> None:
    set_deployment_id(emulator, function_app, "staging", "build-42")
    apps = web_client.web_apps
    entity = {"targetSlot": "staging", "preserveVnet": True}
    apps.apply_slot_config_to_production("rg-demo", "func-demo", entity)
    assert apps.get("rg-demo", "func-demo").properties.target_swap_slot == "staging"
    apps.begin_swap_slot_with_production("rg-demo", "func-demo", entity, polling_interval=0).result()
    production = apps.get("rg-demo", "func-demo").properties
    assert (production["deploymentId"], production.target_swap_slot) == ("build-42", None)
    apps.apply_slot_config_to_production("rg-demo", "func-demo", entity)
    apps.reset_production_slot_config("rg-demo", "func-demo")
    assert apps.get("rg-demo", "func-demo").properties.target_swap_slot is None


def test_slot_differences_list_the_settings_a_swap_changes(
    web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    apps = web_client.web_apps
    apps.update_application_settings("rg-demo", "func-demo", {"properties": {"V": "41"}})
    apps.update_application_settings_slot("rg-demo", "func-demo", "staging", {"properties": {"V": "42"}})
    diffs = list(apps.list_slot_differences_slot("rg-demo", "func-demo", "staging", ENTITY))
    assert [(d.properties.setting_name, d.properties.diff_rule) for d in diffs] == [
        ("V", "SettingsWillBeModifiedInDestination")
    ]
    assert (diffs[0].properties.value_in_current_slot, diffs[0].properties.value_in_target_slot) == (
        "42",
        "41",
    )


# ---- api-versions ---------------------------------------------------------------------------------
def sites_path(emulator: Emulator) -> str:
    return f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-demo/providers/Microsoft.Web/sites"


@pytest.mark.parametrize("version", ["2016-08-01", "2018-02-01", "2022-03-01", "2024-11-01", "2025-05-01"])
def test_published_microsoft_web_versions_are_served_with_the_same_bodies(
    emulator: Emulator, arm_token: str, function_app: FunctionApp, version: str
) -> None:
    path = sites_path(emulator)
    response = requests.get(
        f"{emulator.arm_url}{path}/func-demo/slots/staging?api-version={version}",
        headers={"Authorization": f"Bearer {arm_token}"},
        verify=str(emulator.ca_path),
        timeout=10,
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["type"]) == (
        "func-demo/staging",
        "Microsoft.Web/sites/slots",
    )


@pytest.mark.parametrize("version", ["2099-01-01", "2025-05-01-preview", "2015-08-01", "latest"])
def test_unknown_microsoft_web_versions_get_invalid_api_version(
    emulator: Emulator, arm_token: str, function_app: FunctionApp, version: str
) -> None:
    path = sites_path(emulator)
    response = requests.get(
        f"{emulator.arm_url}{path}?api-version={version}",
        headers={"Authorization": f"Bearer {arm_token}"},
        verify=str(emulator.ca_path),
        timeout=10,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "InvalidApiVersionParameter")
    assert "2016-08-01" in response.json()["error"]["message"]


def test_a_swap_asked_with_an_older_version_is_polled_with_it(
    emulator: Emulator, arm_token: str, function_app: FunctionApp
) -> None:
    site = f"{sites_path(emulator)}/func-demo"
    headers = {"Authorization": f"Bearer {arm_token}"}
    accepted = requests.post(
        f"{emulator.arm_url}{site}/slots/staging/slotsswap?api-version=2022-03-01",
        json=ENTITY,
        headers=headers,
        verify=str(emulator.ca_path),
        timeout=10,
    )
    assert accepted.status_code == 202
    location = accepted.headers["Location"]
    assert "api-version=2022-03-01&" in location
    done = requests.get(location, headers=headers, verify=str(emulator.ca_path), timeout=10)
    assert (done.status_code, done.json()["name"]) == (200, "func-demo/staging")
