"""The emulated Entra ID backend: the client-credentials grant and ARM's bearer checks."""

from __future__ import annotations

import pytest

from slotwise_emulator.backends.identity import IdentityBackend
from slotwise_emulator.clock import ManualClock
from slotwise_emulator.errors import ServiceError, body_for

ENDPOINT = "https://login.example/tenant/oauth2/v2.0/token"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def idp(clock: ManualClock) -> IdentityBackend:
    backend = IdentityBackend(clock)
    backend.create_tenant("tenant-a")
    backend.create_tenant("tenant-b")
    backend.create_application("tenant-a", client_id="app-a", secret="right-secret")
    return backend


def grant(**fields: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "scope": "https://management.azure.com/.default", **fields}


def test_client_secret_grant_issues_a_bearer_token_arm_accepts(idp: IdentityBackend) -> None:
    answer = idp.issue_token("tenant-a", grant(client_id="app-a", client_secret="right-secret"), ENDPOINT)
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 3600
    claims = idp.validate_bearer(f"Bearer {answer['access_token']}")
    assert (claims.tenant_id, claims.client_id, claims.audience) == (
        "tenant-a",
        "app-a",
        "https://management.azure.com",
    )


def test_wrong_secret_is_refused_with_the_real_aadsts_code(idp: IdentityBackend) -> None:
    with pytest.raises(ServiceError) as caught:
        idp.issue_token("tenant-a", grant(client_id="app-a", client_secret="wrong"), ENDPOINT)
    error = caught.value
    assert (error.status, error.code, error.aad_codes) == (401, "invalid_client", [7000215])
    body = body_for(error)
    assert body["error"] == "invalid_client"
    assert body["error_description"].startswith("AADSTS7000215:")
    assert "wrong" not in body["error_description"]  # the presented secret is never echoed


@pytest.mark.parametrize(
    ("tenant", "client", "code"),
    [("tenant-x", "app-a", 90002), ("tenant-a", "nobody", 700016), ("tenant-b", "app-a", 700016)],
)
def test_unknown_tenant_or_client(idp: IdentityBackend, tenant: str, client: str, code: int) -> None:
    with pytest.raises(ServiceError) as caught:
        idp.issue_token(tenant, grant(client_id=client, client_secret="right-secret"), ENDPOINT)
    assert caught.value.aad_codes == [code]
    assert caught.value.status == 400


def test_scope_must_be_a_known_resource_with_default_suffix(idp: IdentityBackend) -> None:
    with pytest.raises(ServiceError) as no_default:
        idp.issue_token(
            "tenant-a", grant(client_id="app-a", client_secret="right-secret", scope="user.read"), ENDPOINT
        )
    assert no_default.value.aad_codes == [1002012]
    with pytest.raises(ServiceError) as unknown:
        idp.issue_token(
            "tenant-a",
            grant(client_id="app-a", client_secret="right-secret", scope="https://vault.x/.default"),
            ENDPOINT,
        )
    assert unknown.value.aad_codes == [500011]


def test_both_arm_audiences_are_accepted(idp: IdentityBackend) -> None:
    for scope in ("https://management.azure.com/.default", "https://management.core.windows.net//.default"):
        token = idp.issue_token(
            "tenant-a", grant(client_id="app-a", client_secret="right-secret", scope=scope), ENDPOINT
        )["access_token"]
        assert idp.validate_bearer(f"Bearer {token}").audience.startswith("https://management.")


def test_a_token_for_another_resource_is_refused_by_arm(idp: IdentityBackend) -> None:
    token = idp.issue_token(
        "tenant-a",
        grant(
            client_id="app-a",
            client_secret="right-secret",
            scope="499b84ac-1321-427f-aa17-267ca6975798/.default",
        ),
        ENDPOINT,
    )["access_token"]
    with pytest.raises(ServiceError) as caught:
        idp.validate_bearer(f"Bearer {token}")
    assert (caught.value.status, caught.value.code) == (401, "InvalidAuthenticationTokenAudience")


def test_expired_tokens_are_refused(idp: IdentityBackend, clock: ManualClock) -> None:
    token = idp.issue_token("tenant-a", grant(client_id="app-a", client_secret="right-secret"), ENDPOINT)[
        "access_token"
    ]
    clock.advance(3601)
    with pytest.raises(ServiceError) as caught:
        idp.validate_bearer(f"Bearer {token}")
    assert caught.value.code == "ExpiredAuthenticationToken"
    assert "WWW-Authenticate" in caught.value.headers


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "AuthenticationFailed"),
        ("Basic abc", "AuthenticationFailed"),
        ("Bearer not.a.jwt", "InvalidAuthenticationToken"),
    ],
)
def test_missing_or_malformed_authorization(idp: IdentityBackend, header: str | None, code: str) -> None:
    with pytest.raises(ServiceError) as caught:
        idp.validate_bearer(header)
    assert (caught.value.status, caught.value.code) == (401, code)


def test_token_of_another_tenant_is_refused_for_a_subscription(idp: IdentityBackend) -> None:
    token = idp.issue_token("tenant-a", grant(client_id="app-a", client_secret="right-secret"), ENDPOINT)[
        "access_token"
    ]
    claims = idp.validate_bearer(f"Bearer {token}")
    idp.check_tenant(claims, "tenant-a")
    with pytest.raises(ServiceError) as caught:
        idp.check_tenant(claims, "tenant-b")
    assert caught.value.code == "InvalidAuthenticationTokenTenant"


def test_federated_assertion_needs_a_matching_record(idp: IdentityBackend) -> None:
    issuer = "https://issuer.example"
    assertion = idp.mint_oidc_token(issuer, "sc://org/project/conn")
    with pytest.raises(ServiceError) as caught:
        idp.issue_token(
            "tenant-a",
            grant(
                client_id="app-a",
                client_assertion=assertion,
                client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ENDPOINT,
        )
    assert caught.value.aad_codes == [700213]
    idp.add_federated_credential("app-a", issuer, "sc://org/project/conn")
    answer = idp.issue_token(
        "tenant-a",
        grant(
            client_id="app-a",
            client_assertion=assertion,
            client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ENDPOINT,
    )
    assert idp.validate_bearer(f"Bearer {answer['access_token']}").client_id == "app-a"


def test_expired_federated_assertion_is_refused(idp: IdentityBackend, clock: ManualClock) -> None:
    issuer = "https://issuer.example"
    idp.add_federated_credential("app-a", issuer, "subject")
    assertion = idp.mint_oidc_token(issuer, "subject", lifetime=60)
    clock.advance(3600)
    with pytest.raises(ServiceError) as caught:
        idp.issue_token(
            "tenant-a",
            grant(
                client_id="app-a",
                client_assertion=assertion,
                client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ENDPOINT,
        )
    assert caught.value.aad_codes == [700024]


def test_client_secrets_listed_for_leak_checks(idp: IdentityBackend) -> None:
    generated = idp.create_application("tenant-b")
    assert set(idp.client_secrets()) == {"right-secret", generated.secrets[0]}
    assert "8Q~" in generated.secrets[0]
