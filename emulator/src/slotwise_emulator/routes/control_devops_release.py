"""The control plane's release-definitions section, under ``/_emulator/devops/`` on the ARM host.

What Azure DevOps' clients cannot do through the public API but a test or a user needs: put a
definition in as the portal stored it (any JSON, e.g. one exported from a real organization, with
fields and ids this organization does not know), and edit one "in the portal" behind a client's back
(a new revision). JSON in and out (errors ``{"Message"}`` like the rest of the control plane); every
endpoint is in emulator/README.md. The rules are in ``backends/devops_release.py``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.errors import ServiceError
from slotwise_emulator.routes._common import backends
from slotwise_emulator.routes.control_devops import _body
from slotwise_emulator.routes.control_devops_org import _error


async def load_definition(request: Request) -> Response:
    """``POST .../{org}/{project}/releasedefinitions``: the body is the definition: ``{id, revision}``."""
    p = request.path_params
    body = await _body(request)
    try:
        definition_id = backends(request).release.load(p["org"], p["project"], body)
        stored = backends(request).release.get(p["org"], p["project"], definition_id, "", None)
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse({"id": definition_id, "revision": stored["revision"]}, status_code=201)


async def edit_definition(request: Request) -> Response:
    """``PATCH .../{org}/{project}/releasedefinitions/{id}``: ``{"dotted.path": value, ...}`` changed
    as someone in the portal would: ``{id, revision}`` (the new revision)."""
    p = request.path_params
    changes: dict[str, Any] = await _body(request)
    try:
        revision = backends(request).release.portal_edit(p["org"], p["project"], int(p["id"]), changes)
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse({"id": int(p["id"]), "revision": revision})


def routes() -> list[BaseRoute]:
    base = "/_emulator/devops/{org}/{project}/releasedefinitions"
    return [
        Route(base, load_definition, methods=["POST"]),
        Route(base + "/{id:int}", edit_definition, methods=["PATCH"]),
    ]
