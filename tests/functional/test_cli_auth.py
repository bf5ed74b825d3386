"""The CLI signs in the way it is told (``--auth``, ``SLOTWISE_AUTH``), against the emulated Entra ID.

A secret, a certificate (also one whose key has a password), a federated token file and the Azure
CLI's token each get ``slotwise slot status`` its answer; a variable the chosen way needs and that
is missing, or names a file that is not there, is exit 2 naming it before any request; a managed
identity with no endpoint answering is exit 3 saying so; an unknown way is refused. Nothing the
emulator issued is ever printed.
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise_emulator import Emulator
from slotwise_emulator.certificates import self_signed_pem
from tests.functional.control import logged_requests
from tests.functional.test_remote_text import issued_secrets

pytestmark = pytest.mark.usefixtures("slot_env", "function_app")
UNAVAILABLE = "This way of signing in is not available where slotwise runs"


def status(*extra: str) -> Result:
    result = CliRunner().invoke(cli, ["slot", "status", "-g", "rg-demo", "-n", "func-demo", *extra])
    assert "Traceback" not in result.output
    return result


def token_requests(emulator: Emulator) -> list[dict[str, Any]]:
    return [e for e in logged_requests(emulator) if e["path"].endswith("/token")]


def asked_azure(emulator: Emulator) -> list[dict[str, Any]]:
    return [e for e in logged_requests(emulator) if not e["path"].startswith("/_emulator")]


def assert_no_secret(emulator: Emulator, result: Result, *also: str) -> None:
    leaked = [s for s in (*issued_secrets(emulator), *also) if s in result.output]
    assert not leaked, "a secret was printed"


def only(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    """The identity variables are exactly ``variables`` (the emulator's service principal's removed)."""
    for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


# ---- a secret -------------------------------------------------------------------------------------------
def test_auth_secret_signs_in_with_the_client_secret(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLOTWISE_AUTH", "certificate")  # would fail: no certificate; the option wins
    result = status("--auth", "secret")
    assert result.exit_code == 0, result.output
    assert "production" in result.output
    (asked,) = token_requests(emulator)
    assert asked["method"] == "POST"
    assert_no_secret(emulator, result)


def test_the_variable_chooses_when_the_option_is_not_given(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLOTWISE_AUTH", "secret")
    assert status().exit_code == 0
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    result = status()
    assert result.exit_code == 2, result.output
    assert (
        "Signing in with secret (SLOTWISE_AUTH) needs AZURE_CLIENT_SECRET, which is not set." in result.output
    )
    assert len(token_requests(emulator)) == 1  # the first run's; the second asked nothing


def test_a_missing_secret_is_named_before_any_request(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    result = status("--auth", "secret")
    assert result.exit_code == 2, result.output
    assert (
        "error: Signing in with secret (--auth) needs AZURE_CLIENT_SECRET, which is not set." in result.output
    )
    assert "hint: Set AZURE_CLIENT_SECRET to the service principal's client secret" in result.output
    assert asked_azure(emulator) == []


# ---- a certificate --------------------------------------------------------------------------------------
def registered_certificate(
    emulator: Emulator, tmp_path: Path, password: bytes | None = None
) -> tuple[str, Path]:
    """(client id, path of certificate + key) of a new service principal signing in with a certificate."""
    cert_pem, bundle = self_signed_pem(password)
    app = emulator.call(lambda b: b.identity.create_application(emulator.tenant_id, certificate_pem=cert_pem))
    path = tmp_path / "principal.pem"
    path.write_bytes(bundle)
    return app.client_id, path


def test_auth_certificate_signs_in_with_the_certificate(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client, path = registered_certificate(emulator, tmp_path)
    only(monkeypatch, AZURE_TENANT_ID=emulator.tenant_id, AZURE_CLIENT_ID=client)
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", str(path))
    result = status("--auth", "certificate")
    assert result.exit_code == 0, result.output
    assert len(token_requests(emulator)) == 1


def test_a_certificate_whose_key_has_a_password(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    password = "correct horse battery staple"
    client, path = registered_certificate(emulator, tmp_path, password.encode())
    only(monkeypatch, AZURE_TENANT_ID=emulator.tenant_id, AZURE_CLIENT_ID=client)
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", str(path))
    refused = status("--auth", "certificate")  # no password given
    assert refused.exit_code == 2, refused.output
    assert f"The certificate in {path} could not be read" in refused.output
    assert "AZURE_CLIENT_CERTIFICATE_PASSWORD" in refused.output
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PASSWORD", "not the password")
    wrong = status("--auth", "certificate")
    assert wrong.exit_code == 2, wrong.output
    assert_no_secret(emulator, wrong, "not the password")
    assert asked_azure(emulator) == []
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PASSWORD", password)
    result = status("--auth", "certificate")
    assert result.exit_code == 0, result.output


def test_a_certificate_file_that_is_not_there_is_named(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "certs" / "principal.pem"
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", str(missing))
    result = status("--auth", "certificate")
    assert result.exit_code == 2, result.output
    assert (
        "Signing in with certificate (--auth) needs AZURE_CLIENT_CERTIFICATE_PATH, and the file it names is "
        f"not there: {missing}." in result.output
    )
    assert asked_azure(emulator) == []
    assert_no_secret(emulator, result)


def test_a_certificate_variable_that_is_not_set_is_named(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZURE_CLIENT_CERTIFICATE_PATH", raising=False)
    result = status("--auth", "certificate")
    assert result.exit_code == 2, result.output
    assert "needs AZURE_CLIENT_CERTIFICATE_PATH, which is not set" in result.output
    assert asked_azure(emulator) == []


# ---- workload identity: a federated token in a file -------------------------------------------------------
def test_auth_workload_identity_signs_in_with_the_token_file(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    control, verify = f"{emulator.arm_url}/_emulator", str(emulator.ca_path)
    issuer, subject = "https://oidc.aks.test/issuer", "system:serviceaccount:web:deployer"
    principal = requests.post(f"{control}/principals", json={}, verify=verify, timeout=10).json()
    requests.post(
        f"{control}/principals/{principal['clientId']}/federated",
        json={"issuer": issuer, "subject": subject},
        verify=verify,
        timeout=10,
    ).raise_for_status()
    minted = requests.post(
        f"{control}/oidc-token", json={"issuer": issuer, "subject": subject}, verify=verify, timeout=10
    )
    token_file = tmp_path / "azure-identity-token"
    token_file.touch(mode=0o600)  # owner-only, as a projected token is (and the secrets sweep expects)
    token_file.write_text(minted.json()["oidcToken"], encoding="utf-8")
    only(monkeypatch, AZURE_TENANT_ID=emulator.tenant_id, AZURE_CLIENT_ID=principal["clientId"])
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    result = status("--auth", "workload-identity")
    assert result.exit_code == 0, result.output
    assert len(token_requests(emulator)) == 1
    assert_no_secret(emulator, result, minted.json()["oidcToken"])


def test_a_token_file_that_is_not_there_is_named(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(tmp_path / "nope"))
    result = status("--auth", "workload-identity")
    assert result.exit_code == 2, result.output
    assert "(--auth) needs AZURE_FEDERATED_TOKEN_FILE, and the file it names is not there" in result.output
    assert asked_azure(emulator) == []


# ---- managed identity -------------------------------------------------------------------------------------
def refusing_address() -> str:
    """A loopback address where nothing listens (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


MANAGED_IDENTITY_ENDPOINTS = (
    "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT",
    "MSI_SECRET", "AZURE_FEDERATED_TOKEN_FILE",
)  # fmt: skip


def test_auth_managed_identity_with_no_endpoint_answering_says_so(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No managed identity here: azure-identity's ManagedIdentityCredential asks the instance metadata
    endpoint (moved to a refusing loopback port, as AKS pod identity moves it) and gets no answer."""
    for name in MANAGED_IDENTITY_ENDPOINTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", refusing_address())
    result = status("--auth", "managed-identity")
    assert result.exit_code == 3, result.output
    assert "error: Could not get a token while reading slot 'production' of app 'func-demo'" in result.output
    assert "ManagedIdentityCredential authentication unavailable, no response from the IMDS endpoint" in (
        result.output
    )
    assert f"hint: {UNAVAILABLE}" in result.output  # not "check the secret": there is none
    assert asked_azure(emulator) == []  # the service principal in the environment was not used
    assert_no_secret(emulator, result)


# ---- the Azure CLI ----------------------------------------------------------------------------------------
def fake_az(folder: Path) -> Path:
    """An ``az`` on PATH that keeps its arguments in ``az.args`` and answers as az does when nobody
    ran ``az login`` (a signed-in az would print a token, which the secrets sweep rightly flags)."""
    folder.mkdir()
    script = folder / "az"
    script.write_text(
        f"#!/bin/sh\necho \"$@\" > '{folder / 'az.args'}'\n"
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


@pytest.mark.skipif(os.name == "nt", reason="the stand-in for az is a shell script")
def test_auth_azure_cli_asks_az_for_the_token(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = fake_az(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    result = status("--auth", "azure-cli")
    assert result.exit_code == 3, result.output
    assert "account get-access-token" in (folder / "az.args").read_text(encoding="utf-8")
    assert "Please run 'az login' to set up an account" in result.output
    assert asked_azure(emulator) == []  # the service principal in the environment was not used


def test_auth_azure_cli_without_az_says_so(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no az there
    result = status("--auth", "azure-cli")
    assert result.exit_code == 3, result.output
    assert "Azure CLI not found on path" in result.output
    assert f"hint: {UNAVAILABLE}" in result.output
    assert asked_azure(emulator) == []


# ---- choosing -------------------------------------------------------------------------------------------
def test_an_unknown_way_to_sign_in_is_refused(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    by_option = status("--auth", "password")
    assert by_option.exit_code == 2
    assert "Invalid value for '--auth': 'password' is not one of" in by_option.output
    monkeypatch.setenv("SLOTWISE_AUTH", "password")
    by_variable = status()
    assert by_variable.exit_code == 2, by_variable.output
    assert "error: SLOTWISE_AUTH names no way to sign in slotwise knows: 'password'." in by_variable.output
    assert (
        "default, secret, certificate, workload-identity, managed-identity, azure-cli" in by_variable.output
    )
    assert asked_azure(emulator) == []


@pytest.mark.parametrize(
    "command", ["deploy", "swap", "rollback", "smoke", "guard", "release-hold", "status"]
)
def test_every_slot_command_takes_auth_and_says_what_each_way_reads(command: str) -> None:
    result = CliRunner().invoke(cli, ["slot", command, "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--auth [default|secret|certificate|workload-identity|managed-identity|azure-cli]" in text
    for variable in (
        "SLOTWISE_AUTH",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_FEDERATED_TOKEN_FILE",
    ):
        assert variable in text
