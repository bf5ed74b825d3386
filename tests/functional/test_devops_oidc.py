"""Azure Pipelines' workload identity federation, end to end against the emulator.

A job's OIDC token comes from the emulated Azure DevOps distributed-task API, is exchanged at the
emulated Entra ID for an ARM token, which the emulated ARM accepts: through azure-identity's
unmodified ``AzurePipelinesCredential`` and through slotwise's own credential and service factory.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import AzurePipelinesCredential, ClientSecretCredential

from slotwise.azure.cloud import resolve_cloud
from slotwise.azure.credentials import CredentialSettings, build_credential
from slotwise.errors import AuthError
from slotwise.factory import build_services
from slotwise.services import Settings
from slotwise_emulator import Emulator, FunctionApp, PipelineJob, Speed

ARM_SCOPE = "https://management.azure.com/.default"


def pipelines_credential(emulator: Emulator, job: PipelineJob, **overrides: str) -> AzurePipelinesCredential:
    values = {
        "tenant_id": job.tenant_id,
        "client_id": job.client_id,
        "service_connection_id": job.service_connection_id,
        "system_access_token": job.access_token,
        **overrides,
    }
    return AzurePipelinesCredential(
        **values,
        authority=emulator.authority,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_path),
    )


def arm_status(emulator: Emulator, token: str) -> int:
    answer = requests.get(
        f"{emulator.arm_url}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {token}"},
        verify=str(emulator.ca_path),
        timeout=10,
    )
    return answer.status_code


def post_oidc(emulator: Emulator, url: str, headers: dict[str, str], **extra: Any) -> requests.Response:
    return requests.post(url, headers=headers, verify=str(emulator.ca_path), timeout=10, **extra)


def control(emulator: Emulator, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{emulator.arm_url}/_emulator/devops/{path}", json=body, verify=str(emulator.ca_path), timeout=10
    )


@pytest.fixture
def job(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> PipelineJob:
    """A running job of contoso/web with a workload identity connection, and the agent's variables set."""
    made = emulator.pipeline_job()
    monkeypatch.setenv("SYSTEM_OIDCREQUESTURI", made.oidc_request_uri)
    return made


# ---- (1) azure-identity, unmodified -----------------------------------------------------------------
def test_azure_pipelines_credential_gets_an_arm_token_arm_accepts(
    emulator: Emulator, job: PipelineJob
) -> None:
    assert job.oidc_request_uri.startswith(f"{emulator.devops_url}contoso/{job.project_id}/_apis/")
    token = pipelines_credential(emulator, job).get_token(ARM_SCOPE)
    assert token.expires_on > 0
    assert arm_status(emulator, token.token) == 200


# ---- (2) slotwise's own credential and factory ------------------------------------------------------
def test_slotwise_lists_slots_with_a_pipelines_credential(
    emulator: Emulator, job: PipelineJob, function_app: FunctionApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_path))
    cloud = resolve_cloud(arm_endpoint=emulator.arm_url, authority_host=emulator.authority)
    settings = CredentialSettings(
        kind="pipelines",
        tenant_id=job.tenant_id,
        client_id=job.client_id,
        service_connection_id=job.service_connection_id,
        system_access_token=job.access_token,
    )
    assert build_credential(settings, cloud).get_token(cloud.arm_scope).token
    services = build_services(Settings(cloud=cloud, subscription_id=job.subscription_id, credential=settings))
    try:
        slots = services.web_apps.list_slots(function_app.resource_group, function_app.name)
    finally:
        services.close()
    assert [s.ref.slot for s in slots] == ["production", "staging"]


# ---- (3) a wrong access token --------------------------------------------------------------------
def test_a_wrong_access_token_fails_with_devops_401(emulator: Emulator, job: PipelineJob) -> None:
    credential = pipelines_credential(emulator, job, system_access_token="not-the-job-token")
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token(ARM_SCOPE)
    assert "Unexpected response from OIDC token endpoint" in str(caught.value)
    response: Any = caught.value.response  # azure-core types it as a union of its response classes
    assert response is not None
    assert response.status_code == 401
    assert "TFS-Federated" in response.headers["WWW-Authenticate"]


def test_slotwise_reports_a_wrong_access_token_as_an_auth_error(
    emulator: Emulator, job: PipelineJob, function_app: FunctionApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_path))
    cloud = resolve_cloud(arm_endpoint=emulator.arm_url, authority_host=emulator.authority)
    settings = CredentialSettings(
        kind="pipelines",
        tenant_id=job.tenant_id,
        client_id=job.client_id,
        service_connection_id=job.service_connection_id,
        system_access_token="not-the-job-token",
    )
    services = build_services(Settings(cloud=cloud, subscription_id=job.subscription_id, credential=settings))
    try:
        with pytest.raises(AuthError, match="OIDC token endpoint"):
            services.web_apps.list_slots(function_app.resource_group, function_app.name)
    finally:
        services.close()


# ---- (4) a connection of another project ---------------------------------------------------------
def test_a_connection_of_another_project_is_refused(emulator: Emulator, job: PipelineJob) -> None:
    elsewhere = emulator.service_connection("contoso", "api", "prod")
    credential = pipelines_credential(emulator, job, service_connection_id=elsewhere.id)
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token(ARM_SCOPE)
    response: Any = caught.value.response  # azure-core types it as a union of its response classes
    assert response is not None
    assert response.status_code == 400
    assert response.json()["message"] == f"No service connection found with identifier {elsewhere.id}."


# ---- (5) --state-dir ------------------------------------------------------------------------------
def test_jobs_connections_and_the_devops_port_survive_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Emulator(state_dir=tmp_path, speed=Speed.instant()) as first:
        made = first.pipeline_job()
        devops_url = first.devops_url
    with Emulator(state_dir=tmp_path, speed=Speed.instant()) as second:
        assert second.devops_url == devops_url
        monkeypatch.setenv("SYSTEM_OIDCREQUESTURI", made.oidc_request_uri)
        token = pipelines_credential(second, made).get_token(ARM_SCOPE)
        assert arm_status(second, token.token) == 200
        again = second.pipeline_job()
        assert (again.project_id, again.service_connection_id) == (
            made.project_id,
            made.service_connection_id,
        )
        assert again.plan_id != made.plan_id


# ---- the wire, as Azure DevOps answers it ---------------------------------------------------------
def test_wire_variants_tasks_use(emulator: Emulator, job: PipelineJob) -> None:
    query = f"?serviceConnectionId={job.service_connection_id}"
    basic = base64.b64encode(f":{job.access_token}".encode()).decode()
    # Microsoft's PowerShell helper: Basic auth, api-version 7.1-preview.1, no redirect suppression
    preview = post_oidc(
        emulator,
        f"{job.oidc_request_uri}{query}&api-version=7.1-preview.1",
        {"Authorization": f"Basic {basic}"},
    )
    assert preview.status_code == 200, preview.text
    # azure-devops-node-api: the version in the Accept header, a JSON body; any case in the path
    node = post_oidc(
        emulator,
        job.oidc_request_uri.replace("/_apis/distributedtask/", "/_apis/DistributedTask/") + query,
        {
            "Authorization": f"Bearer {job.access_token}",
            "Accept": "application/json;api-version=7.1-preview.1",
        },
        json={},
    )
    assert node.status_code == 200, node.text
    assert set(node.json()) == {"oidcToken"}


def test_wire_errors(emulator: Emulator, job: PipelineJob) -> None:
    bearer = {"Authorization": f"Bearer {job.access_token}", "X-TFS-FedAuthRedirect": "Suppress"}
    no_version = post_oidc(
        emulator, f"{job.oidc_request_uri}?serviceConnectionId={job.service_connection_id}", bearer
    )
    assert no_version.status_code == 400
    assert no_version.json()["typeKey"] == "VssVersionNotSpecifiedException"
    no_connection = post_oidc(emulator, f"{job.oidc_request_uri}?api-version=7.1", bearer)
    assert no_connection.status_code == 400
    assert no_connection.json()["typeKey"] == "ArgumentNullException"
    old = post_oidc(emulator, f"{job.oidc_request_uri}?api-version=7.0&serviceConnectionId=x", bearer)
    assert old.status_code == 400
    unknown = requests.get(
        f"{emulator.devops_url}contoso/_apis/nothing", verify=str(emulator.ca_path), timeout=10
    )
    assert unknown.status_code == 404
    assert unknown.json()["typeKey"] == "VssResourceNotFoundException"


def test_without_redirect_suppression_an_unauthenticated_request_is_sent_to_sign_in(
    emulator: Emulator, job: PipelineJob
) -> None:
    url = f"{job.oidc_request_uri}?api-version=7.1&serviceConnectionId={job.service_connection_id}"
    answer = post_oidc(emulator, url, {"Authorization": "Bearer nope"}, allow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(f"{emulator.devops_url}_signin?")
    page = requests.get(answer.headers["Location"], verify=str(emulator.ca_path), timeout=10)
    assert "Sign In" in page.text


# ---- the control plane ------------------------------------------------------------------------------
def test_control_plane_stands_up_a_job_a_credential_can_use(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert control(emulator, "organizations", {"name": "fabrikam"}).status_code == 201
    assert control(emulator, "organizations", {"name": "fabrikam"}).status_code == 200
    project = control(emulator, "fabrikam/projects", {"name": "shop"}).json()
    connection = control(emulator, "fabrikam/shop/serviceconnections", {"name": "prod"})
    assert connection.status_code == 201, connection.text
    conn = connection.json()
    assert (conn["clientId"], conn["tenantId"], conn["subscriptionId"]) == (
        emulator.client_id,
        emulator.tenant_id,
        emulator.subscription_id,
    )
    assert conn["subject"] == "sc://fabrikam/shop/prod"
    started = control(emulator, "fabrikam/shop/jobs", {"hub": "release"}).json()
    assert started["teamProjectId"] == project["id"]
    assert started["collectionUri"] == f"{emulator.devops_url}fabrikam/"
    assert started["oidcRequestUri"] == (
        f"{emulator.devops_url}fabrikam/{project['id']}/_apis/distributedtask/hubs/release/plans/"
        f"{started['planId']}/jobs/{started['jobId']}/oidctoken"
    )
    monkeypatch.setenv("SYSTEM_OIDCREQUESTURI", started["oidcRequestUri"])
    credential = AzurePipelinesCredential(
        tenant_id=conn["tenantId"],
        client_id=conn["clientId"],
        service_connection_id=conn["id"],
        system_access_token=started["accessToken"],
        authority=emulator.authority,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_path),
    )
    assert arm_status(emulator, credential.get_token(ARM_SCOPE).token) == 200
    issued = requests.get(f"{emulator.arm_url}/_emulator/secrets", verify=str(emulator.ca_path), timeout=10)
    assert started["accessToken"] in issued.json()["tokens"]
    listed = requests.get(
        f"{emulator.arm_url}/_emulator/devops/organizations", verify=str(emulator.ca_path), timeout=10
    ).json()["value"]
    assert started["accessToken"] not in str(listed)
    assert [o["name"] for o in listed] == ["fabrikam"]


def test_control_plane_errors_name_what_is_missing(emulator: Emulator) -> None:
    missing = control(emulator, "nowhere/projects", {"name": "web"})
    assert missing.status_code == 404
    assert "nowhere" in missing.json()["Message"]
    control(emulator, "organizations", {"name": "contoso"})
    control(emulator, "contoso/projects", {"name": "web"})
    unknown = control(emulator, "contoso/web/serviceconnections", {"name": "x", "clientId": "nobody"})
    assert unknown.status_code == 400
    assert "No service principal" in unknown.json()["Message"]
    assert control(emulator, "contoso/web/jobs", {"hub": "checks"}).status_code == 400


# ---- a secret (spnKey) connection ---------------------------------------------------------------
def test_service_principal_env_is_what_a_secret_connection_gives_a_task(emulator: Emulator) -> None:
    conn = emulator.service_connection("contoso", "web", "legacy", scheme="ServicePrincipal")
    env = emulator.service_principal_env(conn.id)
    assert env[f"ENDPOINT_AUTH_SCHEME_{conn.id}"] == "ServicePrincipal"
    assert env[f"ENDPOINT_AUTH_PARAMETER_{conn.id}_AUTHENTICATIONTYPE"] == "spnKey"
    credential = ClientSecretCredential(
        env[f"ENDPOINT_AUTH_PARAMETER_{conn.id}_TENANTID"],
        env[f"ENDPOINT_AUTH_PARAMETER_{conn.id}_SERVICEPRINCIPALID"],
        env[f"ENDPOINT_AUTH_PARAMETER_{conn.id}_SERVICEPRINCIPALKEY"],
        authority=env[f"ENDPOINT_DATA_{conn.id}_ENVIRONMENTAUTHORITYURL"],
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_path),
    )
    token = credential.get_token(
        env[f"ENDPOINT_DATA_{conn.id}_ACTIVEDIRECTORYSERVICEENDPOINTRESOURCEID"] + ".default"
    )
    assert arm_status(emulator, token.token) == 200
    assert env[f"ENDPOINT_URL_{conn.id}"] == f"{emulator.arm_url}/"


def test_reset_forgets_devops_and_its_federated_credentials(emulator: Emulator) -> None:
    emulator.pipeline_job()
    emulator.reset()
    assert emulator.backends.devops.organizations == {}
    assert emulator.backends.identity.apps[emulator.client_id].federated == []
    assert emulator.pipeline_job().collection_uri == f"{emulator.devops_url}contoso/"
