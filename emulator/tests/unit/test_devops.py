"""The emulated Azure DevOps backend: connections, jobs, and the OIDC tokens of workload identity."""

from __future__ import annotations

import base64
from typing import Any

import jwt
import pytest

from slotwise_emulator.backends.devops import (
    JOB_TOKEN_LIFETIME,
    OIDC_TOKEN_LIFETIME,
    SERVICE_PRINCIPAL,
    DevOpsBackend,
    Job,
    ServiceConnection,
    presented_token,
)
from slotwise_emulator.backends.identity import IdentityBackend
from slotwise_emulator.clock import ManualClock
from slotwise_emulator.errors import ServiceError, body_for

ENDPOINT = "https://login.example/tenant-a/oauth2/v2.0/token"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def idp(clock: ManualClock) -> IdentityBackend:
    backend = IdentityBackend(clock)
    backend.create_tenant("tenant-a")
    backend.create_application("tenant-a", client_id="app-a", secret="right-secret")
    backend.create_application("tenant-a", client_id="app-cert-only", certificate_pem=None, secret=None)
    backend.apps["app-cert-only"].secrets.clear()
    backend.authority = "https://login.example"
    return backend


@pytest.fixture
def devops(clock: ManualClock, idp: IdentityBackend) -> DevOpsBackend:
    backend = DevOpsBackend(clock, idp)
    backend.base_url = "https://devops.example/"
    backend.create_organization("contoso", org_id="0rg", tenant_id="tenant-a")
    backend.create_project("contoso", "web", project_id="p-web")
    backend.create_project("contoso", "api", project_id="p-api")
    return backend


def connect(
    devops: DevOpsBackend, project: str = "web", name: str = "prod", **extra: str
) -> ServiceConnection:
    values = {"client_id": "app-a", "tenant_id": "tenant-a", "subscription_id": "SUB-1", **extra}
    return devops.create_service_connection("contoso", project, name, **values)


def mint(devops: DevOpsBackend, as_job: Job, connection_id: str | None, **where: str) -> str:
    """An OIDC token asked for with ``as_job``'s access token, for its own job unless ``where`` says."""
    caller = devops.authenticate("contoso", f"Bearer {as_job.access_token}")
    return devops.issue_oidc_token(
        caller,
        where.get("project", as_job.project_id),
        where.get("hub", as_job.hub),
        where.get("plan", as_job.plan_id),
        where.get("job", as_job.job_id),
        connection_id,
    )


def devops_body(error: ServiceError) -> dict[str, Any]:
    body = body_for(error)
    assert isinstance(body, dict)
    return body


def exchange(idp: IdentityBackend, oidc_token: str) -> dict[str, Any]:
    form = {
        "grant_type": "client_credentials",
        "client_id": "app-a",
        "scope": "https://management.azure.com/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": oidc_token,
    }
    return idp.issue_token("tenant-a", form, ENDPOINT)


# ---- directory ------------------------------------------------------------------------------------
def test_organizations_and_projects_are_made_once_and_found_by_name_or_id(devops: DevOpsBackend) -> None:
    again = devops.create_organization("CONTOSO")
    assert again.id == "0rg"
    assert devops.create_project("contoso", "WEB").id == "p-web"
    org = devops.organization("Contoso")
    assert org is not None
    assert org.project("p-web") is org.project("web")
    assert devops.collection_uri("contoso") == "https://devops.example/contoso/"


def test_a_workload_identity_connection_registers_its_federated_credential(
    devops: DevOpsBackend, idp: IdentityBackend
) -> None:
    connection = connect(devops)
    assert (connection.issuer, connection.subject) == (
        "https://vstoken.dev.azure.com/0rg",
        "sc://contoso/web/prod",
    )
    [federated] = idp.apps["app-a"].federated
    assert (federated.issuer, federated.subject, federated.audiences) == (
        connection.issuer,
        connection.subject,
        ["api://AzureADTokenExchange"],
    )
    assert idp.trusted_issuers[connection.issuer] == idp.public_key_pem()
    assert devops.connection(connection.id.upper()) is connection


def test_a_secret_connection_registers_nothing(devops: DevOpsBackend, idp: IdentityBackend) -> None:
    connection = connect(devops, scheme=SERVICE_PRINCIPAL)
    assert connection.scheme == SERVICE_PRINCIPAL
    assert idp.apps["app-a"].federated == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"client_id": "nobody"}, "No service principal"),
        ({"tenant_id": "tenant-b"}, "not in tenant"),
        ({"scheme": "Certificate"}, "scheme must be one of"),
        ({"client_id": "app-cert-only", "scheme": SERVICE_PRINCIPAL}, "has no client secret"),
    ],
)
def test_bad_connections_are_refused_with_the_reason(
    devops: DevOpsBackend, extra: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        connect(devops, **extra)


def test_connection_names_are_unique_in_a_project_only(devops: DevOpsBackend) -> None:
    connect(devops)
    with pytest.raises(ValueError, match="already has"):
        connect(devops, name="PROD")
    assert connect(devops, project="api").subject == "sc://contoso/api/prod"


def test_jobs_need_an_existing_project_and_a_known_hub(devops: DevOpsBackend) -> None:
    with pytest.raises(KeyError):
        devops.create_job("contoso", "nope")
    with pytest.raises(KeyError):
        devops.create_job("fabrikam", "web")
    with pytest.raises(ValueError, match="hub"):
        devops.create_job("contoso", "web", hub="checks")


# ---- jobs and their tokens --------------------------------------------------------------------------
def test_a_job_has_an_access_token_and_the_oidc_request_uri_of_its_plan(devops: DevOpsBackend) -> None:
    job = devops.create_job("contoso", "web", hub="release")
    assert devops.oidc_request_uri(job) == (
        f"https://devops.example/contoso/p-web/_apis/distributedtask/hubs/release/plans/{job.plan_id}"
        f"/jobs/{job.job_id}/oidctoken"
    )
    claims = jwt.decode(job.access_token, options={"verify_signature": False})
    assert claims["aud"] == "app.vstoken.visualstudio.com|vso:0rg"
    assert job.access_token in devops.access_tokens()
    assert job.access_token not in repr(job)


def test_the_access_token_is_taken_as_bearer_or_as_basic_password(devops: DevOpsBackend) -> None:
    job = devops.create_job("contoso", "web")
    basic = base64.b64encode(f":{job.access_token}".encode()).decode()
    assert devops.authenticate("contoso", f"Bearer {job.access_token}") is job
    assert devops.authenticate("CONTOSO", f"Basic {basic}") is job
    assert presented_token("Basic !!not base64") == ""
    assert presented_token(None) == ""


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-job-token", "Negotiate abc"])
def test_an_unknown_token_gets_devops_401_with_an_empty_body(
    devops: DevOpsBackend, authorization: str | None
) -> None:
    with pytest.raises(ServiceError) as caught:
        devops.authenticate("contoso", authorization)
    error = caught.value
    assert error.status == 401
    assert body_for(error) is None
    assert error.headers["WWW-Authenticate"] == (
        'Bearer authorization_uri=https://login.example/tenant-a, Basic realm="https://devops.example/", '
        "TFS-Federated"
    )
    assert error.headers["X-VSS-ResourceTenant"] == "tenant-a"
    assert error.headers["X-TFS-ServiceError"].startswith("TF400813%3A")


def test_a_token_of_another_organization_or_past_its_life_is_refused(
    devops: DevOpsBackend, clock: ManualClock
) -> None:
    devops.create_organization("fabrikam", tenant_id="tenant-a")
    devops.create_project("fabrikam", "web")
    other = devops.create_job("fabrikam", "web")
    with pytest.raises(ServiceError) as caught:
        devops.authenticate("contoso", f"Bearer {other.access_token}")
    assert caught.value.status == 401
    job = devops.create_job("contoso", "web")
    clock.advance(JOB_TOKEN_LIFETIME)
    with pytest.raises(ServiceError) as expired:
        devops.authenticate("contoso", f"Bearer {job.access_token}")
    assert expired.value.status == 401


# ---- OIDC tokens ------------------------------------------------------------------------------------
def test_the_oidc_token_names_the_connection_and_lives_ten_minutes(
    devops: DevOpsBackend, idp: IdentityBackend, clock: ManualClock
) -> None:
    connection = connect(devops)
    job = devops.create_job("contoso", "web")
    token = mint(devops, job, connection.id.upper())
    claims = jwt.decode(
        token,
        idp.public_key_pem(),
        algorithms=["ES256"],
        audience="api://AzureADTokenExchange",
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},  # on the manual clock
    )
    assert claims["iss"] == "https://vstoken.dev.azure.com/0rg"
    assert claims["sub"] == "sc://contoso/web/prod"
    assert claims["iat"] == claims["nbf"] == int(clock.now())
    assert claims["exp"] - claims["iat"] == OIDC_TOKEN_LIFETIME == 600


def test_entra_exchanges_the_oidc_token_until_it_expires(
    devops: DevOpsBackend, idp: IdentityBackend, clock: ManualClock
) -> None:
    connection = connect(devops)
    job = devops.create_job("contoso", "web")
    token = mint(devops, job, connection.id)
    answer = exchange(idp, token)
    assert idp.validate_bearer(f"Bearer {answer['access_token']}").client_id == "app-a"
    clock.advance(OIDC_TOKEN_LIFETIME + 301)  # Entra allows five minutes of clock skew
    with pytest.raises(ServiceError) as caught:
        exchange(idp, token)
    assert caught.value.aad_codes == [700024]


def test_the_job_can_name_its_project_by_name_and_hub_in_any_case(devops: DevOpsBackend) -> None:
    connection = connect(devops)
    job = devops.create_job("contoso", "web")
    assert mint(devops, job, connection.id, project="WEB", hub="Build")


def test_missing_service_connection_id_is_a_400(devops: DevOpsBackend) -> None:
    job = devops.create_job("contoso", "web")
    with pytest.raises(ServiceError) as caught:
        mint(devops, job, None)
    assert caught.value.status == 400
    assert devops_body(caught.value)["typeKey"] == "ArgumentNullException"
    assert "serviceConnectionId" in devops_body(caught.value)["message"]


def test_a_connection_of_another_project_is_not_found(devops: DevOpsBackend) -> None:
    elsewhere = connect(devops, project="api")
    job = devops.create_job("contoso", "web")
    with pytest.raises(ServiceError) as caught:
        mint(devops, job, elsewhere.id)
    body = devops_body(caught.value)
    assert caught.value.status == 400
    assert body["message"] == f"No service connection found with identifier {elsewhere.id}."
    assert body["typeKey"] == "ServiceEndpointNotFoundException"
    assert set(body) == {"$id", "innerException", "message", "typeName", "typeKey", "errorCode", "eventId"}


def test_the_token_sees_its_own_project_only(devops: DevOpsBackend) -> None:
    connect(devops, project="api")
    job = devops.create_job("contoso", "web")
    with pytest.raises(ServiceError) as caught:
        mint(devops, job, "any", project="p-api")
    assert caught.value.status == 404
    assert devops_body(caught.value)["message"].startswith("VS800075:")


def test_unknown_plans_and_jobs_are_404s_and_other_jobs_are_refused(devops: DevOpsBackend) -> None:
    connection = connect(devops)
    job = devops.create_job("contoso", "web")
    other = devops.create_job("contoso", "web")
    cases = [
        ({"plan": "00000000-0000-0000-0000-000000000000"}, 404, "TaskOrchestrationPlanNotFoundException"),
        ({"hub": "release"}, 404, "TaskOrchestrationPlanNotFoundException"),
        ({"job": "00000000-0000-0000-0000-000000000000"}, 404, "TaskOrchestrationJobNotFoundException"),
        ({"plan": other.plan_id, "job": other.job_id}, 400, "InvalidRequestException"),
    ]
    for where, status, type_key in cases:
        with pytest.raises(ServiceError) as caught:
            mint(devops, job, connection.id, **where)
        assert (caught.value.status, devops_body(caught.value)["typeKey"]) == (status, type_key), where


def test_a_secret_connection_has_no_oidc_tokens(devops: DevOpsBackend) -> None:
    connection = connect(devops, scheme=SERVICE_PRINCIPAL)
    job = devops.create_job("contoso", "web")
    with pytest.raises(ServiceError) as caught:
        mint(devops, job, connection.id)
    assert caught.value.status == 400
    assert "ServicePrincipal" in devops_body(caught.value)["message"]


def test_clear_forgets_everything_and_unregisters_the_federation(
    devops: DevOpsBackend, idp: IdentityBackend
) -> None:
    connection = connect(devops)
    job = devops.create_job("contoso", "web")
    devops.clear()
    assert devops.organizations == {}
    assert devops.access_tokens() == []
    assert idp.apps["app-a"].federated == []
    assert connection.issuer not in idp.trusted_issuers
    with pytest.raises(ServiceError):
        devops.authenticate("contoso", f"Bearer {job.access_token}")
