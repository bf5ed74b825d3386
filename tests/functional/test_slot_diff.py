"""``slotwise slot diff`` and the swap preflight against the emulator, the slots arranged through the
unmodified azure-mgmt-web client: the diff predicts what the swap then does to production, name by
name; each finding is present when its condition is and absent otherwise; a refused swap starts
nothing; no value is printed (the ``emulator`` fixture also sweeps for every secret it issued)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.mgmt.web import WebSiteManagementClient
from azure.mgmt.web.models import (
    ConnectionStringDictionary,
    ConnStringValueTypePair,
    SiteConfigResource,
    SlotConfigNamesResource,
    StringDictionary,
)
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise.services import Services
from slotwise_emulator import Emulator, FunctionApp

GROUP, APP = "rg-demo", "func-demo"
LONG = "func-orders-processing-westeurope-prod"  # production's and staging's host IDs share 32 characters
SQL = {
    "production": "Server=tcp:sql-prod.database.windows.net;Database=orders;Password=Pr0d-S3cret-a81",
    "staging": "Server=tcp:sql-stag.database.windows.net;Database=orders;Password=St4g-S3cret-b92",
}
STORAGE = "DefaultEndpointsProtocol=https;AccountName=stshared;AccountKey=U2hhcmVkLUtleS1jMDM="
SETTINGS = {
    "production": {
        "GREETING": "hello-from-production-d14",
        "OrdersDb": SQL["production"],
        "KEPT": "kept-in-production-e25",
        "ONLY_PROD": "only-in-production-f36",
        "FUNCTIONS_EXTENSION_VERSION": "~4",
    },
    "staging": {
        "GREETING": "hello-from-staging-a47",
        "OrdersDb": SQL["staging"],
        "KEPT": "kept-in-staging-b58",
        "ONLY_STAGING": "only-in-staging-c69",
        "API_KEY": "@Microsoft.KeyVault(SecretUri=https://kv-stag.vault.azure.net/secrets/api/)",
        "FUNCTIONS_EXTENSION_VERSION": "~4",
    },
}
BUS = {
    "production": "Endpoint=sb://bus-prod.servicebus.windows.net/;SharedAccessKey=UHJvZC1CdXMtZDcw",
    "staging": "Endpoint=sb://bus-stag.servicebus.windows.net/;SharedAccessKey=U3RhZy1CdXMtZTgx",
}


def run(services: Services, *args: str, app: str = APP) -> Result:
    return CliRunner().invoke(cli, ["slot", *args, "-g", GROUP, "-n", app], obj={"services": services})


def set_settings(web: WebSiteManagementClient, slot: str, values: dict[str, str], app: str = APP) -> None:
    body = StringDictionary(properties=values)
    if slot == "production":
        web.web_apps.update_application_settings(GROUP, app, body)
    else:
        web.web_apps.update_application_settings_slot(GROUP, app, slot, body)


def set_connections(web: WebSiteManagementClient, slot: str, values: dict[str, str]) -> None:
    body = ConnectionStringDictionary(
        properties={k: ConnStringValueTypePair(value=v, type="Custom") for k, v in values.items()}
    )
    if slot == "production":
        web.web_apps.update_connection_strings(GROUP, APP, body)
    else:
        web.web_apps.update_connection_strings_slot(GROUP, APP, slot, body)


def settings_of(web: WebSiteManagementClient, slot: str) -> dict[str, str]:
    if slot == "production":
        return dict(web.web_apps.list_application_settings(GROUP, APP).properties or {})
    return dict(web.web_apps.list_application_settings_slot(GROUP, APP, slot).properties or {})


def every_value() -> list[str]:
    values = [v for side in SETTINGS.values() for v in side.values() if not v.startswith("~")]
    return [*values, *BUS.values(), STORAGE, "Pr0d-S3cret-a81", "St4g-S3cret-b92", "U2hhcmVkLUtleS1jMDM="]


def assert_no_value(text: str) -> None:
    for value in every_value():
        assert value not in text


@pytest.fixture
def arranged(function_app: FunctionApp, web_client: WebSiteManagementClient) -> WebSiteManagementClient:
    for slot in ("production", "staging"):
        set_settings(web_client, slot, SETTINGS[slot])
        set_connections(web_client, slot, {"Bus": BUS[slot]})
    web_client.web_apps.update_slot_configuration_names(
        GROUP, APP, SlotConfigNamesResource(app_setting_names=["KEPT"])
    )
    return web_client


def diff_json(services: Services, app: str = APP) -> dict[str, Any]:
    result = run(services, "diff", "-s", "staging", "-o", "json", app=app)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def finding_codes(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["code"]: f for f in data["findings"]}


def test_the_diff_predicts_what_the_swap_then_does_to_production(
    arranged: WebSiteManagementClient, services: Services, emulator: Emulator
) -> None:
    before = {slot: settings_of(arranged, slot) for slot in ("production", "staging")}
    predicted = {s["name"]: s for s in diff_json(services)["settings"] if s["kind"] == "app setting"}
    assert predicted["GREETING"]["change"] == "changes"
    assert predicted["ONLY_STAGING"]["change"] == "appears"
    assert predicted["ONLY_PROD"]["change"] == "disappears"
    assert (predicted["KEPT"]["change"], predicted["KEPT"]["sticky"]) == ("stays", True)
    assert predicted["API_KEY"]["values"] == "-"  # only staging has it

    result = run(services, "swap", "-s", "staging", "--accept", "connection-moves")
    assert result.exit_code == 0, result.output
    after = settings_of(arranged, "production")
    for name, entry in predicted.items():
        expected = {
            "changes": before["staging"].get(name),
            "appears": before["staging"].get(name),
            "disappears": None,
            "stays": before["production"].get(name),
            "unchanged": before["production"].get(name),
        }[entry["change"]]
        assert after.get(name) == expected, name


def test_every_output_form_names_the_settings_and_never_shows_a_value(
    arranged: WebSiteManagementClient, services: Services
) -> None:
    for output in ("table", "json", "markdown"):
        result = run(services, "diff", "-s", "staging", "-o", output)
        assert result.exit_code == 0, result.output
        assert "OrdersDb" in result.output
        assert "connection-moves" in result.output
        assert_no_value(result.output)


def test_a_connection_moving_into_production_refuses_the_swap_and_nothing_starts(
    arranged: WebSiteManagementClient, services: Services, emulator: Emulator
) -> None:
    data = diff_json(services)
    moves = finding_codes(data)["connection-moves"]
    assert moves["severity"] == "error"
    assert set(moves["names"]) == {"OrdersDb", "Bus (connection string)"}
    before = settings_of(arranged, "production")
    result = run(services, "swap", "-s", "staging")
    assert result.exit_code == 14, result.output
    assert "connection-moves" in result.output
    assert_no_value(result.output)
    assert emulator.call(lambda b: len(b.web.operations)) == 0
    assert settings_of(arranged, "production") == before


def test_sticky_connections_move_nothing_and_the_swap_goes_through(
    arranged: WebSiteManagementClient, services: Services
) -> None:
    arranged.web_apps.update_slot_configuration_names(
        GROUP,
        APP,
        SlotConfigNamesResource(app_setting_names=["KEPT", "OrdersDb"], connection_string_names=["Bus"]),
    )
    assert "connection-moves" not in finding_codes(diff_json(services))
    result = run(services, "swap", "-s", "staging")
    assert result.exit_code == 0, result.output
    assert settings_of(arranged, "production")["OrdersDb"] == SQL["production"]


def test_a_clean_pair_has_no_findings_and_swaps_with_the_preflight_on(
    function_app: FunctionApp, services: Services
) -> None:
    assert diff_json(services)["findings"] == []
    result = run(services, "swap", "-s", "staging", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["preflight"] == {"findings": [], "accepted": []}


def test_a_disabling_setting_that_is_not_sticky_would_stop_the_function_in_production(
    function_app: FunctionApp, web_client: WebSiteManagementClient, services: Services
) -> None:
    set_settings(web_client, "staging", {"AzureWebJobs.nightly.Disabled": "true"})
    assert finding_codes(diff_json(services))["disabled-setting-moves"]["severity"] == "error"
    web_client.web_apps.update_slot_configuration_names(
        GROUP, APP, SlotConfigNamesResource(app_setting_names=["AzureWebJobs.nightly.Disabled"])
    )
    assert "disabled-setting-moves" not in finding_codes(diff_json(services))


def test_slots_on_one_content_share_are_refused(
    function_app: FunctionApp, web_client: WebSiteManagementClient, services: Services
) -> None:
    shared = {"WEBSITE_CONTENTAZUREFILECONNECTIONSTRING": STORAGE, "WEBSITE_CONTENTSHARE": "func-demo-0a1b"}
    for slot in ("production", "staging"):
        set_settings(web_client, slot, shared)
    assert finding_codes(diff_json(services))["shared-content-share"]["severity"] == "error"
    set_settings(web_client, "staging", {**shared, "WEBSITE_CONTENTSHARE": "func-demo-staging-2c3d"})
    web_client.web_apps.update_slot_configuration_names(
        GROUP, APP, SlotConfigNamesResource(app_setting_names=["WEBSITE_CONTENTSHARE"])
    )
    assert "shared-content-share" not in finding_codes(diff_json(services))


def test_a_long_app_name_on_one_storage_account_collides_and_a_short_one_does_not(
    emulator: Emulator, function_app: FunctionApp, web_client: WebSiteManagementClient, services: Services
) -> None:
    emulator.create_function_app(GROUP, LONG, slots=("staging",))
    for app in (APP, LONG):
        for slot in ("production", "staging"):
            set_settings(web_client, slot, {"AzureWebJobsStorage": STORAGE}, app=app)
    assert finding_codes(diff_json(services, LONG))["host-id-collision"]["severity"] == "error"
    assert "host-id-collision" not in finding_codes(diff_json(services, APP))


def test_a_stack_version_that_differs_is_a_runtime_change(
    function_app: FunctionApp, web_client: WebSiteManagementClient, services: Services
) -> None:
    web_client.web_apps.update_configuration_slot(
        GROUP, APP, "staging", SiteConfigResource(python_version="3.12")
    )
    data = diff_json(services)
    assert [(r["name"], r["targetAfter"]) for r in data["runtime"]] == [("pythonVersion", "3.12")]
    assert finding_codes(data)["runtime-change"]["names"] == ["pythonVersion"]


def test_a_connection_only_staging_has_appears_and_one_only_production_has_disappears(
    function_app: FunctionApp, web_client: WebSiteManagementClient, services: Services
) -> None:
    set_connections(web_client, "staging", {"Bus": BUS["staging"]})
    found = finding_codes(diff_json(services))
    assert found["connection-appears"]["severity"] == "warning"
    assert found["connection-appears"]["names"] == ["Bus (connection string)"]
    assert "connection-disappears" not in found
    set_connections(web_client, "staging", {})
    set_connections(web_client, "production", {"Bus": BUS["production"]})
    found = finding_codes(diff_json(services))
    assert found["connection-disappears"]["names"] == ["Bus (connection string)"]
    assert "connection-appears" not in found
    web_client.web_apps.update_slot_configuration_names(
        GROUP, APP, SlotConfigNamesResource(connection_string_names=["Bus"])
    )
    assert not {"connection-appears", "connection-disappears"} & set(finding_codes(diff_json(services)))
