"""Wire of Microsoft.Web configuration: app settings, connection strings, sticky names, ``config/web``.

Lists are POSTs (``.../config/appsettings/list``), writes are PUTs of the whole collection, as the
real service has them; ``config/slotConfigNames`` exists on the site only and applies to all slots.
Each endpoint calls one ``WebBackend`` method and renders with ``web_render.py``. No state here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.routes._common import arm_json, backends, read_json
from slotwise_emulator.routes.web_render import (
    SITE_PATH,
    SLOT_PATH,
    config_body,
    json_object,
    slot_config_names_body,
    web_config_body,
    where,
)
from slotwise_emulator.routes.web_versions import require_web_api_version


async def _properties(request: Request) -> dict[str, object]:
    body = json_object(await read_json(request))
    return json_object(body.get("properties") or {}, "properties")


async def list_app_settings(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    target = web.slot(sub, rg, name, slot)
    return arm_json(config_body(web.site(sub, rg, name), target, "appsettings", dict(target.app_settings)))


async def put_app_settings(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    target = web.set_app_settings(sub, rg, name, slot, await _properties(request))
    return arm_json(config_body(web.site(sub, rg, name), target, "appsettings", dict(target.app_settings)))


def _strings(values: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {k: {"value": v.get("value", ""), "type": v.get("type", "Custom")} for k, v in values.items()}


async def list_connection_strings(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    target = web.slot(sub, rg, name, slot)
    body = config_body(
        web.site(sub, rg, name), target, "connectionstrings", _strings(target.connection_strings)
    )
    return arm_json(body)


async def put_connection_strings(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    target = web.set_connection_strings(sub, rg, name, slot, await _properties(request))
    body = config_body(
        web.site(sub, rg, name), target, "connectionstrings", _strings(target.connection_strings)
    )
    return arm_json(body)


async def get_slot_config_names(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, _ = where(request)
    return arm_json(slot_config_names_body(backends(request).web.site(sub, rg, name)))


async def put_slot_config_names(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, _ = where(request)
    site = backends(request).web.set_slot_config_names(sub, rg, name, await _properties(request))
    return arm_json(slot_config_names_body(site))


async def get_web_config(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    return arm_json(web_config_body(web.site(sub, rg, name), web.slot(sub, rg, name, slot)))


async def update_web_config(request: Request) -> Response:
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    target = web.update_site_config(sub, rg, name, slot, await _properties(request))
    return arm_json(web_config_body(web.site(sub, rg, name), target))


def routes() -> list[BaseRoute]:
    both = (SITE_PATH, SLOT_PATH)
    return [
        *[Route(f"{p}/config/appsettings/list", list_app_settings, methods=["POST"]) for p in both],
        *[Route(f"{p}/config/appsettings", put_app_settings, methods=["PUT"]) for p in both],
        *[
            Route(f"{p}/config/connectionstrings/list", list_connection_strings, methods=["POST"])
            for p in both
        ],
        *[Route(f"{p}/config/connectionstrings", put_connection_strings, methods=["PUT"]) for p in both],
        *[Route(f"{p}/config/web", get_web_config, methods=["GET"]) for p in both],
        *[Route(f"{p}/config/web", update_web_config, methods=["PUT", "PATCH"]) for p in both],
        Route(f"{SITE_PATH}/config/slotConfigNames", get_slot_config_names, methods=["GET"]),
        Route(f"{SITE_PATH}/config/slotConfigNames", put_slot_config_names, methods=["PUT"]),
    ]
