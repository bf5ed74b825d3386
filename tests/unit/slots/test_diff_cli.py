"""``slotwise slot diff`` and ``slot swap --preflight`` on the fake: every output form names and never
shows a value; the swap is refused (exit 14, nothing started) on an error unless accepted."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from slotwise.azure.models import ConnectionString, FunctionInfo
from slotwise.cli.main import cli
from slotwise.errors import PreflightRefused
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeServices, fake_services

# distinct values, each a secret: none may appear in any output
SECRETS = {
    "production": {
        "AzureWebJobsStorage": "AccountName=stprod;AccountKey=UFJPRC1LRVktMQ==",
        "OrdersDb": "Server=tcp:prod.database.windows.net;Database=orders;Password=Prod-Pa55-Word",
        "API_KEY": "@Microsoft.KeyVault(SecretUri=https://kv-prod.vault.azure.net/secrets/api/)",
        "GREETING": "prod-greeting-7f3a",
        "ONLY_PROD": "only-in-prod-91c2",
        "KEPT": "kept-prod-0d4e",
    },
    "staging": {
        "AzureWebJobsStorage": "AccountName=ststag;AccountKey=U1RBRy1LRVktMg==",
        "OrdersDb": "Server=tcp:stag.database.windows.net;Database=orders;Password=Stag-Pa55-Word",
        "API_KEY": "plain-api-key-5b6c7d8e",
        "GREETING": "stag-greeting-2e9b",
        "ONLY_STAGING": "only-in-staging-44aa",
        "KEPT": "kept-stag-8b1f",
        "AzureWebJobs.nightly.Disabled": "true",
    },
}
CONNECTIONS = {
    "production": ConnectionString(
        "Endpoint=sb://prod-bus.servicebus.windows.net/;SharedAccessKey=UHJvZEJ1cw=="
    ),
    "staging": ConnectionString(
        "Endpoint=sb://stag-bus.servicebus.windows.net/;SharedAccessKey=U3RhZ0J1cw=="
    ),
}


@pytest.fixture
def services() -> FakeServices:
    built = fake_services()
    web = built.fake
    for ref in (PRODUCTION_SLOT, STAGING):
        web.slot(ref).app_settings = dict(SECRETS[ref.slot])
        web.slot(ref).connection_strings = {"Bus": CONNECTIONS[ref.slot]}
    web.sticky[("rg-demo", "func-demo")] = {"KEPT"}
    web.slot(STAGING).content.functions = [
        FunctionInfo("nightly", None, None, (), triggers=("timerTrigger",))
    ]
    web.slot(PRODUCTION_SLOT).content.stack = {"linuxFxVersion": "Python|3.11"}
    web.slot(STAGING).content.stack = {"linuxFxVersion": "Python|3.12"}
    return built


def run(services: FakeServices, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["slot", *args, "-g", "rg-demo", "-n", "func-demo"],
        obj={"services": services, "environment": {}},
    )


def every_value() -> list[str]:
    values = [v for side in SECRETS.values() for v in side.values() if v != "true"]
    return [*values, *(c.value for c in CONNECTIONS.values())]


def assert_no_value(text: str) -> None:
    for value in every_value():
        assert value not in text
        for part in value.split(";"):  # nor any piece of a connection string (a key, a password)
            if "=" in part and len(part.split("=", 1)[1]) >= 8:
                assert part.split("=", 1)[1] not in text


@pytest.mark.parametrize("output", ["table", "json", "markdown"])
def test_every_output_of_the_diff_names_settings_and_never_shows_a_value(
    services: FakeServices, output: str
) -> None:
    result = run(services, "diff", "-s", "staging", "-o", output)
    assert result.exit_code == 0, result.output
    assert_no_value(result.output)
    for name in ("OrdersDb", "API_KEY", "ONLY_STAGING", "ONLY_PROD", "connection-moves", "Python|3.12"):
        assert name.replace("|", "\\|" if output == "markdown" else "|") in result.output


def test_the_json_diff_says_what_happens_to_each_name(services: FakeServices) -> None:
    result = run(services, "diff", "-s", "staging", "-o", "json")
    data = json.loads(result.stdout)
    settings = {s["name"]: s for s in data["settings"]}
    assert settings["API_KEY"]["values"] == "Key Vault reference"
    assert (settings["KEPT"]["change"], settings["KEPT"]["sticky"]) == ("stays", True)
    assert settings["ONLY_PROD"]["change"] == "disappears"
    assert settings["Bus"]["kind"] == "connection string"
    codes = {f["code"]: f["severity"] for f in data["findings"]}
    assert codes["connection-moves"] == "error"
    assert codes["disabled-setting-moves"] == "error"
    assert codes["trigger-runs-in-staging"] == "warning"
    assert codes["runtime-change"] == "warning"


def test_the_swap_is_refused_before_anything_changes_and_no_value_is_printed(services: FakeServices) -> None:
    result = run(services, "swap", "-s", "staging")
    assert result.exit_code == PreflightRefused.exit_code == 14, result.output
    assert "connection-moves" in result.output
    assert "disabled-setting-moves" in result.output
    assert services.fake.count("begin_swap") == 0
    assert services.fake.slot(PRODUCTION_SLOT).app_settings == SECRETS["production"]
    assert_no_value(result.output)


def test_accepting_only_some_errors_still_refuses(services: FakeServices) -> None:
    result = run(services, "swap", "-s", "staging", "--accept", "connection-moves")
    assert result.exit_code == 14, result.output
    assert "disabled-setting-moves" in result.output
    assert services.fake.count("begin_swap") == 0


def test_accepting_every_error_swaps_and_the_json_carries_the_findings(services: FakeServices) -> None:
    args = ["--accept", "connection-moves", "--accept", "disabled-setting-moves", "-o", "json"]
    result = run(services, "swap", "-s", "staging", *args)
    assert result.exit_code == 0, result.output
    assert services.fake.count("begin_swap") == 1
    data = json.loads(result.stdout)
    assert data["preflight"]["accepted"] == ["connection-moves", "disabled-setting-moves"]
    assert {f["code"] for f in data["preflight"]["findings"]} >= {"connection-moves", "runtime-change"}
    assert_no_value(result.output)


def test_no_preflight_swaps_without_reading_the_settings(services: FakeServices) -> None:
    result = run(services, "swap", "-s", "staging", "--no-preflight")
    assert result.exit_code == 0, result.output
    assert services.fake.count("begin_swap") == 1
    assert services.fake.count("connection_strings") == 0


def test_an_unknown_finding_is_a_usage_error(services: FakeServices) -> None:
    result = run(services, "swap", "-s", "staging", "--accept", "everything")
    assert result.exit_code == 2
    assert services.fake.count("begin_swap") == 0


def test_completing_a_prepared_swap_runs_no_preflight(services: FakeServices) -> None:
    accept = ["--accept", "connection-moves", "--accept", "disabled-setting-moves"]
    assert run(services, "swap", "-s", "staging", "--preview", *accept).exit_code == 0
    assert services.fake.count("connection_strings") == 2  # read by the preflight of phase one
    result = run(services, "swap", "-s", "staging", "--complete")
    assert result.exit_code == 0, result.output
    assert services.fake.count("connection_strings") == 2
