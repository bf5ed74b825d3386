"""Wire of ARM's own resources: subscriptions, tenants and resource groups (Microsoft.Resources).

Clients call these before any Microsoft.Web call: az CLI lists subscriptions at login, and resource
groups are created with ARM's own ``PUT .../resourcegroups/{name}`` (a full replace: tags left out of
the body are removed, as ARM does; another location than the group's is a 409). Also ARM's
unauthenticated cloud metadata, ``GET /metadata/endpoints``, which ``az cloud register`` reads
unless told ``--skip-endpoint-discovery``. The generic resource list (``.../resources``) is in
``resources_list``.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.identity import TokenClaims
from slotwise_emulator.backends.resources import ResourceGroup, Subscription
from slotwise_emulator.routes import resources_list
from slotwise_emulator.routes._common import (
    arm_json,
    backends,
    base_url,
    empty,
    read_json,
    require_api_version,
)


def _subscription_body(sub: Subscription) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub.id}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": sub.id,
        "tenantId": sub.tenant_id,
        "displayName": sub.display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    }


def _group_body(group: ResourceGroup) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": group.location,
        "properties": {"provisioningState": "Succeeded"},
    }
    if group.tags:
        body["tags"] = group.tags
    return body


def _tenant_of(request: Request) -> str:
    """The caller's tenant, from the token the app already validated."""
    claims: TokenClaims = request.scope["slotwise.claims"]
    return claims.tenant_id


async def list_subscriptions(request: Request) -> Response:
    require_api_version(request)
    tenant = _tenant_of(request)
    subs = [s for s in backends(request).resources.subscriptions.values() if s.tenant_id == tenant]
    return arm_json(
        {"value": [_subscription_body(s) for s in subs], "count": {"type": "Total", "value": len(subs)}}
    )


async def get_subscription(request: Request) -> Response:
    require_api_version(request)
    return arm_json(_subscription_body(backends(request).resources.subscription(request.path_params["sub"])))


async def list_tenants(request: Request) -> Response:
    require_api_version(request)
    tenant = _tenant_of(request)
    return arm_json(
        {
            "value": [
                {
                    "id": f"/tenants/{tenant}",
                    "tenantId": tenant,
                    "tenantCategory": "Home",
                    "displayName": "slotwise emulator",
                    "defaultDomain": "emulator.localhost",
                }
            ]
        }
    )


async def put_group(request: Request) -> Response:
    require_api_version(request)
    body = await read_json(request)
    # PUT replaces the group: no "tags" in the body clears them (`az group create` on an existing group).
    group, created = backends(request).resources.put_group(
        request.path_params["sub"],
        request.path_params["rg"],
        str(body.get("location", "")),
        dict(body.get("tags") or {}),
    )
    return arm_json(_group_body(group), status=201 if created else 200)


async def get_group(request: Request) -> Response:
    require_api_version(request)
    group = backends(request).resources.group(request.path_params["sub"], request.path_params["rg"])
    if request.method == "HEAD":
        return empty(204)
    return arm_json(_group_body(group))


async def list_groups(request: Request) -> Response:
    require_api_version(request)
    groups = backends(request).resources.list_groups(request.path_params["sub"])
    return arm_json({"value": [_group_body(g) for g in groups]})


async def delete_group(request: Request) -> Response:
    require_api_version(request)
    sub, name = request.path_params["sub"], request.path_params["rg"]
    state = backends(request)
    state.resources.delete_group(sub, name)
    state.web.forget_group(sub, name)
    operation = f"{base_url(request)}/subscriptions/{sub}/operationresults/{uuid.uuid4().hex}"
    return empty(202, {"Location": f"{operation}?api-version={request.query_params['api-version']}"})


async def operation_result(request: Request) -> Response:
    require_api_version(request)
    return empty(200)


# The api-versions that answer every known cloud as a list; later ones answer this cloud alone.
_ALL_CLOUDS_METADATA_VERSIONS = ("2019-05-01",)


async def cloud_metadata(request: Request) -> Response:
    """This cloud's endpoints, as ``<arm>/metadata/endpoints`` describes a cloud (no token needed).

    ``az cloud register -n NAME --endpoint-resource-manager <arm>/`` reads ``?api-version=2022-09-01``
    (one cloud, an object); ``2019-05-01`` answers a list of clouds. The emulator has no portal, Graph
    or storage, so those endpoints and every suffix are left out, as a private cloud leaves them out.
    """
    require_api_version(request)
    arm = f"{base_url(request)}/"
    cloud = {
        "name": "SlotwiseEmulator",
        "authentication": {
            "loginEndpoint": backends(request).identity.authority or arm,
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "resourceManager": arm,
        "suffixes": {},
    }
    if request.query_params["api-version"] in _ALL_CLOUDS_METADATA_VERSIONS:
        return arm_json([cloud])
    return arm_json(cloud)


def routes() -> list[BaseRoute]:
    return [
        Route("/metadata/endpoints", cloud_metadata, methods=["GET"]),
        Route("/subscriptions", list_subscriptions, methods=["GET"]),
        Route("/tenants", list_tenants, methods=["GET"]),
        Route("/subscriptions/{sub}", get_subscription, methods=["GET"]),
        *resources_list.routes(),
        Route("/subscriptions/{sub}/operationresults/{op}", operation_result, methods=["GET"]),
        Route("/subscriptions/{sub}/resourceGroups", list_groups, methods=["GET"]),
        Route("/subscriptions/{sub}/resourceGroups/{rg}", put_group, methods=["PUT"]),
        Route("/subscriptions/{sub}/resourceGroups/{rg}", get_group, methods=["GET", "HEAD"]),
        Route("/subscriptions/{sub}/resourceGroups/{rg}", delete_group, methods=["DELETE"]),
    ]
