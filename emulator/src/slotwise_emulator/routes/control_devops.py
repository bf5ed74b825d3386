"""The control plane's Azure DevOps section, under ``/_emulator/devops/`` on the ARM host.

Tests, the demo and users stand up what an Azure Pipelines job needs here: organizations, projects,
AzureRM service connections (workload identity federation registers the federated credential on the
service principal) and running jobs with their access token and OIDC request URI. JSON in and out,
errors as ``{"Message"}`` like the rest of the control plane. Every endpoint is in emulator/README.md.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends import Backends
from slotwise_emulator.backends.devops import (
    WORKLOAD_IDENTITY,
    Job,
    Organization,
    Project,
    ServiceConnection,
)
from slotwise_emulator.backends.identity import FEDERATION_AUDIENCE
from slotwise_emulator.errors import ServiceError
from slotwise_emulator.routes._common import backends, read_json


def new_connection(
    b: Backends,
    org: str,
    project: str,
    name: str,
    scheme: str = WORKLOAD_IDENTITY,
    client_id: str | None = None,
    tenant_id: str | None = None,
    subscription_id: str | None = None,
) -> ServiceConnection:
    """A new AzureRM connection; defaults: the default principal, its tenant, the default subscription.

    Raises ``ValueError`` for a bad value and ``KeyError`` for a missing organization or project.
    """
    principal = b.identity.apps.get((client_id or b.seed["client_id"]).lower())
    if principal is None:
        raise ValueError(f"No service principal with client id '{client_id}': create it first.")
    sub_id = (subscription_id or b.seed["subscription_id"]).lower()
    sub = b.resources.subscriptions.get(sub_id)
    if sub is None:
        raise ValueError(f"No subscription '{sub_id}': create it first with POST /_emulator/subscriptions.")
    return b.devops.create_service_connection(
        org,
        project,
        name,
        client_id=principal.client_id,
        tenant_id=tenant_id or principal.tenant_id,
        subscription_id=sub.id,
        subscription_name=sub.display_name,
        scheme=scheme,
    )


def _error(exc: Exception) -> ServiceError:
    message = str(exc.args[0]) if exc.args else str(exc)
    if isinstance(exc, KeyError):
        return ServiceError(404, "NotFound", message, shape="kudu")
    return ServiceError(400, "BadRequest", message, shape="kudu")


async def _body(request: Request) -> dict[str, Any]:
    body = await read_json(request, shape="kudu")
    if not isinstance(body, dict):
        raise ServiceError(400, "BadRequest", "The body must be a JSON object.", shape="kudu")
    return body


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return str(value) if value else None


def organization_summary(b: Backends, org: Organization) -> dict[str, Any]:
    return {
        "name": org.name,
        "id": org.id,
        "tenantId": org.tenant_id,
        "collectionUri": b.devops.collection_uri(org.name),
        "issuer": org.issuer,
        "projects": [project_summary(p) for p in org.projects.values()],
    }


def project_summary(project: Project) -> dict[str, Any]:
    return {
        "name": project.name,
        "id": project.id,
        "organization": project.organization,
        "serviceConnections": [connection_summary(c) for c in project.connections.values()],
    }


def connection_summary(connection: ServiceConnection) -> dict[str, Any]:
    return {
        "id": connection.id,
        "name": connection.name,
        "type": connection.type,
        "scheme": connection.scheme,
        "organization": connection.organization,
        "projectId": connection.project_id,
        "tenantId": connection.tenant_id,
        "clientId": connection.client_id,
        "subscriptionId": connection.subscription_id,
        "subscriptionName": connection.subscription_name,
        "issuer": connection.issuer,
        "subject": connection.subject,
        "audience": FEDERATION_AUDIENCE,
    }


def job_summary(b: Backends, job: Job) -> dict[str, Any]:
    org = b.devops.organizations[job.organization.lower()]
    return {
        "organization": org.name,
        "collectionUri": b.devops.collection_uri(org.name),
        "teamProject": org.projects[job.project_id].name,
        "teamProjectId": job.project_id,
        "hub": job.hub,
        "planId": job.plan_id,
        "jobId": job.job_id,
        "accessToken": job.access_token,
        "oidcRequestUri": b.devops.oidc_request_uri(job),
    }


async def list_organizations(request: Request) -> Response:
    state = backends(request)
    return JSONResponse(
        {"value": [organization_summary(state, o) for o in state.devops.organizations.values()]}
    )


async def create_organization(request: Request) -> Response:
    body = await _body(request)
    state = backends(request)
    name = _text(body, "name") or ""
    known = state.devops.organization(name) is not None
    try:
        org = state.devops.create_organization(
            name,
            org_id=_text(body, "id"),
            tenant_id=_text(body, "tenantId") or state.seed["tenant_id"],
        )
    except ValueError as exc:
        raise _error(exc) from exc
    return JSONResponse(organization_summary(state, org), status_code=200 if known else 201)


async def create_project(request: Request) -> Response:
    body = await _body(request)
    state = backends(request)
    org = request.path_params["org"]
    name = _text(body, "name") or ""
    found = state.devops.organization(org)
    known = found is not None and found.project(name) is not None
    try:
        project = state.devops.create_project(org, name, project_id=_text(body, "id"))
    except (KeyError, ValueError) as exc:
        raise _error(exc) from exc
    return JSONResponse(project_summary(project), status_code=200 if known else 201)


async def create_connection(request: Request) -> Response:
    body = await _body(request)
    p = request.path_params
    try:
        connection = new_connection(
            backends(request),
            p["org"],
            p["project"],
            _text(body, "name") or "",
            _text(body, "scheme") or WORKLOAD_IDENTITY,
            _text(body, "clientId"),
            _text(body, "tenantId"),
            _text(body, "subscriptionId"),
        )
    except (KeyError, ValueError) as exc:
        raise _error(exc) from exc
    return JSONResponse(connection_summary(connection), status_code=201)


async def create_job(request: Request) -> Response:
    body = await _body(request)
    p = request.path_params
    state = backends(request)
    try:
        job = state.devops.create_job(p["org"], p["project"], _text(body, "hub") or "build")
    except (KeyError, ValueError) as exc:
        raise _error(exc) from exc
    return JSONResponse(job_summary(state, job), status_code=201)


def routes() -> list[BaseRoute]:
    base = "/_emulator/devops"
    return [
        Route(f"{base}/organizations", list_organizations, methods=["GET"]),
        Route(f"{base}/organizations", create_organization, methods=["POST"]),
        Route(base + "/{org}/projects", create_project, methods=["POST"]),
        Route(base + "/{org}/{project}/serviceconnections", create_connection, methods=["POST"]),
        Route(base + "/{org}/{project}/jobs", create_job, methods=["POST"]),
    ]
