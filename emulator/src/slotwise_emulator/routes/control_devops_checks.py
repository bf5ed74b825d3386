"""The control plane's environments-and-checks section, under ``/_emulator/devops/`` on the ARM host.

    GET   /_emulator/devops/{org}/{project}/environments                 the project's environments
    POST  /_emulator/devops/{org}/{project}/environments                 {name, description?}: made as
                                                                         in the portal
    GET   /_emulator/devops/{org}/{project}/environments/{env}/checks    the checks on one (name or id),
                                                                         every stored field
    PATCH /_emulator/devops/{org}/{project}/checks/{id}                  {"dotted.path": value, ...}:
                                                                         changed in the portal, behind
                                                                         a client's back (a new version)

JSON in and out (errors ``{"Message"}`` like the rest of the control plane); every endpoint is in
emulator/README.md. The rules are in ``backends/devops_environments.py`` and ``devops_checks.py``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator import devops_environments_driver as driver
from slotwise_emulator.errors import ServiceError
from slotwise_emulator.routes._common import backends
from slotwise_emulator.routes.control_devops import _body
from slotwise_emulator.routes.control_devops_org import _error


async def list_environments(request: Request) -> Response:
    p = request.path_params
    try:
        return JSONResponse(driver.environments(backends(request), p["org"], p["project"]))
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc


async def create_environment(request: Request) -> Response:
    p = request.path_params
    body = await _body(request)
    try:
        made = driver.create_environment(
            backends(request),
            p["org"],
            p["project"],
            str(body.get("name") or ""),
            str(body.get("description") or ""),
        )
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse(made, status_code=201)


async def list_checks(request: Request) -> Response:
    p = request.path_params
    try:
        return JSONResponse(driver.checks(backends(request), p["org"], p["project"], p["environment"]))
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc


async def edit_check(request: Request) -> Response:
    p = request.path_params
    changes: dict[str, Any] = await _body(request)
    try:
        edited = driver.edit_check(backends(request), p["org"], p["project"], int(p["id"]), changes)
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse(edited)


def routes() -> list[BaseRoute]:
    base = "/_emulator/devops/{org}/{project}"
    return [
        Route(f"{base}/environments", list_environments, methods=["GET"]),
        Route(f"{base}/environments", create_environment, methods=["POST"]),
        Route(base + "/environments/{environment}/checks", list_checks, methods=["GET"]),
        Route(base + "/checks/{id:int}", edit_check, methods=["PATCH"]),
    ]
