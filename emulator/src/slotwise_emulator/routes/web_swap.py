"""Wire of slot swaps: ``slotsswap`` as the long-running operation the service runs, swap with preview
(``applySlotConfig`` / ``resetSlotConfig``) and ``slotsdiffs``.

A swap answers 202 with an empty body and only a ``Location`` to ``.../operationresults/{id}`` (no
Azure-AsyncOperation, no Retry-After); each poll answers 202 with a fresh Location until the swap is
done, then 200 with the source slot's Site, or the failure in App Service's shape. The state machine
is ``backends/web_swap.py``; no state here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.web import SwapOperation
from slotwise_emulator.routes._common import (
    arm_json,
    backends,
    base_url,
    empty,
    read_json,
)
from slotwise_emulator.routes.web_render import (
    SITE_PATH,
    SLOT_PATH,
    differences_body,
    site_body,
    target_slot,
    where,
)
from slotwise_emulator.routes.web_versions import require_web_api_version

_DOTNET_EPOCH_OFFSET = 62_135_596_800  # seconds from 0001-01-01 to 1970-01-01 (.NET ticks in "t=")


def _accepted(request: Request, resource_path: str, op: SwapOperation) -> Response:
    """202, no body, a Location to poll (with a ``t`` stamp like the service's, so each one is new)."""
    ticks = int((backends(request).clock.now() + _DOTNET_EPOCH_OFFSET) * 10_000_000)
    version = request.query_params["api-version"]
    location = f"{base_url(request)}{resource_path}/operationresults/{op.id}?api-version={version}&t={ticks}"
    return empty(202, {"Location": location, "Pragma": "no-cache", "Expires": "-1"})


async def swap(request: Request) -> Response:
    require_web_api_version(request)
    target = target_slot(await read_json(request))
    op = backends(request).web.start_swap(*where(request), target)
    return _accepted(request, request.url.path.rsplit("/", 1)[0], op)


async def swap_result(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    op = web.swap_result(sub, rg, name, slot, request.path_params["operation"])
    if op.running:
        return _accepted(request, request.url.path.rsplit("/", 2)[0], op)
    site, target = web.site(sub, rg, name), web.slot(sub, rg, name, slot)
    return arm_json(site_body(site, target, web.plan_of(site, target)))


async def apply_slot_config(request: Request) -> Response:
    require_web_api_version(request)
    target = target_slot(await read_json(request))
    backends(request).web.apply_slot_config(*where(request), target)
    return empty(200)


async def reset_slot_config(request: Request) -> Response:
    require_web_api_version(request)
    backends(request).web.reset_slot_config(*where(request))
    return empty(200)


async def slot_differences(request: Request) -> Response:
    require_web_api_version(request)
    target = target_slot(await read_json(request))
    return arm_json(differences_body(backends(request).web.slot_differences(*where(request), target)))


def routes() -> list[BaseRoute]:
    both = (SITE_PATH, SLOT_PATH)
    return [
        *[Route(f"{p}/slotsswap", swap, methods=["POST"]) for p in both],
        *[Route(f"{p}/operationresults/{{operation}}", swap_result, methods=["GET"]) for p in both],
        *[Route(f"{p}/applySlotConfig", apply_slot_config, methods=["POST"]) for p in both],
        *[Route(f"{p}/resetSlotConfig", reset_slot_config, methods=["POST"]) for p in both],
        *[Route(f"{p}/slotsdiffs", slot_differences, methods=["POST"]) for p in both],
    ]
