"""A wrong subscription id or CA bundle is told as what it is, before anything is asked of Azure: a
subscription that is not a GUID (option, environment, service connection) and a CA bundle that is not
there are usage errors (exit 2) naming where they came from; a CA that does not verify the server is
a remote error (exit 4) naming the variable to set, for the token request and for ARM alike; never
"credentials refused" (exit 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import certifi
import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.web import WebSiteManagementClient
from click.testing import CliRunner, Result

from slotwise.azure.arm import WebApps
from slotwise.azure.http import SlotwiseTransport, retry_policy
from slotwise.azure.models import SlotRef
from slotwise.cli.main import cli
from slotwise.errors import RemoteError
from slotwise_emulator import Emulator, FunctionApp
from tests.functional.control import logged_requests
from tests.functional.test_agent_tasks import CONNECTION, Agent
from tests.functional.test_remote_text import issued_secrets

NOT_A_GUID = "my-subscription-name"


def status(*extra: str) -> Result:
    return CliRunner().invoke(cli, ["slot", "status", "-g", "rg-demo", "-n", "func-demo", *extra])


def asked_azure(emulator: Emulator) -> list[dict[str, Any]]:
    """Requests that reached ARM or the token endpoint (the emulator's control plane left out)."""
    return [e for e in logged_requests(emulator) if not e["path"].startswith("/_emulator")]


def assert_clean(emulator: Emulator, result: Result) -> None:
    assert "Traceback" not in result.output
    leaked = [s for s in issued_secrets(emulator) if s in result.output]
    assert not leaked, "a secret the emulator issued was printed"


class CustomAgent(Agent):
    """The agent of test_agent_tasks, with some variables of the job changed."""

    def __init__(self, emulator: Emulator, tmp_path: Path, **changes: str) -> None:
        super().__init__(emulator, tmp_path)
        self.changes = changes

    def environment(self, folder: Path, inputs: Any) -> dict[str, str]:
        return {**super().environment(folder, inputs), **self.changes}


# ---- the subscription ----------------------------------------------------------------------------------
@pytest.mark.usefixtures("slot_env", "function_app")
def test_a_subscription_option_that_is_not_a_guid_is_a_usage_error(emulator: Emulator) -> None:
    result = status("--subscription", NOT_A_GUID)
    assert result.exit_code == 2, result.output
    assert "--subscription is not a subscription id" in result.output
    assert "00000000-0000-0000-0000-000000000000" in result.output  # what one looks like
    assert asked_azure(emulator) == []
    assert_clean(emulator, result)


@pytest.mark.usefixtures("slot_env", "function_app")
def test_a_subscription_variable_that_is_not_a_guid_is_named(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", NOT_A_GUID)
    result = status()
    assert result.exit_code == 2, result.output
    assert "AZURE_SUBSCRIPTION_ID is not a subscription id" in result.output
    assert asked_azure(emulator) == []
    assert_clean(emulator, result)


@pytest.mark.usefixtures("slot_env", "function_app")
def test_a_valid_subscription_option_still_wins(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", NOT_A_GUID)
    result = status("--subscription", f" {emulator.subscription_id.upper()} ")
    assert result.exit_code == 0, result.output


def test_a_service_connection_whose_subscription_is_not_a_guid_fails_the_task_clearly(
    emulator: Emulator, function_app: FunctionApp, tmp_path: Path
) -> None:
    key = f"ENDPOINT_DATA_{CONNECTION}_SUBSCRIPTIONID"
    run = CustomAgent(emulator, tmp_path, **{key: NOT_A_GUID}).run("guard-against-overwrite")
    assert run.result == "Failed", run.stdout
    (error,) = run.errors()
    assert f"service connection '{CONNECTION}'" in error
    assert "is not a subscription id" in error
    assert "Edit the service connection" in error
    assert "--subscription" not in error  # a pipeline user is never told a CLI flag
    assert asked_azure(emulator) == []


# ---- the CA bundle: not there ---------------------------------------------------------------------------
@pytest.mark.usefixtures("slot_env", "function_app")
@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_that_is_not_there_is_named_with_its_path(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str
) -> None:
    missing = tmp_path / "no-such-ca.pem"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")  # requests reads CURL_CA_BUNDLE only without it
    monkeypatch.setenv(variable, str(missing))
    result = status()
    assert result.exit_code == 2, result.output
    assert f"{variable} names a CA bundle that is not there: {missing}" in result.output
    assert asked_azure(emulator) == []
    assert_clean(emulator, result)


@pytest.mark.usefixtures("slot_env", "function_app")
def test_a_ca_bundle_without_a_certificate_is_named(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate\n", encoding="utf-8")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(junk))
    result = status()
    assert result.exit_code == 2, result.output
    assert f"REQUESTS_CA_BUNDLE names a file that holds no CA certificate (PEM) Python can read: {junk}" in (
        result.output
    )


def test_a_task_names_a_ca_bundle_that_is_not_there(
    emulator: Emulator, function_app: FunctionApp, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.pem"
    run = CustomAgent(emulator, tmp_path, REQUESTS_CA_BUNDLE=str(missing)).run("guard-against-overwrite")
    assert run.result == "Failed", run.stdout
    (error,) = run.errors()
    assert f"REQUESTS_CA_BUNDLE names a CA bundle that is not there: {missing}" in error
    assert asked_azure(emulator) == []


# ---- the CA bundle: does not verify the server -----------------------------------------------------------
UNTRUSTED = "the server's TLS certificate was not trusted"


@pytest.mark.usefixtures("slot_env", "function_app")
def test_a_ca_that_does_not_verify_the_token_endpoint_is_a_remote_error(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # public CAs: not the emulator's
    result = status()
    assert result.exit_code == 4, result.output
    assert "Could not sign in while reading slot 'production' of app 'func-demo'" in result.output
    assert UNTRUSTED in result.output
    assert "set REQUESTS_CA_BUNDLE to a PEM file" in result.output
    assert "Check the tenant, client id and secret" not in result.output  # not a credentials problem
    assert_clean(emulator, result)


def test_a_task_tells_an_untrusted_server_certificate_as_such(
    emulator: Emulator, function_app: FunctionApp, tmp_path: Path
) -> None:
    run = CustomAgent(emulator, tmp_path, REQUESTS_CA_BUNDLE=certifi.where()).run("guard-against-overwrite")
    assert run.result == "Failed", run.stdout
    (error,) = run.errors()
    assert UNTRUSTED in error
    assert "REQUESTS_CA_BUNDLE" in error


def test_a_ca_that_does_not_verify_arm_is_a_remote_error_and_is_not_retried(
    emulator: Emulator,
    function_app: FunctionApp,
    credential: ClientSecretCredential,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The token comes through (its credential trusts the emulator), ARM's certificate does not verify."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    slept: list[float] = []
    client = WebSiteManagementClient(
        credential,
        emulator.subscription_id,
        base_url=emulator.arm_url,
        credential_scopes=["https://management.azure.com/.default"],
        transport=SlotwiseTransport(slept.append),
        retry_policy=retry_policy(),
    )
    with pytest.raises(RemoteError) as raised:
        WebApps(client).get(SlotRef("rg-demo", "func-demo"))
    assert type(raised.value) is RemoteError
    assert raised.value.exit_code == 4
    assert "Could not reach Azure while reading slot 'production'" in raised.value.message
    assert UNTRUSTED in raised.value.message
    assert "REQUESTS_CA_BUNDLE" in raised.value.hint
    assert slept == []  # a certificate that did not verify is not tried again
    assert not [e for e in asked_azure(emulator) if e["kind"] == "arm"]  # the handshake failed
    client.close()
