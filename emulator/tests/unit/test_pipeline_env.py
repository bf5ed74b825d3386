"""What the agent's environment looks like for a job of the emulator (names as the agent sets them)."""

from __future__ import annotations

import json

from slotwise_emulator.pipeline import PipelineJob, ServiceConnectionInfo

CONNECTION = "5a7b1c2d-0000-4000-8000-00000000c0de"


def connection(scheme: str = "WorkloadIdentityFederation", key: str | None = None) -> ServiceConnectionInfo:
    return ServiceConnectionInfo(
        id=CONNECTION,
        name="prod",
        scheme=scheme,
        tenant_id="tenant-a",
        client_id="app-a",
        subscription_id="sub-1",
        subscription_name="slotwise emulator",
        arm_url="https://127.0.0.1:4001",
        authority="https://127.0.0.1:4002",
        issuer="https://vstoken.dev.azure.com/0rg",
        subject="sc://contoso/web/prod",
        service_principal_key=key,
    )


def job(with_connection: ServiceConnectionInfo | None) -> PipelineJob:
    return PipelineJob(
        organization="contoso",
        organization_id="0rg",
        project="web",
        project_id="p-web",
        collection_uri="https://127.0.0.1:4003/contoso/",
        hub="build",
        plan_id="plan-1",
        job_id="job-1",
        access_token="job-token",
        oidc_request_uri="https://127.0.0.1:4003/contoso/p-web/_apis/distributedtask/hubs/build/plans/plan-1/jobs/job-1/oidctoken",
        connection=with_connection,
    )


def test_agent_env_of_a_workload_identity_job() -> None:
    env = job(connection()).agent_env()
    assert env["SYSTEM_OIDCREQUESTURI"].endswith("/plans/plan-1/jobs/job-1/oidctoken")
    assert (
        env["SYSTEM_COLLECTIONURI"]
        == env["ENDPOINT_URL_SYSTEMVSSCONNECTION"]
        == "https://127.0.0.1:4003/contoso/"
    )
    assert (
        env["SYSTEM_TEAMPROJECTID"],
        env["SYSTEM_PLANID"],
        env["SYSTEM_JOBID"],
        env["SYSTEM_HOSTTYPE"],
    ) == (
        "p-web",
        "plan-1",
        "job-1",
        "build",
    )
    assert env["ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"] == "job-token"
    assert json.loads(env["ENDPOINT_AUTH_SYSTEMVSSCONNECTION"]) == {
        "parameters": {"AccessToken": "job-token"},
        "scheme": "OAuth",
    }
    assert env[f"ENDPOINT_URL_{CONNECTION}"] == "https://127.0.0.1:4001/"
    assert env[f"ENDPOINT_AUTH_SCHEME_{CONNECTION}"] == "WorkloadIdentityFederation"
    assert env[f"ENDPOINT_AUTH_PARAMETER_{CONNECTION}_SERVICEPRINCIPALID"] == "app-a"
    assert env[f"ENDPOINT_AUTH_PARAMETER_{CONNECTION}_TENANTID"] == "tenant-a"
    assert f"ENDPOINT_AUTH_PARAMETER_{CONNECTION}_SERVICEPRINCIPALKEY" not in env
    assert env[f"ENDPOINT_DATA_{CONNECTION}_SUBSCRIPTIONID"] == "sub-1"
    assert env[f"ENDPOINT_DATA_{CONNECTION}_ENVIRONMENT"] == "AzureCloud"
    assert env[f"ENDPOINT_DATA_{CONNECTION}_ENVIRONMENTAUTHORITYURL"] == "https://127.0.0.1:4002/"
    assert (
        env[f"ENDPOINT_DATA_{CONNECTION}_ACTIVEDIRECTORYSERVICEENDPOINTRESOURCEID"]
        == "https://management.core.windows.net/"
    )
    auth = json.loads(env[f"ENDPOINT_AUTH_{CONNECTION}"])
    assert auth["scheme"] == "WorkloadIdentityFederation"
    assert auth["parameters"]["workloadIdentityFederationSubject"] == "sc://contoso/web/prod"
    assert json.loads(env[f"ENDPOINT_DATA_{CONNECTION}"])["subscriptionId"] == "sub-1"


def test_endpoint_env_of_a_secret_connection_is_spn_key() -> None:
    env = connection("ServicePrincipal", key="s3cret").endpoint_env()
    assert env[f"ENDPOINT_AUTH_SCHEME_{CONNECTION}"] == "ServicePrincipal"
    assert env[f"ENDPOINT_AUTH_PARAMETER_{CONNECTION}_AUTHENTICATIONTYPE"] == "spnKey"
    assert env[f"ENDPOINT_AUTH_PARAMETER_{CONNECTION}_SERVICEPRINCIPALKEY"] == "s3cret"


def test_secrets_stay_out_of_reprs() -> None:
    assert "job-token" not in repr(job(connection()))
    assert "s3cret" not in repr(connection("ServicePrincipal", key="s3cret"))


def test_a_job_without_a_connection_has_only_the_system_variables() -> None:
    env = job(None).agent_env()
    assert not [k for k in env if k.startswith("ENDPOINT_") and "SYSTEMVSSCONNECTION" not in k]
