"""The preflight's findings that need the emulator to list non-HTTP functions with their bindings and
to swap the site config's stack versions with the content (the emulator's side of issue 12): a build
with a timer and a queue function deployed to staging; a stack version the swap brings to production."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from azure.mgmt.web import WebSiteManagementClient
from azure.mgmt.web.models import SiteConfigResource, SlotConfigNamesResource, StringDictionary
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise.services import Services
from slotwise_emulator import Emulator, FunctionApp
from tests.functional.deploying import slot_hosts
from tests.packages import app_files, write_zip

GROUP, APP = "rg-demo", "func-demo"
BACKGROUND = {
    "tick/function.json": {
        "bindings": [
            {"type": "timerTrigger", "direction": "in", "name": "timer", "schedule": "0 */5 * * * *"}
        ]
    },
    "tick/__init__.py": "def main(timer):\n    pass\n",
    "orders/function.json": {
        "bindings": [
            {
                "type": "queueTrigger",
                "direction": "in",
                "name": "msg",
                "queueName": "orders",
                "connection": "AzureWebJobsStorage",
            }
        ]
    },
    "orders/__init__.py": "def main(msg):\n    pass\n",
}


def run(services: Services, *args: str) -> Result:
    return CliRunner().invoke(cli, ["slot", *args, "-g", GROUP, "-n", APP], obj={"services": services})


def deploy_with_background_functions(emulator: Emulator, token: str, tmp_path: Path) -> None:
    package = write_zip(tmp_path / "background.zip", {**app_files("2"), **BACKGROUND})
    _, scm = slot_hosts(emulator, GROUP, APP, "staging")
    with package.open("rb") as body:
        answer = requests.post(
            f"https://{scm}/api/zipdeploy",
            data=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=str(emulator.ca_path),
            timeout=60,
        )
    answer.raise_for_status()


def findings(services: Services) -> dict[str, dict[str, Any]]:
    result = run(services, "diff", "-s", "staging", "-o", "json")
    assert result.exit_code == 0, result.output
    return {f["code"]: f for f in json.loads(result.stdout)["findings"]}


def test_timer_and_queue_functions_in_staging_run_there_until_disabled_by_a_sticky_setting(
    emulator: Emulator,
    function_app: FunctionApp,
    web_client: WebSiteManagementClient,
    services: Services,
    arm_token: str,
    tmp_path: Path,
) -> None:
    deploy_with_background_functions(emulator, arm_token, tmp_path)
    found = findings(services)["trigger-runs-in-staging"]
    assert (found["severity"], sorted(found["names"])) == ("warning", ["orders", "tick"])

    disabled = {"AzureWebJobs.tick.Disabled": "true", "AzureWebJobs.orders.Disabled": "true"}
    web_client.web_apps.update_application_settings_slot(
        GROUP, APP, "staging", StringDictionary(properties=disabled)
    )
    web_client.web_apps.update_slot_configuration_names(
        GROUP, APP, SlotConfigNamesResource(app_setting_names=sorted(disabled))
    )
    assert "trigger-runs-in-staging" not in findings(services)


def test_http_functions_alone_give_no_trigger_finding(
    emulator: Emulator, function_app: FunctionApp, services: Services, arm_token: str, tmp_path: Path
) -> None:
    package = write_zip(
        tmp_path / "http.zip", {k: v for k, v in app_files("2").items() if "nightly" not in k}
    )
    _, scm = slot_hosts(emulator, GROUP, APP, "staging")
    with package.open("rb") as body:
        requests.post(
            f"https://{scm}/api/zipdeploy",
            data=body,
            headers={"Authorization": f"Bearer {arm_token}"},
            verify=str(emulator.ca_path),
            timeout=60,
        ).raise_for_status()
    assert "trigger-runs-in-staging" not in findings(services)


def test_the_stack_version_the_diff_announces_is_the_one_production_has_after_the_swap(
    function_app: FunctionApp, web_client: WebSiteManagementClient, services: Services
) -> None:
    web_client.web_apps.update_configuration_slot(
        GROUP, APP, "staging", SiteConfigResource(python_version="3.12")
    )
    result = run(services, "diff", "-s", "staging", "-o", "json")
    runtime = {r["name"]: r for r in json.loads(result.stdout)["runtime"]}
    assert runtime["pythonVersion"]["targetAfter"] == "3.12"
    assert run(services, "swap", "-s", "staging").exit_code == 0
    assert web_client.web_apps.get_configuration(GROUP, APP).python_version == "3.12"
