"""Wire of the emulated Azure Functions host (a slot's ``defaultHostName``).

Serves the HTTP functions of the package deployed to the slot (``Slot.content``, see
``backends/packages.py`` for routes and what a function answers); functions with other triggers are
not invocable by URL, and a disabled one (function.json, or the slot's ``AzureWebJobs.<name>.Disabled``
app setting) is a 404 unless the master key is given (the docs' "run a disabled function"). Checks
function keys as the host does (``code`` query parameter or ``x-functions-key`` header: a function's
own keys, a host key or the master key for ``function``; the master key only for ``admin``), and
serves the host's own endpoints: ``/`` (the default page), ``/admin/host/status`` (master key) and
``/admin/host/ping``. Like the real host, a wrong or missing key is a 401 and an unknown route a 404,
both with no body; a stopped slot answers 403 with the front end's "stopped" page. No state here.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.model import FunctionDef, Slot
from slotwise_emulator.backends.packages import find_function
from slotwise_emulator.backends.web import WebBackend
from slotwise_emulator.errors import ServiceError
from slotwise_emulator.routes._common import backends, binding

HOST_VERSION = "4.1041.200.25301"
_VERSION_DETAILS = "4.1041.200+6f2c4bd0e5a8b37cbd1ec2a1c9f0a5e3d5f8c2b1"
_JSON = "application/json; charset=utf-8"
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")  # what a trigger may list
_STOPPED_PAGE = """<!DOCTYPE html>
<html><head><title>Web App - Unavailable</title></head>
<body><h1>Error 403 - This web app is stopped.</h1>
<p>The web app you have attempted to reach is currently stopped and does not accept any requests.</p>
</body></html>
"""
_DEFAULT_PAGE = """<!DOCTYPE html>
<html><head><title>Azure Functions</title></head>
<body><h1>Your Functions 4.0 app is up and running</h1>
<p>Azure Functions is an event-based serverless compute experience (emulated by slotwise).</p>
</body></html>
"""


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/host/status", host_status, methods=["GET"]),
        Route("/admin/host/ping", host_ping, methods=["GET", "POST"]),
        Route("/{path:path}", invoke, methods=list(_METHODS)),
    ]


async def invoke(request: Request) -> Response:
    """Run the function whose route matches, or show the default page at ``/``."""
    web, slot = _web(request), _slot(request)
    if slot.state.lower() == "stopped":
        return _stopped()
    found = find_function(slot.content, request.method, request.url.path)
    if found is None:
        if request.url.path == "/":
            return HTMLResponse(_DEFAULT_PAGE)
        raise ServiceError(404, "NotFound", "", shape="empty")
    function, params = found
    # a disabled function runs for the master key only
    if function.disabled_in(slot.app_settings) and not _matches(_key(request), [slot.master_key]):
        raise ServiceError(404, "NotFound", "", shape="empty")
    if not _authorized(web, slot, function, _key(request)):
        raise ServiceError(401, "Unauthorized", "", shape="empty")
    if function.response.delay_ms:
        await asyncio.sleep(function.response.delay_ms / 1000)
    return answer(function, request.method, params, _query(request))


def answer(function: FunctionDef, method: str, params: dict[str, str], query: dict[str, str]) -> Response:
    """What the function answers, from its ``emulator.json`` (or the echo when it gives no body)."""
    emulated = function.response
    content: bytes
    if emulated.echo:
        echo = {"function": function.name, "method": method.upper(), "params": params, "query": query}
        content, media = json.dumps(echo).encode(), _JSON
    elif emulated.body is None:
        content, media = b"", None
    elif isinstance(emulated.body, str):
        content, media = emulated.body.encode(), "text/plain; charset=utf-8"
    else:
        content, media = json.dumps(emulated.body).encode(), _JSON
    if emulated.status in (204, 304):
        content, media = b"", None
    return Response(content, status_code=emulated.status, headers=dict(emulated.headers), media_type=media)


async def host_status(request: Request) -> Response:
    """The host's status, for the master key only."""
    slot = _slot(request)
    if slot.state.lower() == "stopped":
        return _stopped()
    if not _matches(_key(request), [slot.master_key]):
        raise ServiceError(401, "Unauthorized", "", shape="empty")
    bound = binding(request)
    site = bound.site or ""
    host_id = (site if slot.is_production else f"{site}-{slot.name}").lower()[:32].rstrip("-")
    started = slot.last_restart or slot.created
    uptime_ms = max(0, int((backends(request).clock.now() - started) * 1000))
    body = {
        "id": host_id,
        "state": "Running",
        "version": HOST_VERSION,
        "versionDetails": _VERSION_DETAILS,
        "platformVersion": "",
        "instanceId": hashlib.sha256(slot.host_name.encode()).hexdigest(),
        "computerName": "",
        "processUptime": uptime_ms,
        "functionAppContentEditingState": "NotAllowed",
        "extensionBundle": {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "4.22.0"},
    }
    return Response(json.dumps(body), media_type=_JSON)


async def host_ping(request: Request) -> Response:
    """Anonymous liveness check: 200 with no body."""
    if _slot(request).state.lower() == "stopped":
        return _stopped()
    return Response(b"", status_code=200)


def _authorized(web: WebBackend, slot: Slot, function: FunctionDef, key: str) -> bool:
    if function.auth_level == "anonymous":
        return True
    if function.auth_level == "admin":
        return _matches(key, [slot.master_key])
    candidates = [
        slot.master_key,
        *slot.host_function_keys.values(),
        *web.function_keys(slot, function.name).values(),
    ]
    return _matches(key, candidates)


def _matches(key: str, candidates: list[str]) -> bool:
    given = key.encode()
    return bool(key) and any(c and hmac.compare_digest(c.encode(), given) for c in candidates)


def _key(request: Request) -> str:
    return request.headers.get("x-functions-key") or request.query_params.get("code") or ""


def _query(request: Request) -> dict[str, str]:
    """The query without the key (an echo must never repeat a secret)."""
    return {k: v for k, v in request.query_params.items() if k.lower() != "code"}


def _stopped() -> Response:
    return HTMLResponse(_STOPPED_PAGE, status_code=403)


def _web(request: Request) -> WebBackend:
    return backends(request).web


def _slot(request: Request) -> Slot:
    """The slot this host name serves; an empty 404 if it is gone."""
    bound = binding(request)
    if not (bound.subscription and bound.resource_group and bound.site and bound.slot):
        raise ServiceError(404, "NotFound", "", shape="empty")
    try:
        return _web(request).slot(bound.subscription, bound.resource_group, bound.site, bound.slot)
    except ServiceError:
        raise ServiceError(404, "NotFound", "", shape="empty") from None
