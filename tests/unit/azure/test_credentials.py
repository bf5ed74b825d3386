"""How to sign in, chosen explicitly (``--auth`` / ``SLOTWISE_AUTH``): each kind reads its variables
from the mapping the factory hands it and builds azure-identity's own credential for it; a variable
the kind needs and that is missing (or names no file) is a ``ConfigError`` naming the variable and
the kind, and no secret is ever repeated. No IO but files in ``tmp_path``; no request is made."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.identity import (
    AzureCliCredential,
    CertificateCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)

from slotwise.azure.cloud import resolve_cloud
from slotwise.azure.credentials import (
    AUTH_CHOICES,
    CredentialSettings,
    auth_choice,
    build_credential,
    credential_from_env,
)
from slotwise.errors import ConfigError
from slotwise.factory import settings_from_env
from slotwise_emulator.certificates import self_signed_pem

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "0d5bdb1e-0000-4000-8000-00000000c1e7"
SECRET = "abc8Q~not-a-real-secret-but-kept-out-of-messages"
SUBSCRIPTION = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
EMULATED = resolve_cloud(None, arm_endpoint="https://127.0.0.1:8443", authority_host="https://127.0.0.1:8444")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """A certificate with its key, and a federated token, on disk."""
    _, bundle = self_signed_pem()
    certificate = tmp_path / "sp.pem"
    certificate.write_bytes(bundle)
    token = tmp_path / "token.jwt"
    token.write_text("eyJ.not-checked-before-a-request.x", encoding="utf-8")
    return {"certificate": str(certificate), "token": str(token)}


def environment(files: dict[str, str]) -> dict[str, str]:
    return {
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_CLIENT_SECRET": SECRET,
        "AZURE_CLIENT_CERTIFICATE_PATH": files["certificate"],
        "AZURE_FEDERATED_TOKEN_FILE": files["token"],
    }


BUILT = {
    "default": DefaultAzureCredential,
    "secret": ClientSecretCredential,
    "certificate": CertificateCredential,
    "workload-identity": WorkloadIdentityCredential,
    "managed-identity": ManagedIdentityCredential,
    "azure-cli": AzureCliCredential,
}


def test_every_choice_builds_its_own_credential(files: dict[str, str]) -> None:
    assert set(BUILT) == set(AUTH_CHOICES)
    for kind, expected in BUILT.items():
        settings = credential_from_env(environment(files), kind, chosen_by="--auth")
        assert type(build_credential(settings, EMULATED)) is expected, kind


def test_each_kind_takes_what_it_needs_from_the_environment(files: dict[str, str]) -> None:
    env = environment(files)
    secret = credential_from_env(env, "secret", chosen_by="--auth")
    assert (secret.kind, secret.tenant_id, secret.client_id, secret.client_secret) == (
        "secret", TENANT, CLIENT, SECRET,
    )  # fmt: skip
    certificate = credential_from_env(
        {**env, "AZURE_CLIENT_CERTIFICATE_PASSWORD": "pw"}, "certificate", chosen_by="--auth"
    )
    assert (certificate.certificate_path, certificate.certificate_password) == (files["certificate"], "pw")
    assert certificate.client_secret is None  # a certificate sign-in carries no secret along
    workload = credential_from_env(env, "workload-identity", chosen_by="--auth")
    assert (workload.tenant_id, workload.client_id, workload.token_file) == (TENANT, CLIENT, files["token"])
    assert credential_from_env(env, "managed-identity", chosen_by="--auth").client_id == CLIENT
    system_assigned = credential_from_env({}, "managed-identity", chosen_by="--auth")
    assert system_assigned.client_id is None
    assert credential_from_env(env, "azure-cli", chosen_by="--auth") == CredentialSettings(kind="azure-cli")
    assert credential_from_env(env, "default", chosen_by="--auth") == CredentialSettings()


NEEDS = [
    ("secret", "AZURE_TENANT_ID"),
    ("secret", "AZURE_CLIENT_ID"),
    ("secret", "AZURE_CLIENT_SECRET"),
    ("certificate", "AZURE_TENANT_ID"),
    ("certificate", "AZURE_CLIENT_ID"),
    ("certificate", "AZURE_CLIENT_CERTIFICATE_PATH"),
    ("workload-identity", "AZURE_TENANT_ID"),
    ("workload-identity", "AZURE_CLIENT_ID"),
    ("workload-identity", "AZURE_FEDERATED_TOKEN_FILE"),
]


@pytest.mark.parametrize(("kind", "variable"), NEEDS)
@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_variable_is_named_with_the_kind(
    files: dict[str, str], kind: str, variable: str, value: str | None
) -> None:
    env = environment(files)
    if value is None:
        del env[variable]
    else:
        env[variable] = value
    with pytest.raises(ConfigError) as raised:
        credential_from_env(env, kind, chosen_by="SLOTWISE_AUTH")  # type: ignore[arg-type]
    error = raised.value
    assert error.exit_code == 2
    assert f"Signing in with {kind} (SLOTWISE_AUTH) needs {variable}, which is not set." == error.message
    assert f"Set {variable} to " in error.hint
    assert "SLOTWISE_AUTH default | secret | certificate" in error.hint  # how else to sign in
    assert SECRET not in f"{error.message} {error.hint}"


@pytest.mark.parametrize(
    ("kind", "variable"),
    [("certificate", "AZURE_CLIENT_CERTIFICATE_PATH"), ("workload-identity", "AZURE_FEDERATED_TOKEN_FILE")],
)
def test_a_file_that_is_not_there_is_named_with_its_variable(
    files: dict[str, str], tmp_path: Path, kind: str, variable: str
) -> None:
    missing = tmp_path / "gone" / "file.pem"
    with pytest.raises(ConfigError) as raised:
        credential_from_env({**environment(files), variable: str(missing)}, kind, chosen_by="--auth")  # type: ignore[arg-type]
    assert raised.value.message == (
        f"Signing in with {kind} (--auth) needs {variable}, and the file it names is not there: {missing}."
    )
    with pytest.raises(ConfigError, match="is a folder, not a file"):
        credential_from_env({**environment(files), variable: str(tmp_path)}, kind, chosen_by="--auth")  # type: ignore[arg-type]


def test_a_certificate_file_that_holds_no_certificate_is_named_before_any_request(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n", encoding="utf-8")
    settings = CredentialSettings(
        kind="certificate", tenant_id=TENANT, client_id=CLIENT, certificate_path=str(junk),
        certificate_password="hunter2-is-secret",
    )  # fmt: skip
    with pytest.raises(ConfigError) as raised:
        build_credential(settings, EMULATED)
    assert raised.value.message.startswith(f"The certificate in {junk} could not be read")
    assert "AZURE_CLIENT_CERTIFICATE_PASSWORD" in raised.value.hint
    assert "hunter2" not in f"{raised.value.message} {raised.value.hint}"


def test_certificate_data_that_does_not_load_is_left_to_the_pipeline_face() -> None:
    """The agent words a bad service-connection certificate itself (it knows the connection)."""
    settings = CredentialSettings(
        kind="certificate", tenant_id=TENANT, client_id=CLIENT, certificate_data=b"not a certificate"
    )
    with pytest.raises(ValueError, match="Failed to deserialize certificate"):
        build_credential(settings, EMULATED)


@pytest.mark.parametrize("value", ["nope", "Secret", "client-secret", "pipelines"])
def test_an_unknown_choice_in_the_variable_is_named(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        auth_choice(value, "SLOTWISE_AUTH")
    assert raised.value.message == f"SLOTWISE_AUTH names no way to sign in slotwise knows: '{value}'."
    assert "default, secret, certificate, workload-identity, managed-identity, azure-cli" in raised.value.hint


def test_the_option_wins_over_the_variable_and_default_is_the_chain(files: dict[str, str]) -> None:
    base = {"SLOTWISE_ARM_ENDPOINT": "https://127.0.0.1:8443", "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION}
    env = {**base, **environment(files)}
    assert settings_from_env(env).credential == CredentialSettings()
    assert settings_from_env({**env, "SLOTWISE_AUTH": " azure-cli "}).credential.kind == "azure-cli"
    chosen = settings_from_env({**env, "SLOTWISE_AUTH": "azure-cli"}, auth="secret").credential
    assert (chosen.kind, chosen.client_secret) == ("secret", SECRET)
    with pytest.raises(ConfigError, match=r"^SLOTWISE_AUTH names no way"):
        settings_from_env({**env, "SLOTWISE_AUTH": "bogus"})
    with pytest.raises(ConfigError, match=r"\(--auth\) needs AZURE_TENANT_ID"):
        settings_from_env({**base, "SLOTWISE_AUTH": "azure-cli"}, auth="secret")


def test_no_secret_in_the_settings_repr(files: dict[str, str]) -> None:
    env = {**environment(files), "AZURE_CLIENT_CERTIFICATE_PASSWORD": "hunter2-is-secret"}
    shown = repr(credential_from_env(env, "secret", chosen_by="--auth"))
    shown += repr(credential_from_env(env, "certificate", chosen_by="--auth"))
    assert SECRET not in shown
    assert "hunter2" not in shown
