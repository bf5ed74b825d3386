"""Emulated Azure DevOps: organizations, projects, service connections and pipeline jobs.

Owns what a pipeline job needs to sign in to Azure without a secret: the job's access token
(``System.AccessToken``) and the OIDC token the distributed-task API mints for an AzureRM service
connection with workload identity federation. Creating such a connection registers the matching
federated credential (issuer ``https://vstoken.dev.azure.com/{orgId}``, subject
``sc://{org}/{project}/{connection}``) on its app in the identity backend, which trusts that issuer's
signing key, so the OIDC token can be exchanged for an Entra token like in Azure. Release management
(definitions, releases, approvals) grows beside this, under the same organizations; the rest of an
organization (identities, PATs, queues, builds, variable groups, tasks) is ``devops_org.py``'s.

No HTTP here: routes pass the path values and the ``Authorization`` header in. Errors are VSS
exceptions in Azure DevOps' body shape; an unauthenticated request is a 401 with an empty body and
the challenge headers Azure DevOps sends.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

from slotwise_emulator.backends.identity import FEDERATION_AUDIENCE, IdentityBackend
from slotwise_emulator.clock import Clock
from slotwise_emulator.errors import ServiceError, devops_error

ISSUER_BASE = "https://vstoken.dev.azure.com"
WORKLOAD_IDENTITY = "WorkloadIdentityFederation"
SERVICE_PRINCIPAL = "ServicePrincipal"
SCHEMES = (WORKLOAD_IDENTITY, SERVICE_PRINCIPAL)
HUBS = ("build", "release")
OIDC_TOKEN_LIFETIME = 600  # Azure DevOps' OIDC tokens live about ten minutes
JOB_TOKEN_LIFETIME = 6 * 3600  # a job's access token outlives the longest hosted job (6 h)

_ENDPOINTS_ASSEMBLY = "Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi"
_TASK_ASSEMBLY = "Microsoft.TeamFoundation.DistributedTask.WebApi"


@dataclass
class ServiceConnection:
    """An AzureRM service connection (``type: azurerm``) of one project."""

    id: str
    name: str
    organization: str
    project_id: str
    scheme: str
    tenant_id: str
    client_id: str
    subscription_id: str
    subscription_name: str
    issuer: str
    subject: str
    type: str = "azurerm"


@dataclass
class Project:
    id: str
    name: str
    organization: str
    connections: dict[str, ServiceConnection] = field(default_factory=dict)  # by id

    def connection_named(self, name: str) -> ServiceConnection | None:
        return next((c for c in self.connections.values() if c.name.lower() == name.lower()), None)


@dataclass
class Organization:
    name: str
    id: str
    tenant_id: str  # the Entra tenant the organization is connected to
    projects: dict[str, Project] = field(default_factory=dict)  # by id

    @property
    def issuer(self) -> str:
        return f"{ISSUER_BASE}/{self.id}"

    def project(self, name_or_id: str) -> Project | None:
        key = name_or_id.lower()
        return self.projects.get(key) or next(
            (p for p in self.projects.values() if p.name.lower() == key), None
        )


@dataclass
class Job:
    """One running job of a pipeline run (a plan), with its access token."""

    organization: str
    project_id: str
    hub: str
    plan_id: str
    job_id: str
    expires: float
    access_token: str = field(repr=False)


def unauthorized(authority: str, base_url: str, org: Organization | None) -> ServiceError:
    """Azure DevOps' 401 to a request it cannot authenticate (with ``X-TFS-FedAuthRedirect: Suppress``)."""
    realm = base_url or "https://dev.azure.com/"
    tenant = org.tenant_id if org else ""
    message = "TF400813: Resource not available for anonymous access. Client authentication required."
    headers = {
        "WWW-Authenticate": f'Bearer authorization_uri={authority}/{tenant}, Basic realm="{realm}", '
        "TFS-Federated",
        "X-TFS-FedAuthRealm": realm,
        "X-TFS-FedAuthIssuer": f"{realm}{org.name}/" if org else realm,
        "X-TFS-ServiceError": quote(message),
    }
    if tenant:
        headers["X-VSS-ResourceTenant"] = tenant
    return ServiceError(401, "UnauthorizedRequestException", message, shape="empty", headers=headers)


def presented_token(authorization: str | None) -> str:
    """The token in ``Bearer <token>`` or ``Basic base64(<any user>:<token>)`` ('' if none)."""
    scheme, _, value = (authorization or "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except ValueError:
            return ""
        return decoded.partition(":")[2]
    return ""


class DevOpsBackend:
    """Organizations and what lives in them, and the jobs that run there."""

    def __init__(self, clock: Clock, identity: IdentityBackend) -> None:
        self._clock = clock
        self._identity = identity
        self.organizations: dict[str, Organization] = {}  # by lower-cased name
        self.jobs: dict[tuple[str, str], Job] = {}  # by (plan id, job id)
        self._by_token: dict[str, tuple[str, str]] = {}
        self.base_url = ""  # https://host/ of the DevOps listener, set by the emulator once it listens
        from slotwise_emulator.backends.devops_org import OrganizationBackend  # it builds on this module

        self.directory = OrganizationBackend(self)  # the OrganizationDirectory other services consult

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def identity(self) -> IdentityBackend:
        return self._identity

    def job_for_token(self, token: str) -> Job | None:
        """The job whose access token this is (expired or not), or None."""
        key = self._by_token.get(token)
        return self.jobs.get(key) if key else None

    # ---- directory ------------------------------------------------------------------------------
    def create_organization(
        self, name: str, *, org_id: str | None = None, tenant_id: str = ""
    ) -> Organization:
        """The organization ``name``, created if missing (connected to ``tenant_id``)."""
        if not name or "/" in name:
            raise ValueError("An organization needs a name without '/'.")
        existing = self.organizations.get(name.lower())
        if existing is not None:
            return existing
        org = Organization(name, (org_id or str(uuid.uuid4())).lower(), tenant_id.lower())
        self.organizations[name.lower()] = org
        return org

    def organization(self, name: str) -> Organization | None:
        return self.organizations.get(name.lower())

    def create_project(self, org_name: str, name: str, *, project_id: str | None = None) -> Project:
        """The project ``name`` of an existing organization, created if missing."""
        org = self._existing_org(org_name)
        if not name or "/" in name:
            raise ValueError("A project needs a name without '/'.")
        existing = org.project(name)
        if existing is not None:
            return existing
        project = Project((project_id or str(uuid.uuid4())).lower(), name, org.name)
        org.projects[project.id] = project
        return project

    def create_service_connection(
        self,
        org_name: str,
        project_name: str,
        name: str,
        *,
        client_id: str,
        tenant_id: str,
        subscription_id: str,
        subscription_name: str = "",
        scheme: str = WORKLOAD_IDENTITY,
    ) -> ServiceConnection:
        """A new AzureRM connection; for workload identity, the app gets the federated credential."""
        org = self._existing_org(org_name)
        project = org.project(project_name)
        if project is None:
            raise KeyError(f"No project '{project_name}' in organization '{org.name}'.")
        if scheme not in SCHEMES:
            raise ValueError(f"The scheme must be one of {', '.join(SCHEMES)}.")
        if not name:
            raise ValueError("A service connection needs a name.")
        if project.connection_named(name) is not None:
            raise ValueError(f"Project '{project.name}' already has a service connection named '{name}'.")
        app = self._identity.apps.get(client_id.lower())
        if app is None:
            raise ValueError(f"No service principal with client id '{client_id}'.")
        if app.tenant_id != tenant_id.lower():
            raise ValueError(f"The service principal '{client_id}' is not in tenant '{tenant_id}'.")
        if scheme == SERVICE_PRINCIPAL and not app.secrets:
            raise ValueError(f"The service principal '{client_id}' has no client secret (spnKey needs one).")
        connection = ServiceConnection(
            id=str(uuid.uuid4()),
            name=name,
            organization=org.name,
            project_id=project.id,
            scheme=scheme,
            tenant_id=app.tenant_id,
            client_id=app.client_id,
            subscription_id=subscription_id.lower(),
            subscription_name=subscription_name,
            issuer=org.issuer,
            subject=f"sc://{org.name}/{project.name}/{name}",
        )
        if scheme == WORKLOAD_IDENTITY:
            self._identity.trust_issuer(connection.issuer, self._identity.public_key_pem())
            if not any(
                f.issuer == connection.issuer and f.subject == connection.subject for f in app.federated
            ):
                self._identity.add_federated_credential(app.client_id, connection.issuer, connection.subject)
        project.connections[connection.id] = connection
        return connection

    def connection(self, connection_id: str) -> ServiceConnection | None:
        """A connection of any organization and project, by id."""
        wanted = connection_id.lower()
        for org in self.organizations.values():
            for project in org.projects.values():
                if wanted in project.connections:
                    return project.connections[wanted]
        return None

    def project_of(self, connection: ServiceConnection) -> Project:
        return self.organizations[connection.organization.lower()].projects[connection.project_id]

    # ---- jobs -----------------------------------------------------------------------------------
    def create_job(self, org_name: str, project_name: str, hub: str = "build") -> Job:
        """A running job of a new plan, with an access token for it."""
        org = self._existing_org(org_name)
        project = org.project(project_name)
        if project is None:
            raise KeyError(f"No project '{project_name}' in organization '{org.name}'.")
        if hub not in HUBS:
            raise ValueError(f"The hub must be one of {', '.join(HUBS)}.")
        plan_id, job_id = str(uuid.uuid4()), str(uuid.uuid4())
        now = int(self._clock.now())
        token = self._identity.sign(
            {
                "nameid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"build-service/{org.id}/{project.id}")),
                "scp": "app_token",
                "aui": str(uuid.uuid4()),
                "sid": str(uuid.uuid4()),
                "orchid": f"{plan_id}.{job_id}",
                "iss": "app.vstoken.visualstudio.com",
                "aud": f"app.vstoken.visualstudio.com|vso:{org.id}",
                "nbf": now,
                "exp": now + JOB_TOKEN_LIFETIME,
            }
        )
        job = Job(org.name, project.id, hub, plan_id, job_id, float(now + JOB_TOKEN_LIFETIME), token)
        self.jobs[(plan_id, job_id)] = job
        self._by_token[token] = (plan_id, job_id)
        return job

    def access_tokens(self) -> list[str]:
        """Every job access token issued (secrets, for leak checks)."""
        return [job.access_token for job in self.jobs.values()]

    def collection_uri(self, org_name: str) -> str:
        return f"{self.base_url}{self._existing_org(org_name).name}/"

    def oidc_request_uri(self, job: Job) -> str:
        """``System.OidcRequestUri``: where the job asks for OIDC tokens (without the query)."""
        return (
            f"{self.collection_uri(job.organization)}{job.project_id}/_apis/distributedtask/hubs/"
            f"{job.hub}/plans/{job.plan_id}/jobs/{job.job_id}/oidctoken"
        )

    # ---- the distributed-task API -----------------------------------------------------------------
    def authenticate(self, org_name: str, authorization: str | None) -> Job:
        """The job whose access token the request carries, or Azure DevOps' 401."""
        org = self.organization(org_name)
        key = self._by_token.get(presented_token(authorization))
        job = self.jobs.get(key) if key else None
        if (
            org is None
            or job is None
            or job.organization.lower() != org.name.lower()
            or job.expires <= self._clock.now()
        ):
            raise unauthorized(self._identity.authority, self.base_url, org)
        return job

    def issue_oidc_token(
        self, job: Job, project: str, hub: str, plan_id: str, job_id: str, connection_id: str | None
    ) -> str:
        """``POST .../hubs/{hub}/plans/{plan}/jobs/{job}/oidctoken?serviceConnectionId=``, as ``job``."""
        org = self._existing_org(job.organization)
        target = org.project(project)
        if target is None or target.id != job.project_id:  # a job's token sees its own project only
            raise devops_error(
                404,
                "ProjectDoesNotExistException",
                f"VS800075: The project with id 'vstfs:///Classification/TeamProject/{project}' does not "
                "exist, or you do not have permission to access it.",
                "Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistException, "
                "Microsoft.TeamFoundation.Core.WebApi",
            )
        if not connection_id:
            raise devops_error(
                400,
                "ArgumentNullException",
                "Value cannot be null.\r\nParameter name: serviceConnectionId",
                "System.ArgumentNullException, mscorlib",
            )
        requested = self.jobs.get((plan_id.lower(), job_id.lower()))
        plans = {(j.plan_id, j.hub) for j in self.jobs.values() if j.project_id == target.id}
        if (plan_id.lower(), hub.lower()) not in plans:
            raise devops_error(
                404,
                "TaskOrchestrationPlanNotFoundException",
                f"Plan {plan_id} not found in hub {hub}.",
                f"Microsoft.TeamFoundation.DistributedTask.WebApi.TaskOrchestrationPlanNotFoundException, "
                f"{_TASK_ASSEMBLY}",
            )
        if requested is None or requested.project_id != target.id:
            raise devops_error(
                404,
                "TaskOrchestrationJobNotFoundException",
                f"Job {job_id} not found in plan {plan_id}.",
                f"Microsoft.TeamFoundation.DistributedTask.WebApi.TaskOrchestrationJobNotFoundException, "
                f"{_TASK_ASSEMBLY}",
            )
        if requested is not job:
            raise devops_error(
                400,
                "InvalidRequestException",
                f"The access token of job {job.job_id} (plan {job.plan_id}) cannot request an OIDC token "
                f"for job {requested.job_id} of plan {requested.plan_id}.",
                f"Microsoft.TeamFoundation.DistributedTask.WebApi.InvalidRequestException, {_TASK_ASSEMBLY}",
            )
        connection = target.connections.get(connection_id.lower())
        if connection is None:
            raise devops_error(
                400,
                "ServiceEndpointNotFoundException",
                f"No service connection found with identifier {connection_id}.",
                f"Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.ServiceEndpointNotFoundException, "
                f"{_ENDPOINTS_ASSEMBLY}",
            )
        if connection.scheme != WORKLOAD_IDENTITY:
            raise devops_error(
                400,
                "InvalidRequestException",
                f"Service connection {connection.id} ('{connection.name}') uses the {connection.scheme} "
                f"scheme, not {WORKLOAD_IDENTITY}: it has no OIDC tokens.",
                f"Microsoft.TeamFoundation.DistributedTask.WebApi.InvalidRequestException, {_TASK_ASSEMBLY}",
            )
        return self._identity.mint_oidc_token(
            connection.issuer, connection.subject, FEDERATION_AUDIENCE, lifetime=OIDC_TOKEN_LIFETIME
        )

    # ---- housekeeping ---------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget everything, and the federated credentials and trusted issuers connections made."""
        for org in self.organizations.values():
            self._identity.trusted_issuers.pop(org.issuer, None)
            for project in org.projects.values():
                for connection in project.connections.values():
                    app = self._identity.apps.get(connection.client_id)
                    if app is not None:
                        app.federated = [
                            f
                            for f in app.federated
                            if (f.issuer, f.subject) != (connection.issuer, connection.subject)
                        ]
        self.organizations.clear()
        self.directory.clear()
        self.jobs.clear()
        self._by_token.clear()

    def _existing_org(self, name: str) -> Organization:
        org = self.organization(name)
        if org is None:
            raise KeyError(f"No organization '{name}'.")
        return org
