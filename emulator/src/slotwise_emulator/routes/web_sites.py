"""Wire of Microsoft.Web sites and slots: GET / PUT / PATCH / DELETE, lists, start / stop / restart.

Each endpoint checks the api-version, reads the path and body, calls one ``WebBackend`` method and
renders its answer (``web_render.py``, with the plan the site or slot is on); errors are the backend's
``ServiceError``. A site DELETE honours ``deleteEmptyServerFarm``. No state here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.model import Site, Slot
from slotwise_emulator.backends.web import PRODUCTION, WebBackend
from slotwise_emulator.routes._common import (
    arm_json,
    backends,
    empty,
    read_json,
)
from slotwise_emulator.routes.web_render import SITE_PATH, SLOT_PATH, json_object, site_body, site_list, where
from slotwise_emulator.routes.web_versions import require_web_api_version

_GROUP_SITES = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites"
_SUBSCRIPTION_SITES = "/subscriptions/{sub}/providers/Microsoft.Web/sites"


def _answer(web: WebBackend, site: Site, slot: Slot) -> Response:
    return arm_json(site_body(site, slot, web.plan_of(site, slot)))


async def get_site(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    return _answer(web, web.site(sub, rg, name), web.slot(sub, rg, name, slot))


async def list_sites(request: Request) -> Response:
    require_web_api_version(request)
    with_slots = request.query_params.get("includeSlots", "").lower() == "true"
    web = backends(request).web
    sites = web.list_sites(request.path_params["sub"], request.path_params.get("rg"))
    items = [
        (site, slot, web.plan_of(site, slot))
        for site in sites
        for key, slot in sorted(site.slots.items())
        if key == PRODUCTION or with_slots
    ]
    return arm_json(site_list(items))


async def list_slots(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, _ = where(request)
    web = backends(request).web
    site = web.site(sub, rg, name)
    return arm_json(
        site_list([(site, slot, web.plan_of(site, slot)) for slot in web.list_slots(sub, rg, name)])
    )


async def put_site(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    body = json_object(await read_json(request))
    web = backends(request).web
    location = str(body.get("location") or "")
    tags, properties = body.get("tags"), json_object(body.get("properties") or {}, "properties")
    if "slot" not in request.path_params:
        kind = body.get("kind")
        site = web.create_or_update_site(
            sub,
            rg,
            name,
            location=location,
            kind=kind if isinstance(kind, str) else None,
            tags=tags,
            properties=properties,
        )
        return _answer(web, site, site.production)
    updated = web.create_or_update_slot(
        sub, rg, name, slot, location=location, tags=tags, properties=properties
    )
    return _answer(web, web.site(sub, rg, name), updated)


async def patch_site(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    body = json_object(await read_json(request))
    web = backends(request).web
    properties = json_object(body.get("properties") or {}, "properties")
    updated = web.update_site(sub, rg, name, slot, properties=properties)
    return _answer(web, web.site(sub, rg, name), updated)


async def delete_site(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    if "slot" in request.path_params:
        web.delete_slot(sub, rg, name, slot)
    else:
        empty_plan = request.query_params.get("deleteEmptyServerFarm", "").lower() == "true"
        web.delete_site(sub, rg, name, delete_empty_plan=empty_plan)
    return empty(200)


async def restart(request: Request) -> Response:
    require_web_api_version(request)
    backends(request).web.restart(*where(request))
    return empty(200)


async def start(request: Request) -> Response:
    require_web_api_version(request)
    backends(request).web.set_state(*where(request), "Running")
    return empty(200)


async def stop(request: Request) -> Response:
    require_web_api_version(request)
    backends(request).web.set_state(*where(request), "Stopped")
    return empty(200)


def routes() -> list[BaseRoute]:
    both = (SITE_PATH, SLOT_PATH)
    return [
        Route(_SUBSCRIPTION_SITES, list_sites, methods=["GET"]),
        Route(_GROUP_SITES, list_sites, methods=["GET"]),
        Route(f"{SITE_PATH}/slots", list_slots, methods=["GET"]),
        *[Route(path, get_site, methods=["GET"]) for path in both],
        *[Route(path, put_site, methods=["PUT"]) for path in both],
        *[Route(path, patch_site, methods=["PATCH"]) for path in both],
        *[Route(path, delete_site, methods=["DELETE"]) for path in both],
        *[Route(f"{path}/restart", restart, methods=["POST"]) for path in both],
        *[Route(f"{path}/start", start, methods=["POST"]) for path in both],
        *[Route(f"{path}/stop", stop, methods=["POST"]) for path in both],
    ]
