"""Wire of ARM's generic resource list, ``GET /subscriptions/{sub}/resources`` (Resources_List).

Microsoft's pipeline tasks find an app's resource group this way when none is given
(``Resources.getAppDetails`` in azure-pipelines-tasks-azure-arm-rest asks for
``$filter=resourceType EQ 'Microsoft.Web/Sites' AND name EQ '<app>'``). The emulator's resources are
its App Service plans, sites and slots, listed as ``GenericResourceExpanded`` (id, name, type, kind,
location in ARM's normalised form, tags). ``$filter`` takes ``resourceType eq '...'``, ``name eq
'...'`` and ``resourceGroup eq '...'`` joined by ``and`` (operators in any casing, values compared
without case, as ARM compares names and types); any other filter is a 400. No paging: one page.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.errors import bad_request
from slotwise_emulator.routes._common import arm_json, backends, require_api_version
from slotwise_emulator.routes.web_render import resource_id

_CLAUSE = re.compile(r"^\s*(resourceType|name|resourceGroup)\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_FIELDS = {"resourcetype": "type", "name": "name", "resourcegroup": "resourceGroup"}


def parse_filter(text: str) -> dict[str, str]:
    """``resourceType eq 'X' and name eq 'Y'`` as ``{"type": "x", "name": "y"}`` (lower-cased), or
    ARM's 400 for a filter the emulator does not understand."""
    wanted: dict[str, str] = {}
    for clause in _AND.split(text.strip()) if text.strip() else []:
        match = _CLAUSE.match(clause)
        if match is None:
            raise bad_request(
                f"The $filter '{text}' is not supported here: use resourceType eq '...', name eq '...' "
                "or resourceGroup eq '...', joined by 'and'.",
                code="InvalidFilterInQueryString",
            )
        wanted[_FIELDS[match.group(1).lower()]] = match.group(2).replace("''", "'").lower()
    return wanted


def _generic(
    id_: str, name: str, type_: str, kind: str, location: str, tags: dict[str, str]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": id_,
        "name": name,
        "type": type_,
        "kind": kind,
        "location": location.replace(" ", "").lower(),
    }
    if tags:
        body["tags"] = dict(tags)
    return body


def _resources(request: Request, sub: str) -> list[tuple[str, dict[str, Any]]]:
    """(resource group, body) of every plan, site and slot in ``sub``."""
    web = backends(request).web
    found: list[tuple[str, dict[str, Any]]] = []
    for plan in web.list_plans(sub):
        body = _generic(plan.id, plan.name, "Microsoft.Web/serverFarms", plan.kind, plan.location, {})
        found.append((plan.resource_group, {**body, "sku": dict(plan.sku)}))
    for site in web.list_sites(sub):
        for _, slot in sorted(site.slots.items()):
            name, type_ = (
                (site.name, "Microsoft.Web/sites")
                if slot.is_production
                else (f"{site.name}/{slot.name}", "Microsoft.Web/sites/slots")
            )
            body = _generic(resource_id(site, slot), name, type_, site.kind, site.location, slot.tags)
            found.append((site.resource_group, body))
    return found


async def list_resources(request: Request) -> Response:
    require_api_version(request)
    wanted = parse_filter(request.query_params.get("$filter", ""))
    value = [
        body
        for group, body in _resources(request, request.path_params["sub"])
        if wanted.get("type", body["type"].lower()) == body["type"].lower()
        and wanted.get("name", body["name"].lower()) == body["name"].lower()
        and wanted.get("resourceGroup", group.lower()) == group.lower()
    ]
    return arm_json({"value": value})


def routes() -> list[BaseRoute]:
    return [Route("/subscriptions/{sub}/resources", list_resources, methods=["GET"])]
