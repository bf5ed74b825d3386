"""What a swap preflight reads, as the unmodified azure-mgmt-web client and the function host see it:
functions of every trigger type with their bindings, disabled per slot by a sticky
``AzureWebJobs.<name>.Disabled``; ``slotsdiffs`` over app settings and connection strings; the stack
versions in the site config, which swap with the content; and the driver helpers that set them up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from azure.mgmt.web import WebSiteManagementClient
from azure.mgmt.web.models import SiteConfigResource

from slotwise_emulator import Emulator, EmulatorError, FunctionApp
from slotwise_emulator.apps import BACKGROUND, app_files, good_build, write_zip
from slotwise_emulator.backends.model import Slot

RG, APP = "rg-demo", "func-demo"
TO_PRODUCTION = {"targetSlot": "production", "preserveVnet": True}
FROM_PRODUCTION = {"targetSlot": "staging", "preserveVnet": True}


def slot_of(emulator: Emulator, app: FunctionApp, slot: str) -> Slot:
    return emulator.call(lambda b: b.web.slot(app.subscription_id, app.resource_group, app.name, slot))


def deploy(emulator: Emulator, app: FunctionApp, slot: str, package: Path, token: str) -> None:
    """A synchronous zip deploy through the slot's Kudu, as a pipeline does it."""
    scm = slot_of(emulator, app, slot).scm_host_name
    response = requests.post(
        f"https://{scm}/api/zipdeploy",
        data=package.read_bytes(),
        headers={"Authorization": f"Bearer {token}"},
        verify=str(emulator.ca_path),
        timeout=60,
    )
    assert response.status_code == 200, response.text


def call_host(emulator: Emulator, app: FunctionApp, slot: str, path: str, key: str = "") -> requests.Response:
    host = slot_of(emulator, app, slot).host_name
    headers = {"x-functions-key": key} if key else {}
    return requests.get(f"https://{host}{path}", headers=headers, verify=str(emulator.ca_path), timeout=30)


@pytest.fixture
def with_background(
    emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path
) -> FunctionApp:
    """Staging runs a build with a timer and a queue function; production a plain HTTP build."""
    deploy(emulator, function_app, "production", good_build(tmp_path / "v1.zip", "1"), arm_token)
    deploy(
        emulator,
        function_app,
        "staging",
        good_build(tmp_path / "v2.zip", "2", triggers=("timer", "queue")),
        arm_token,
    )
    return function_app


# ---- functions of every trigger type --------------------------------------------------------------
def test_the_functions_api_lists_every_trigger_with_its_bindings(
    web_client: WebSiteManagementClient, with_background: FunctionApp
) -> None:
    listed = {
        f.name.split("/")[-1]: f for f in web_client.web_apps.list_instance_functions_slot(RG, APP, "staging")
    }
    assert sorted(listed) == ["health", "hello", "items", "nightly", "orders", "reset"]
    for name, kind in (("nightly", "timer"), ("orders", "queue")):
        props = listed[name]
        assert props.config["bindings"] == [BACKGROUND[kind][1]]
        assert props.invoke_url_template is None
        assert props.is_disabled is False
    assert listed["hello"].invoke_url_template.endswith("/api/hello/{name?}")
    timer = web_client.web_apps.get_instance_function_slot(RG, APP, "nightly", "staging")
    assert timer.config["bindings"][0]["schedule"] == "0 0 2 * * *"
    production = [f.name.split("/")[-1] for f in web_client.web_apps.list_functions(RG, APP)]
    assert sorted(production) == ["health", "hello", "items", "reset"]


def test_the_host_never_routes_a_non_http_function(emulator: Emulator, with_background: FunctionApp) -> None:
    master = slot_of(emulator, with_background, "staging").master_key
    for path in ("/api/nightly", "/api/orders"):
        answer = call_host(emulator, with_background, "staging", path, master)
        assert (answer.status_code, answer.content) == (404, b"")


def test_a_sticky_disabled_setting_disables_a_function_in_one_slot_only(
    emulator: Emulator, web_client: WebSiteManagementClient, with_background: FunctionApp
) -> None:
    emulator.set_app_settings(with_background, "staging", {"AzureWebJobs.nightly.Disabled": "true"})
    emulator.set_sticky(with_background, app_settings=["AzureWebJobs.nightly.Disabled"])
    staging = web_client.web_apps.get_instance_function_slot(RG, APP, "nightly", "staging")
    assert staging.is_disabled is True
    orders = web_client.web_apps.get_instance_function_slot(RG, APP, "orders", "staging")
    assert orders.is_disabled is False
    web_client.web_apps.begin_swap_slot_with_production(RG, APP, FROM_PRODUCTION, polling_interval=0).result()
    # the timer moved to production with the content; the sticky setting stayed in staging
    assert web_client.web_apps.get_function(RG, APP, "nightly").is_disabled is False
    assert "AzureWebJobs.nightly.Disabled" in emulator.app_settings(with_background, "staging")


def test_a_disabled_http_function_answers_404_except_for_the_master_key(
    emulator: Emulator, web_client: WebSiteManagementClient, with_background: FunctionApp
) -> None:
    emulator.set_app_settings(with_background, "staging", {"AzureWebJobs.health.Disabled": "1"})
    assert web_client.web_apps.get_instance_function_slot(RG, APP, "health", "staging").is_disabled is True
    assert call_host(emulator, with_background, "staging", "/api/health").status_code == 404
    master = slot_of(emulator, with_background, "staging").master_key
    assert call_host(emulator, with_background, "staging", "/api/health", master).status_code == 200
    assert call_host(emulator, with_background, "production", "/api/health").status_code == 200


def test_invoke_url_template_follows_the_route_prefix_of_host_json(
    emulator: Emulator,
    web_client: WebSiteManagementClient,
    function_app: FunctionApp,
    arm_token: str,
    tmp_path: Path,
) -> None:
    files = {**app_files(), "host.json": {"version": "2.0", "extensions": {"http": {"routePrefix": "v1"}}}}
    deploy(emulator, function_app, "staging", write_zip(tmp_path / "p.zip", files), arm_token)
    health = web_client.web_apps.get_instance_function_slot(RG, APP, "health", "staging")
    host = slot_of(emulator, function_app, "staging").host_name
    assert health.invoke_url_template == f"https://{host}/v1/health"
    assert call_host(emulator, function_app, "staging", "/v1/health").status_code == 200


# ---- slotsdiffs ------------------------------------------------------------------------------------
def diffs_of(web_client: WebSiteManagementClient) -> dict[tuple[str, str], Any]:
    found = web_client.web_apps.list_slot_differences_slot(RG, APP, "staging", TO_PRODUCTION)
    return {(d.properties.setting_type, d.properties.setting_name): d.properties for d in found}


def test_slot_differences_cover_connection_strings_and_sticky_names(
    emulator: Emulator, web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    emulator.set_connection_strings(
        function_app, "production", {"Db": ("Server=prod", "SQLAzure"), "Bus": "sb-1"}
    )
    emulator.set_connection_strings(
        function_app, "staging", {"Db": ("Server=staging", "SQLAzure"), "Cache": "redis"}
    )
    emulator.set_app_settings(function_app, "production", {"MODE": "live", "REGION": "eu"})
    emulator.set_app_settings(function_app, "staging", {"MODE": "live", "REGION": "us", "ONLY_STAGING": "1"})
    emulator.set_sticky(function_app, app_settings=["MODE", "ONLY_STAGING"], connection_strings=["Cache"])
    found = diffs_of(web_client)
    rules = {key: (d.diff_rule, d.level) for key, d in found.items()}
    assert rules == {
        ("AppSetting", "MODE"): ("SlotSettingsSameValue", "Warning"),
        ("AppSetting", "ONLY_STAGING"): ("SlotSettingsMissing", "Warning"),
        ("AppSetting", "REGION"): ("SettingsWillBeModifiedInDestination", "Information"),
        ("ConnectionString", "Bus"): ("SettingsNotInSource", "Information"),
        ("ConnectionString", "Cache"): ("SlotSettingsMissing", "Warning"),
        ("ConnectionString", "Db"): ("SettingsWillBeModifiedInDestination", "Information"),
    }
    db = found[("ConnectionString", "Db")]
    assert (db.value_in_current_slot, db.value_in_target_slot) == ("Server=staging", "Server=prod")
    bus = found[("ConnectionString", "Bus")]
    assert (bus.value_in_current_slot, bus.value_in_target_slot) == (None, "sb-1")
    assert all(d.description for d in found.values())


def test_slot_differences_from_production_look_the_other_way(
    emulator: Emulator, web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    emulator.set_connection_strings(function_app, "staging", {"Db": "Server=staging"})
    found = web_client.web_apps.list_slot_differences_from_production(RG, APP, FROM_PRODUCTION)
    assert [(d.properties.setting_name, d.properties.diff_rule) for d in found] == [
        ("Db", "SettingsNotInSource")
    ]


# ---- stack versions --------------------------------------------------------------------------------
def test_stack_versions_are_set_per_slot_and_swap_with_the_content(
    emulator: Emulator, web_client: WebSiteManagementClient, function_app: FunctionApp
) -> None:
    apps = web_client.web_apps
    apps.update_configuration(RG, APP, SiteConfigResource(linux_fx_version="Python|3.10", always_on=True))
    apps.update_configuration_slot(
        RG, APP, "staging", SiteConfigResource(linux_fx_version="Python|3.11", use32_bit_worker_process=False)
    )
    emulator.set_site_config(function_app, "staging", powerShellVersion="7.4", netFrameworkVersion="v8.0")
    staging = apps.get_configuration_slot(RG, APP, "staging")
    assert (staging.linux_fx_version, staging.power_shell_version, staging.net_framework_version) == (
        "Python|3.11",
        "7.4",
        "v8.0",
    )
    assert apps.get_slot(RG, APP, "staging").site_config.linux_fx_version == "Python|3.11"
    assert apps.get_configuration(RG, APP).java_version is None
    apps.begin_swap_slot_with_production(RG, APP, FROM_PRODUCTION, polling_interval=0).result()
    production, staging = apps.get_configuration(RG, APP), apps.get_configuration_slot(RG, APP, "staging")
    assert (production.linux_fx_version, production.power_shell_version) == ("Python|3.11", "7.4")
    assert (production.net_framework_version, production.use32_bit_worker_process) == ("v8.0", False)
    assert (staging.linux_fx_version, staging.power_shell_version) == ("Python|3.10", "")
    assert (staging.net_framework_version, staging.use32_bit_worker_process) == ("v4.0", True)
    assert (production.always_on, staging.always_on) == (True, False)  # Always On stays with its slot


def test_the_driver_refuses_what_the_service_refuses(emulator: Emulator, function_app: FunctionApp) -> None:
    with pytest.raises(EmulatorError, match="use32BitWorkerProcess"):
        emulator.set_site_config(function_app, "staging", use32BitWorkerProcess="no")
    with pytest.raises(EmulatorError, match="Connection string type 'Oracle'"):
        emulator.set_connection_strings(function_app, "staging", {"Db": ("x", "Oracle")})
    assert emulator.set_app_settings(function_app, "staging", {"A": "1"}, replace=True) == {"A": "1"}
    assert emulator.set_app_settings(function_app, "staging", {"B": "2"}) == {"A": "1", "B": "2"}
