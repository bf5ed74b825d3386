"""What the Azure Pipelines agent hands a task, for a job run against the emulator.

``PipelineJob`` is one running job (``Emulator.pipeline_job``): its collection, project, plan and
job ids, its access token (``System.AccessToken``), the OIDC request URI, and the AzureRM service
connection it uses. ``agent_env()`` is the environment the agent gives a task process of that job,
with the names the agent uses (``SYSTEM_*`` variables, ``ENDPOINT_*`` for ``SystemVssConnection``
and the AzureRM connection). ``ServiceConnectionInfo.endpoint_env()`` gives one connection's
``ENDPOINT_*`` variables, for either scheme (workload identity federation, or a service principal
with a secret, ``spnKey``). The data points at the emulator: the endpoint URL is its ARM URL and
``environmentAuthorityUrl`` its login authority. ``describe_job`` and ``describe_connection`` build
them from the DevOps backend's state (values only: nothing here talks to a listener).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slotwise_emulator.agent.environment import endpoint_environment
from slotwise_emulator.backends import devops_endpoints
from slotwise_emulator.backends.devops_jobs import Endpoint

if TYPE_CHECKING:
    from slotwise_emulator.backends import Backends
    from slotwise_emulator.backends.devops import Job, ServiceConnection

ARM_RESOURCE_ID = devops_endpoints.ARM_RESOURCE_ID


@dataclass(frozen=True)
class ServiceConnectionInfo:
    """An AzureRM service connection as a task sees it."""

    id: str
    name: str
    scheme: str  # WorkloadIdentityFederation | ServicePrincipal
    tenant_id: str
    client_id: str
    subscription_id: str
    subscription_name: str
    arm_url: str  # https://127.0.0.1:<port>, no trailing slash
    authority: str
    issuer: str = ""
    subject: str = ""
    service_principal_key: str | None = field(default=None, repr=False)  # ServicePrincipal only

    def endpoint(self) -> Endpoint:
        """The connection as the job carries it (``devops_endpoints.azurerm``)."""
        return devops_endpoints.azurerm(
            self, arm_url=self.arm_url, authority=self.authority, key=self.service_principal_key
        )

    def endpoint_env(self) -> dict[str, str]:
        """``ENDPOINT_URL_<id>``, ``ENDPOINT_AUTH[_SCHEME|_PARAMETER]_<id>...``, ``ENDPOINT_DATA_<id>...``."""
        return endpoint_environment(self.endpoint())


@dataclass(frozen=True)
class PipelineJob:
    """A running job of a pipeline, with everything a task of it needs."""

    organization: str
    organization_id: str
    project: str
    project_id: str
    collection_uri: str  # {devops_url}{org}/
    hub: str  # build | release (System.HostType)
    plan_id: str
    job_id: str
    access_token: str = field(repr=False)  # System.AccessToken
    oidc_request_uri: str = ""  # System.OidcRequestUri
    connection: ServiceConnectionInfo | None = None

    @property
    def service_connection(self) -> ServiceConnectionInfo:
        if self.connection is None:
            raise ValueError("This job has no service connection.")
        return self.connection

    @property
    def service_connection_id(self) -> str:
        return self.service_connection.id

    @property
    def tenant_id(self) -> str:
        return self.service_connection.tenant_id

    @property
    def client_id(self) -> str:
        return self.service_connection.client_id

    @property
    def subscription_id(self) -> str:
        return self.service_connection.subscription_id

    def system_env(self) -> dict[str, str]:
        """The job's predefined variables and its ``SystemVssConnection`` endpoint."""
        return {
            "SYSTEM_COLLECTIONURI": self.collection_uri,
            "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI": self.collection_uri,
            "SYSTEM_TEAMFOUNDATIONSERVERURI": self.collection_uri,
            "SYSTEM_COLLECTIONID": self.organization_id,
            "SYSTEM_TEAMPROJECT": self.project,
            "SYSTEM_TEAMPROJECTID": self.project_id,
            "SYSTEM_HOSTTYPE": self.hub,
            "SYSTEM_PLANID": self.plan_id,
            "SYSTEM_JOBID": self.job_id,
            "SYSTEM_OIDCREQUESTURI": self.oidc_request_uri,
            "SYSTEM_SERVERTYPE": "Hosted",
        } | endpoint_environment(devops_endpoints.system_vss(self.collection_uri, self.access_token))

    def agent_env(self) -> dict[str, str]:
        """What the agent sets for a task of this job that references its service connection."""
        env = self.system_env()
        if self.connection is not None:
            env |= self.connection.endpoint_env()
        return env


def describe_connection(
    backends: Backends, connection: ServiceConnection, *, arm_url: str, authority: str
) -> ServiceConnectionInfo:
    """A connection of the DevOps backend as a task sees it (with the secret of an spnKey one)."""
    key = devops_endpoints.spn_key(backends.identity, connection)
    return ServiceConnectionInfo(
        id=connection.id,
        name=connection.name,
        scheme=connection.scheme,
        tenant_id=connection.tenant_id,
        client_id=connection.client_id,
        subscription_id=connection.subscription_id,
        subscription_name=connection.subscription_name,
        arm_url=arm_url,
        authority=authority,
        issuer=connection.issuer,
        subject=connection.subject,
        service_principal_key=key,
    )


def describe_job(
    backends: Backends,
    job: Job,
    connection: ServiceConnection | None,
    *,
    arm_url: str,
    authority: str,
) -> PipelineJob:
    """A job of the DevOps backend as its tasks see it, using ``connection``."""
    org = backends.devops.organizations[job.organization.lower()]
    return PipelineJob(
        organization=org.name,
        organization_id=org.id,
        project=org.projects[job.project_id].name,
        project_id=job.project_id,
        collection_uri=backends.devops.collection_uri(org.name),
        hub=job.hub,
        plan_id=job.plan_id,
        job_id=job.job_id,
        access_token=job.access_token,
        oidc_request_uri=backends.devops.oidc_request_uri(job),
        connection=describe_connection(backends, connection, arm_url=arm_url, authority=authority)
        if connection is not None
        else None,
    )
