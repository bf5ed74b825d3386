"""The location service of the emulated Azure DevOps organization: how clients find every resource.

    OPTIONS /{org}/_apis                    -> {count, value: [ApiResourceLocation]}  (every location)
    GET     /{org}/_apis/resourceareas      -> {count: 0, value: []}
    GET     /{org}/_apis/connectiondata     -> ConnectionData (deploymentType hosted | onPremises)

``LOCATION_SOURCES`` is the registry: each DevOps routes module's ``LOCATIONS``; a new module is one
line there and the handshake lists its resources. On Azure DevOps Server 2022 the locations say
``maxVersion`` 7.0 and those newer than 7.0 are not listed. ResourceAreas is empty, as an on-premises
server answers it: the ``azure-devops`` client then calls every area on the organization URL (all
areas are served on this one host). Must not: keep state.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.devops_auth import effective_max
from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_records import ServerKind
from slotwise_emulator.routes import (
    devops,
    devops_agent,
    devops_build,
    devops_checks,
    devops_core,
    devops_endpoints,
    devops_environments,
    devops_extensions,
    devops_identity,
    devops_release,
    devops_releases,
)
from slotwise_emulator.routes.devops_common import Call, answer, api, collection

RESOURCE_AREAS = ApiLocation(
    "e81700f7-3be2-46de-8624-2eb35882fcaa", "Location", "ResourceAreas", "_apis/{resource}/{areaId}", 1,
    min_version="3.2", released_version="0.0",
)  # fmt: skip
CONNECTION_DATA = ApiLocation(
    "00d9565f-ed9c-4a06-9a50-00e7896ccab4", "Location", "ConnectionData", "_apis/{resource}", 1,
    released_version="0.0",
)  # fmt: skip
LOCATIONS: tuple[ApiLocation, ...] = (RESOURCE_AREAS, CONNECTION_DATA)

LOCATION_SOURCES: tuple[tuple[ApiLocation, ...], ...] = (
    LOCATIONS,
    devops.LOCATIONS,
    devops_core.LOCATIONS,
    devops_build.LOCATIONS,
    devops_agent.LOCATIONS,
    devops_environments.LOCATIONS,
    devops_checks.LOCATIONS,
    devops_endpoints.LOCATIONS,
    devops_identity.LOCATIONS,
    devops_extensions.LOCATIONS,
    devops_release.LOCATIONS,
    devops_releases.LOCATIONS,
)


def api_locations(sources: tuple[tuple[ApiLocation, ...], ...] = LOCATION_SOURCES) -> list[ApiLocation]:
    """Every location of every registered module, once each (by id)."""
    seen: dict[str, ApiLocation] = {}
    for locations in sources:
        for location in locations:
            seen.setdefault(location.id.lower(), location)
    return list(seen.values())


def _version(numbers: tuple[int, int]) -> str:
    return f"{numbers[0]}.{numbers[1]}"


def location_body(location: ApiLocation, server: ServerKind) -> dict[str, Any] | None:
    """An ApiResourceLocation as this server lists it; None when the server predates it."""
    newest = effective_max(server, location)
    major, _, minor = location.min_version.partition(".")
    if (int(major), int(minor or 0)) > newest:
        return None
    released_major, _, released_minor = location.released_version.partition(".")
    released = min((int(released_major), int(released_minor or 0)), newest)
    return {
        "id": location.id,
        "area": location.area,
        "resourceName": location.resource_name,
        "routeTemplate": location.route_template,
        "resourceVersion": location.resource_version,
        "minVersion": location.min_version,
        "maxVersion": _version(newest),
        "releasedVersion": _version(released),
    }


@api(None)
async def options(_: Request, call: Call) -> Response:
    server = call.directory.server
    listed = [location_body(location, server) for location in api_locations()]
    return collection([body for body in listed if body is not None], call)


@api(RESOURCE_AREAS)
async def resource_areas(_: Request, call: Call) -> Response:
    return collection([], call)


@api(CONNECTION_DATA)
async def connection_data(_: Request, call: Call) -> Response:
    caller = call.caller
    user = {
        "id": caller["id"],
        "descriptor": caller.get("descriptor", ""),
        "subjectDescriptor": caller.get("descriptor", ""),
        "providerDisplayName": caller["displayName"],
        "isActive": True,
        "members": [],
        "memberOf": [],
        "properties": {"Account": {"$type": "System.String", "$value": caller["uniqueName"]}},
        "resourceVersion": 2,
        "metaTypeId": 0,
    }
    return answer(
        {
            "authenticatedUser": user,
            "authorizedUser": user,
            "instanceId": call.org.id,
            "deploymentId": str(uuid.uuid5(uuid.NAMESPACE_URL, call.directory.devops.base_url)),
            "deploymentType": call.directory.server.deployment_type,
            "locationServiceData": {
                "serviceOwner": "00025394-6065-48ca-87d9-7f5672854ef7",
                "defaultAccessMappingMoniker": "PublicAccessMapping",
                "lastChangeId": 1,
                "lastChangeId64": 1,
            },
        },
        call,
    )


def routes() -> list[BaseRoute]:
    """The location service's routes, then every registered module's."""
    return [
        Route("/{org}/_apis", options, methods=["OPTIONS"]),
        Route("/{org}/_apis/resourceareas", resource_areas, methods=["GET"]),
        Route("/{org}/_apis/connectiondata", connection_data, methods=["GET"]),
        *devops_core.routes(),
        *devops_build.routes(),
        *devops_agent.routes(),
        *devops_environments.routes(),
        *devops_checks.routes(),
        *devops_endpoints.routes(),
        *devops_identity.routes(),
        *devops_extensions.routes(),
    ]
