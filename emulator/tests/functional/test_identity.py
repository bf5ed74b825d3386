"""azure-identity's credentials, unmodified, against the emulated Entra ID token endpoint."""

from __future__ import annotations

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientAssertionCredential, ClientSecretCredential

from slotwise_emulator import Emulator
from slotwise_emulator.certificates import self_signed_pem

ARM_SCOPE = "https://management.azure.com/.default"


def options(emulator: Emulator) -> dict[str, object]:
    return {
        "authority": emulator.authority,
        "connection_verify": str(emulator.ca_path),
        "disable_instance_discovery": True,
    }


def arm_answers(emulator: Emulator, token: str) -> int:
    response = requests.get(
        f"{emulator.arm_url}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {token}"},
        verify=str(emulator.ca_path),
        timeout=10,
    )
    return response.status_code


def test_client_secret_credential(emulator: Emulator, credential: ClientSecretCredential) -> None:
    token = credential.get_token(ARM_SCOPE)
    assert token.expires_on > 0
    assert arm_answers(emulator, token.token) == 200


def test_core_windows_net_audience_is_accepted_like_az_cli_asks(
    credential: ClientSecretCredential, emulator: Emulator
) -> None:
    token = credential.get_token("https://management.core.windows.net//.default")
    assert arm_answers(emulator, token.token) == 200


def test_wrong_secret_gives_the_aadsts_error(emulator: Emulator) -> None:
    bad = ClientSecretCredential(
        emulator.tenant_id, emulator.client_id, "not-the-secret", **options(emulator)
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        bad.get_token(ARM_SCOPE)
    assert "AADSTS7000215" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)


def test_unknown_client_gives_the_aadsts_error(emulator: Emulator) -> None:
    bad = ClientSecretCredential(
        emulator.tenant_id, "00000000-0000-0000-0000-00000000abcd", "x", **options(emulator)
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        bad.get_token(ARM_SCOPE)
    assert "AADSTS700016" in str(caught.value)


def test_certificate_credential(emulator: Emulator) -> None:
    cert_pem, bundle = self_signed_pem()
    app = emulator.call(lambda b: b.identity.create_application(emulator.tenant_id, certificate_pem=cert_pem))
    credential = CertificateCredential(
        emulator.tenant_id, app.client_id, certificate_data=bundle, **options(emulator)
    )
    assert arm_answers(emulator, credential.get_token(ARM_SCOPE).token) == 200


def test_certificate_not_registered_is_refused(emulator: Emulator) -> None:
    registered, _ = self_signed_pem()
    _, other_bundle = self_signed_pem()
    app = emulator.call(
        lambda b: b.identity.create_application(emulator.tenant_id, certificate_pem=registered)
    )
    credential = CertificateCredential(
        emulator.tenant_id, app.client_id, certificate_data=other_bundle, **options(emulator)
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token(ARM_SCOPE)
    assert "AADSTS700027" in str(caught.value)


def test_client_assertion_credential_with_a_federated_credential(emulator: Emulator) -> None:
    control = f"{emulator.arm_url}/_emulator"
    verify = str(emulator.ca_path)
    issuer = "https://vstoken.dev.azure.com/00000000-0000-0000-0000-000000000001"
    subject = "sc://contoso/web/prod-connection"
    principal = requests.post(f"{control}/principals", json={}, verify=verify, timeout=10).json()
    created = requests.post(
        f"{control}/principals/{principal['clientId']}/federated",
        json={"issuer": issuer, "subject": subject},
        verify=verify,
        timeout=10,
    )
    assert created.status_code == 201

    def assertion() -> str:
        minted = requests.post(
            f"{control}/oidc-token", json={"issuer": issuer, "subject": subject}, verify=verify, timeout=10
        )
        return str(minted.json()["oidcToken"])

    credential = ClientAssertionCredential(
        emulator.tenant_id, principal["clientId"], assertion, **options(emulator)
    )
    assert arm_answers(emulator, credential.get_token(ARM_SCOPE).token) == 200


def test_federated_assertion_with_another_subject_is_refused(emulator: Emulator) -> None:
    control = f"{emulator.arm_url}/_emulator"
    verify = str(emulator.ca_path)
    principal = requests.post(f"{control}/principals", json={}, verify=verify, timeout=10).json()
    requests.post(
        f"{control}/principals/{principal['clientId']}/federated",
        json={"issuer": "https://issuer.test", "subject": "sc://a/b/c"},
        verify=verify,
        timeout=10,
    )

    def assertion() -> str:
        return str(
            requests.post(
                f"{control}/oidc-token",
                json={"issuer": "https://issuer.test", "subject": "sc://x"},
                verify=verify,
                timeout=10,
            ).json()["oidcToken"]
        )

    credential = ClientAssertionCredential(
        emulator.tenant_id, principal["clientId"], assertion, **options(emulator)
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token(ARM_SCOPE)
    assert "AADSTS700213" in str(caught.value)


def test_openid_configuration_names_the_token_endpoint(emulator: Emulator) -> None:
    response = requests.get(
        f"{emulator.authority}/{emulator.tenant_id}/v2.0/.well-known/openid-configuration",
        verify=str(emulator.ca_path),
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["token_endpoint"] == f"{emulator.authority}/{emulator.tenant_id}/oauth2/v2.0/token"
    unknown = requests.get(
        f"{emulator.authority}/not-a-tenant/v2.0/.well-known/openid-configuration",
        verify=str(emulator.ca_path),
        timeout=10,
    )
    assert unknown.status_code == 400
    assert unknown.json()["error_codes"] == [90002]
