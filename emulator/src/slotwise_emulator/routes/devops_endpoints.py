"""Wire of the emulated Azure DevOps service endpoints: the projects' AzureRM service connections.

    GET /{org}/{project}/_apis/serviceendpoint/endpoints?endpointNames=&endpointIds=&type=&authSchemes=
                                                             -> {count, value: [ServiceEndpoint]}
    GET /{org}/{project}/_apis/serviceendpoint/endpoints/{endpointId}   -> ServiceEndpoint (or null body)

The connections are those ``backends/devops.py`` keeps (made by the control plane, the driver or the
seed); their URL is the emulated ARM endpoint. No secret is ever answered: the confidential
authorization parameter (``serviceprincipalkey``) is null, as Azure DevOps answers it.
Must not: keep state.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.devops import SERVICE_PRINCIPAL, ServiceConnection
from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.routes.devops_common import Call, answer, api, collection, csv

ENDPOINT_AREA = "1814ab31-2f4f-4a9f-8761-f4d77dc5a5d7"
ENDPOINTS = ApiLocation(
    "e85f1c62-adfc-4b74-b618-11a150fb195e", "serviceendpoint", "endpoints",
    "{project}/_apis/{area}/{resource}/{endpointId}", 4, min_version="5.0", area_id=ENDPOINT_AREA,
)  # fmt: skip
LOCATIONS: tuple[ApiLocation, ...] = (ENDPOINTS,)


def endpoint_body(call: Call, connection: ServiceConnection) -> dict[str, Any]:
    """A ServiceEndpoint of type azurerm, without its secret."""
    parameters: dict[str, Any] = {
        "tenantid": connection.tenant_id,
        "serviceprincipalid": connection.client_id,
    }
    if connection.scheme == SERVICE_PRINCIPAL:
        parameters |= {"authenticationType": "spnKey", "serviceprincipalkey": None}
    else:
        parameters |= {
            "workloadIdentityFederationIssuer": connection.issuer,
            "workloadIdentityFederationSubject": connection.subject,
        }
    project = call.org.projects[connection.project_id]
    arm = call.directory.arm_url.rstrip("/")
    return {
        "data": {
            "environment": "AzureCloud",
            "scopeLevel": "Subscription",
            "subscriptionId": connection.subscription_id,
            "subscriptionName": connection.subscription_name,
            "creationMode": "Manual",
        },
        "id": connection.id,
        "name": connection.name,
        "type": connection.type,
        "url": f"{arm}/",
        "createdBy": call.caller,
        "description": "",
        "authorization": {"parameters": parameters, "scheme": connection.scheme},
        "isShared": False,
        "isReady": True,
        "owner": "Library",
        "serviceEndpointProjectReferences": [
            {"projectReference": {"id": project.id, "name": project.name}, "name": connection.name}
        ],
    }


@api(ENDPOINTS)
async def list_endpoints(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    names = {n.lower() for n in csv(request, "endpointNames")}
    ids = {i.lower() for i in csv(request, "endpointIds")}
    schemes = {s.lower() for s in csv(request, "authSchemes")}
    kind = request.query_params.get("type", "").lower()
    found = [
        c
        for c in project.connections.values()
        if (not names or c.name.lower() in names)
        and (not ids or c.id in ids)
        and (not schemes or c.scheme.lower() in schemes)
        and (not kind or c.type == kind)
    ]
    found.sort(key=lambda c: c.name.lower())
    return collection([endpoint_body(call, c) for c in found], call)


@api(ENDPOINTS)
async def get_endpoint(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    connection = project.connections.get(str(request.path_params["endpoint_id"]).lower())
    # Azure DevOps answers an unknown endpoint id with 200 and an empty body, not 404
    return answer(endpoint_body(call, connection) if connection else None, call)


def routes() -> list[BaseRoute]:
    base = "/{org}/{project}/_apis/serviceendpoint/endpoints"
    return [
        Route(base, list_endpoints, methods=["GET"]),
        Route(base + "/{endpoint_id}", get_endpoint, methods=["GET"]),
    ]
