"""Service connections from ``ENDPOINT_*`` variables: each scheme into credential settings, the cloud
taken from the connection's own data (an emulator-style URL gives a custom cloud), the JSON forms as a
fallback, clear errors (unknown connection, missing OIDC request URI, publish profiles), and every
secret registered as soon as it is read, and never in a message."""

from __future__ import annotations

import io
import json

import pytest

from slotwise.agent.endpoints import read_connection, register_secrets, settings_of
from slotwise.agent.vso import Vso
from slotwise.errors import ConfigError
from slotwise.secrets import SecretRegistry
from slotwise.services import Settings
from tests import vso

ID = "7d3b1c52-8a4e-4f0b-9c1d-2e5f6a7b8c9d"
TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "66666666-7777-8888-9999-000000000000"
SUBSCRIPTION = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "spn-secret-value~with.odd;chars"
JOB_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOi.job.token"
PEM = (
    "-----BEGIN CERTIFICATE-----\nMIIC+zCCAeOgAwIBAgIJAKbase64linecertificatebody01\n"
    "-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB\n-----END PRIVATE KEY-----\n"
)


def connection_env(
    scheme: str = "ServicePrincipal", url: str = "https://management.azure.com/", **extra: str
) -> dict[str, str]:
    env = {
        f"ENDPOINT_URL_{ID}": url,
        f"ENDPOINT_AUTH_SCHEME_{ID}": scheme,
        f"ENDPOINT_AUTH_PARAMETER_{ID}_TENANTID": TENANT,
        f"ENDPOINT_AUTH_PARAMETER_{ID}_SERVICEPRINCIPALID": CLIENT,
        f"ENDPOINT_DATA_{ID}_SUBSCRIPTIONID": SUBSCRIPTION,
        f"ENDPOINT_DATA_{ID}_ENVIRONMENT": "AzureCloud",
        f"ENDPOINT_DATA_{ID}_ENVIRONMENTAUTHORITYURL": "https://login.windows.net/",
        f"ENDPOINT_DATA_{ID}_ACTIVEDIRECTORYSERVICEENDPOINTRESOURCEID": "https://management.core.windows.net/",
        "ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN": JOB_TOKEN,
    }
    env.update(extra)
    return env


def settings(env: dict[str, str], connection_id: str = ID, secrets: SecretRegistry | None = None) -> Settings:
    registry = secrets if secrets is not None else SecretRegistry()
    return settings_of(read_connection(env, connection_id, secrets=registry), env)


# ---- ServicePrincipal -------------------------------------------------------------------------------------
def test_service_principal_with_a_secret() -> None:
    auth = f"ENDPOINT_AUTH_PARAMETER_{ID}_"
    env = connection_env(**{auth + "SERVICEPRINCIPALKEY": SECRET, auth + "AUTHENTICATIONTYPE": "spnKey"})
    registry = SecretRegistry()
    found = settings(env, secrets=registry)
    assert found.subscription_id == SUBSCRIPTION
    credential = found.credential
    assert (credential.kind, credential.tenant_id, credential.client_id) == ("secret", TENANT, CLIENT)
    assert credential.client_secret == SECRET
    assert SECRET in registry
    assert SECRET not in repr(found)


def test_service_principal_with_a_certificate() -> None:
    auth = f"ENDPOINT_AUTH_PARAMETER_{ID}_"
    env = connection_env(
        **{auth + "SERVICEPRINCIPALCERTIFICATE": PEM, auth + "AUTHENTICATIONTYPE": "spnCertificate"}
    )
    out = io.StringIO()
    registry = Vso(out).secrets  # the run's registry: a multi-line secret is also masked line by line
    credential = settings(env, secrets=registry).credential
    assert credential.kind == "certificate"
    assert credential.certificate_data == PEM.strip().encode()
    assert PEM in registry
    body = [line for line in PEM.splitlines() if not line.startswith("-----")]
    assert all(line in registry for line in body)
    assert registry.redact(f"line: {body[1]}") == "line: ***"
    registered = [c.message for c in vso.named(out.getvalue(), "task.setsecret")]
    assert registered == body  # one line at a time: the agent refuses multi-line secrets


def test_the_json_forms_are_a_fallback() -> None:
    env = {
        f"ENDPOINT_URL_{ID}": "https://management.azure.com/",
        f"ENDPOINT_AUTH_{ID}": json.dumps({"scheme": "ServicePrincipal", "parameters": {
            "tenantid": TENANT, "serviceprincipalid": CLIENT, "serviceprincipalkey": SECRET,
            "authenticationType": "spnKey"}}),
        f"ENDPOINT_DATA_{ID}": json.dumps({"subscriptionId": SUBSCRIPTION, "environment": "AzureCloud"}),
    }  # fmt: skip
    registry = SecretRegistry()
    found = settings(env, secrets=registry)
    assert found.credential.client_secret == SECRET
    assert found.subscription_id == SUBSCRIPTION
    assert SECRET in registry


def test_a_missing_key_is_named_without_secrets() -> None:
    with pytest.raises(ConfigError) as caught:
        settings(connection_env())
    assert "has no service principal key (secret)" in caught.value.message
    assert ID in caught.value.message


# ---- WorkloadIdentityFederation ---------------------------------------------------------------------------
def test_workload_identity_federation_uses_the_connection_and_the_jobs_token() -> None:
    env = connection_env(
        "WorkloadIdentityFederation", SYSTEM_OIDCREQUESTURI="https://dev.azure.com/x/oidctoken"
    )
    registry = SecretRegistry()
    credential = settings(env, secrets=registry).credential
    assert credential.kind == "pipelines"
    assert (credential.tenant_id, credential.client_id) == (TENANT, CLIENT)
    assert credential.service_connection_id == ID
    assert credential.system_access_token == JOB_TOKEN
    register_secrets(env, registry)
    assert JOB_TOKEN in registry


def test_workload_identity_falls_back_to_system_accesstoken() -> None:
    env = connection_env("workloadidentityfederation", SYSTEM_OIDCREQUESTURI="https://x/oidctoken",
                         SYSTEM_ACCESSTOKEN="from-the-variable")  # fmt: skip
    del env["ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"]
    assert settings(env).credential.system_access_token == "from-the-variable"


def test_workload_identity_without_the_oidc_request_uri_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as caught:
        settings(connection_env("WorkloadIdentityFederation"))
    assert "SYSTEM_OIDCREQUESTURI" in caught.value.message
    assert JOB_TOKEN not in caught.value.message + caught.value.hint


def test_workload_identity_without_a_token_is_a_clear_error() -> None:
    env = connection_env("WorkloadIdentityFederation", SYSTEM_OIDCREQUESTURI="https://x/oidctoken")
    del env["ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"]
    with pytest.raises(ConfigError, match=r"access token \(System.AccessToken\)"):
        settings(env)


# ---- ManagedServiceIdentity, PublishProfile, unknown ----------------------------------------------------
def test_managed_identity_with_and_without_a_client_id() -> None:
    assert settings(connection_env("ManagedServiceIdentity")).credential.kind == "managed-identity"
    assert settings(connection_env("ManagedServiceIdentity")).credential.client_id is None
    env = connection_env("ManagedServiceIdentity", **{f"ENDPOINT_DATA_{ID}_MSICLIENTID": CLIENT})
    assert settings(env).credential.client_id == CLIENT


def test_publish_profiles_are_refused_with_a_reason() -> None:
    with pytest.raises(ConfigError, match="publish profile, which slotwise does not support"):
        settings(connection_env("PublishProfile"))


def test_an_unknown_scheme_is_named() -> None:
    with pytest.raises(ConfigError, match="'UsernamePassword'"):
        settings(connection_env("UsernamePassword"))


# ---- which connection, which cloud -------------------------------------------------------------------------
def test_an_unknown_connection_names_the_input_and_authorization() -> None:
    with pytest.raises(ConfigError) as caught:
        read_connection(connection_env(), "not-there", secrets=SecretRegistry(),
                        input_label="'Azure subscription' (azureSubscription)")  # fmt: skip
    message = caught.value.message
    assert "'not-there'" in message
    assert "'Azure subscription' (azureSubscription)" in message
    assert "not authorized for this pipeline" in message


def test_the_id_is_matched_whatever_its_case() -> None:
    env = connection_env("ManagedServiceIdentity")
    assert read_connection(env, ID.upper(), secrets=SecretRegistry()).id == ID


def test_the_public_cloud_is_recognised_with_its_authority_alias() -> None:
    cloud = settings(connection_env("ManagedServiceIdentity")).cloud
    assert cloud.name == "AzureCloud"
    assert cloud.authority_host == "https://login.microsoftonline.com"
    assert cloud.arm_scope == "https://management.core.windows.net/.default"


def test_an_emulator_style_connection_gives_a_custom_cloud() -> None:
    env = connection_env(
        "ManagedServiceIdentity",
        url="https://127.0.0.1:8443/",
        **{f"ENDPOINT_DATA_{ID}_ENVIRONMENTAUTHORITYURL": "https://127.0.0.1:8444/"},
    )
    cloud = settings(env).cloud
    assert cloud.name == "custom"
    assert cloud.arm_endpoint == "https://127.0.0.1:8443"
    assert cloud.authority_host == "https://127.0.0.1:8444"
    assert not cloud.is_known_authority


def test_active_directory_authority_and_a_default_audience() -> None:
    env = connection_env("ManagedServiceIdentity", url="https://management.local.azurestack.external")
    del env[f"ENDPOINT_DATA_{ID}_ENVIRONMENTAUTHORITYURL"]
    del env[f"ENDPOINT_DATA_{ID}_ACTIVEDIRECTORYSERVICEENDPOINTRESOURCEID"]
    env[f"ENDPOINT_DATA_{ID}_ACTIVEDIRECTORYAUTHORITY"] = "https://login.stack.example/"
    cloud = settings(env).cloud
    assert cloud.authority_host == "https://login.stack.example"
    assert cloud.arm_audience == "https://management.azure.com/"


def test_a_connection_without_a_subscription_is_refused() -> None:
    env = connection_env("ManagedServiceIdentity")
    del env[f"ENDPOINT_DATA_{ID}_SUBSCRIPTIONID"]
    with pytest.raises(ConfigError, match="has no subscription id"):
        settings(env)


def test_every_endpoint_secret_is_registered_up_front() -> None:
    env = connection_env(**{f"ENDPOINT_AUTH_PARAMETER_{ID}_SERVICEPRINCIPALKEY": SECRET})
    env["ENDPOINT_AUTH_other"] = json.dumps(
        {"scheme": "UsernamePassword", "parameters": {"password": "other-pw"}}
    )
    env["SYSTEM_ACCESSTOKEN"] = "system-access-token"
    registry = SecretRegistry()
    register_secrets(env, registry)
    for secret in (SECRET, JOB_TOKEN, "other-pw", "system-access-token"):
        assert secret in registry
    assert CLIENT not in registry
    assert TENANT not in registry
