"""Wire of the Functions side of Microsoft.Web: functions of a slot, their keys, host keys, syncs.

``list_function_keys`` answers a flat ``{"default": ...}`` (no resource envelope), host keys
``{masterKey, functionKeys, systemKeys}``; keys are the slot's own. The sync endpoints answer 204
as the service does. Each endpoint calls one ``WebBackend`` method. No state here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.routes._common import arm_json, backends, empty
from slotwise_emulator.routes.web_render import SITE_PATH, SLOT_PATH, function_body, host_keys_body, where
from slotwise_emulator.routes.web_versions import require_web_api_version


async def list_functions(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    site, target = web.site(sub, rg, name), web.slot(sub, rg, name, slot)
    functions = [function_body(site, target, fn) for _, fn in sorted(target.content.functions.items())]
    return arm_json({"value": functions, "nextLink": None})


async def get_function(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    fn = web.function(sub, rg, name, slot, request.path_params["function"])
    return arm_json(function_body(web.site(sub, rg, name), web.slot(sub, rg, name, slot), fn))


async def list_function_keys(request: Request) -> Response:
    require_web_api_version(request)
    keys = backends(request).web.list_function_keys(*where(request), request.path_params["function"])
    return arm_json(keys)


async def list_host_keys(request: Request) -> Response:
    require_web_api_version(request)
    return arm_json(host_keys_body(backends(request).web.slot(*where(request))))


async def sync(request: Request) -> Response:
    """``host/default/sync``, ``host/default/listsyncstatus``, ``syncfunctiontriggers``: nothing to do."""
    require_web_api_version(request)
    backends(request).web.slot(*where(request))
    return empty(204)


def routes() -> list[BaseRoute]:
    both = (SITE_PATH, SLOT_PATH)
    return [
        *[Route(f"{p}/functions", list_functions, methods=["GET"]) for p in both],
        *[Route(f"{p}/functions/{{function}}", get_function, methods=["GET"]) for p in both],
        *[Route(f"{p}/functions/{{function}}/listkeys", list_function_keys, methods=["POST"]) for p in both],
        *[Route(f"{p}/host/default/listkeys", list_host_keys, methods=["POST"]) for p in both],
        *[Route(f"{p}/host/default/sync", sync, methods=["POST"]) for p in both],
        *[Route(f"{p}/host/default/listsyncstatus", sync, methods=["POST"]) for p in both],
        *[Route(f"{p}/syncfunctiontriggers", sync, methods=["POST"]) for p in both],
    ]
