"""Wire of App Service plans (``Microsoft.Web/serverfarms``): GET one, list in a group or subscription.

Bodies follow ``AppServicePlan`` of Microsoft.Web 2025-05-01 (``CommonDefinitions.json``) with the
values a real Elastic Premium or Standard plan answers (field set taken from an az CLI recording of
``functionapp plan create``); ``sku`` appears at the top level and, as the service sends it, again
inside ``properties``. The rules (which plan a site is on, when plans are made) are in
``backends/web_plans.py``; no state here.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.web_plans import Plan
from slotwise_emulator.clock import iso
from slotwise_emulator.routes._common import arm_json, backends
from slotwise_emulator.routes.web_render import region
from slotwise_emulator.routes.web_versions import require_web_api_version

PLAN_PATH = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/serverfarms/{plan}"
_GROUP_PLANS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/serverfarms"
_SUBSCRIPTION_PLANS = "/subscriptions/{sub}/providers/Microsoft.Web/serverfarms"


def plan_body(plan: Plan, number_of_sites: int) -> dict[str, Any]:
    """An ``AppServicePlan`` resource."""
    elastic = plan.tier == "ElasticPremium"
    capacity = int(plan.sku.get("capacity", 1))
    worker_size = "D1" if elastic else "Default"
    webspace = f"{plan.resource_group}-{region(plan.location).replace(' ', '')}webspace"
    properties: dict[str, Any] = {
        "name": plan.name,
        "sku": dict(plan.sku),
        "workerSize": worker_size,
        "workerSizeId": 3 if elastic else 0,
        "workerTierName": None,
        "numberOfWorkers": capacity,
        "currentWorkerSize": worker_size,
        "currentWorkerSizeId": 3 if elastic else 0,
        "currentNumberOfWorkers": capacity,
        "status": "Ready",
        "webSpace": webspace,
        "subscription": plan.subscription,
        "hostingEnvironmentProfile": None,
        "maximumNumberOfWorkers": 20 if elastic else 10,
        "planName": "VirtualDedicatedPlan",
        "computeMode": "Dedicated",
        "geoRegion": region(plan.location),
        "perSiteScaling": False,
        "elasticScaleEnabled": elastic,
        "maximumElasticWorkerCount": capacity,
        "numberOfSites": number_of_sites,
        "isSpot": False,
        "spotExpirationTime": None,
        "freeOfferExpirationTime": None,
        "tags": None,
        "kind": plan.kind,
        "resourceGroup": plan.resource_group,
        "reserved": plan.reserved,
        "isXenon": False,
        "hyperV": False,
        "targetWorkerCount": 0,
        "targetWorkerSizeId": 0,
        "provisioningState": "Succeeded",
        "kubeEnvironmentProfile": None,
        "zoneRedundant": False,
        "createdTime": iso(plan.created, precision=2).removesuffix("Z"),  # the service sends no zone
        "asyncScalingEnabled": False,
    }
    return {
        "id": plan.id,
        "name": plan.name,
        "type": "Microsoft.Web/serverfarms",
        "kind": plan.kind,
        "location": region(plan.location),
        "properties": properties,
        "sku": dict(plan.sku),
    }


async def get_plan(request: Request) -> Response:
    require_web_api_version(request)
    p = request.path_params
    web = backends(request).web
    plan = web.plan(p["sub"], p["rg"], p["plan"])
    return arm_json(plan_body(plan, len(web.sites_on(plan))))


async def list_plans(request: Request) -> Response:
    require_web_api_version(request)
    web = backends(request).web
    plans = web.list_plans(request.path_params["sub"], request.path_params.get("rg"))
    return arm_json({"value": [plan_body(p, len(web.sites_on(p))) for p in plans], "nextLink": None})


def routes() -> list[BaseRoute]:
    return [
        Route(_SUBSCRIPTION_PLANS, list_plans, methods=["GET"]),
        Route(_GROUP_PLANS, list_plans, methods=["GET"]),
        Route(PLAN_PATH, get_plan, methods=["GET"]),
    ]
