"""Wire of ARM's tags API on sites and slots: ``{site or slot}/providers/Microsoft.Resources/tags/default``.

``PUT`` (``Tags_CreateOrUpdateAtScope``, body ``{"properties": {"tags": {...}}}``) replaces the set,
``PATCH`` (``Tags_UpdateAtScope``, body ``{"operation": "Merge"|"Replace"|"Delete", "properties":
{"tags": {...}}}``) changes it, ``GET`` reads it, ``DELETE`` removes every tag (200, no body). Each
answers the ``TagsResource`` ``{"id", "name": "default", "type": "Microsoft.Resources/tags",
"properties": {"tags"}}``. The path after the site matches in any casing, as ARM's does. Rules are in
``backends/web_tags.py``; no state here.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.model import Slot
from slotwise_emulator.errors import bad_request
from slotwise_emulator.routes._common import arm_json, backends, empty, read_json
from slotwise_emulator.routes.web_render import SITE_PATH, SLOT_PATH, json_object, resource_id, where
from slotwise_emulator.routes.web_versions import require_tags_api_version

TAGS_SUFFIX = "/providers/Microsoft.Resources/tags/default"
_OPERATIONS = ("Merge", "Replace", "Delete")


def _body(request: Request, slot: Slot) -> dict[str, Any]:
    sub, rg, name, _ = where(request)
    site = backends(request).web.site(sub, rg, name)
    return {
        "id": resource_id(site, slot) + TAGS_SUFFIX,
        "name": "default",
        "type": "Microsoft.Resources/tags",
        "properties": {"tags": dict(slot.tags)},
    }


def _tags_of(body: dict[str, Any], *, required: bool) -> Any:
    """``properties.tags`` of a body (``{}`` if absent); a PUT's ``properties`` is required."""
    if "properties" not in body and required:
        raise bad_request("The properties property is required.", code="InvalidRequestContent")
    properties = json_object(body.get("properties") or {}, "properties")
    tags = properties.get("tags")
    return {} if tags is None else tags


async def get_tags(request: Request) -> Response:
    require_tags_api_version(request)
    return arm_json(_body(request, backends(request).web.slot(*where(request))))


async def put_tags(request: Request) -> Response:
    require_tags_api_version(request)
    tags = _tags_of(json_object(await read_json(request)), required=True)
    return arm_json(_body(request, backends(request).web.replace_tags(*where(request), tags)))


async def patch_tags(request: Request) -> Response:
    require_tags_api_version(request)
    body = json_object(await read_json(request))
    operation = next((op for op in _OPERATIONS if op.lower() == str(body.get("operation", "")).lower()), None)
    if operation is None:
        raise bad_request(
            f"The operation '{body.get('operation')}' is not valid: use one of {', '.join(_OPERATIONS)}.",
            code="InvalidRequestContent",
        )
    tags = _tags_of(body, required=False)
    web = backends(request).web
    if operation == "Merge":
        slot = web.merge_tags(*where(request), tags)
    elif operation == "Replace":
        slot = web.replace_tags(*where(request), tags)
    else:
        slot = web.delete_tags(*where(request), tags)
    return arm_json(_body(request, slot))


async def delete_tags(request: Request) -> Response:
    require_tags_api_version(request)
    backends(request).web.clear_tags(*where(request))
    return empty(200)


def _any_case(route: Route) -> Route:
    route.path_regex = re.compile(route.path_regex.pattern, re.IGNORECASE)
    return route


def routes() -> list[BaseRoute]:
    both = (f"{SITE_PATH}{TAGS_SUFFIX}", f"{SLOT_PATH}{TAGS_SUFFIX}")
    return [
        *[_any_case(Route(p, get_tags, methods=["GET"])) for p in both],
        *[_any_case(Route(p, put_tags, methods=["PUT"])) for p in both],
        *[_any_case(Route(p, patch_tags, methods=["PATCH"])) for p in both],
        *[_any_case(Route(p, delete_tags, methods=["DELETE"])) for p in both],
    ]
