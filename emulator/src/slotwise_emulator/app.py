"""The emulator's wire entry point: one ASGI app in front of every emulated service.

For each request it: finds which service the ``Host`` serves (ARM, login, DevOps, a site's function
host or its SCM site), finishes long operations whose time has come, applies a matching fault rule,
checks the bearer token where the real service does (ARM and Kudu), canonicalises ARM's
case-insensitive path segments (and drops its empty ones) and DevOps' ``/_apis/...`` (lower-cased),
drops a trailing slash where the real service ignores it (ARM, Entra ID, Kudu, DevOps: they answer
``.../oauth2/token/`` as ``.../oauth2/token``, never with a redirect), calls that service's routes,
logs the request (never its headers or body) and saves the state when asked to. Errors are rendered
in the shape of the service that raised them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute
from starlette.types import Message, Receive, Scope, Send

from slotwise_emulator.backends import Backends
from slotwise_emulator.backends.hosts import HostBinding
from slotwise_emulator.backends.requestlog import LoggedRequest
from slotwise_emulator.errors import ServiceError, Shape, body_for
from slotwise_emulator.routes._common import scope_header
from slotwise_emulator.server import abort_current_connection

log = logging.getLogger("slotwise_emulator")

_ARM_CANONICAL = (
    (re.compile(r"^/subscriptions/", re.IGNORECASE), "/subscriptions/"),
    (re.compile(r"/resourcegroups(?=/|$)", re.IGNORECASE), "/resourceGroups"),
    (re.compile(r"/providers/microsoft\.web/", re.IGNORECASE), "/providers/Microsoft.Web/"),
    (re.compile(r"/providers/microsoft\.web$", re.IGNORECASE), "/providers/Microsoft.Web"),
)
_SUBSCRIPTION_IN_PATH = re.compile(r"^/subscriptions/([^/]+)")
_DEVOPS_API = re.compile(r"/_apis(/.*)?$", re.IGNORECASE)
_REPEATED_SLASHES = re.compile(r"//+")
_UNAUTHENTICATED_ARM = ("/_emulator", "/metadata/endpoints")
# Services that answer a path with a trailing slash as the path without it (ASP.NET routing); the
# Functions host matches its own routes (``routes/functions.py``).
_TRAILING_SLASH_IGNORED = ("arm", "login", "scm", "devops")


def render(error: ServiceError) -> Response:
    """The response a real service sends for ``error``, in its body shape."""
    body = body_for(error)
    if body is None:
        return Response(b"", status_code=error.status, headers=error.headers)
    if isinstance(body, str):
        return PlainTextResponse(body, status_code=error.status, headers=error.headers)
    media = "application/json; charset=utf-8"
    return Response(json.dumps(body), status_code=error.status, headers=error.headers, media_type=media)


async def _service_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return render(exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("emulator bug while serving %s %s", request.method, request.url.path, exc_info=exc)
    return render(
        ServiceError(500, "InternalServerError", f"The emulator failed: {type(exc).__name__}: {exc}")
    )


def service_app(routes: list[BaseRoute], shape: Shape = "arm") -> Starlette:
    """A Starlette app for one emulated service, rendering ServiceError in its shape.

    A path no route knows gets the service's own 404 (ARM: ``NoRegisteredProviderFound``-like), a
    known path with another method its 405. Never Starlette's 307 to the path with or without a
    trailing slash: no Azure service answers that way (the app drops the slash where the service
    ignores it).
    """

    async def unknown_path(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        if status == 405:
            code, message = (
                "MethodNotAllowed",
                f"The HTTP method '{request.method}' is not supported at this path.",
            )
        else:
            code = {"arm": "InvalidResourceType", "devops": "VssResourceNotFoundException"}.get(
                shape, "NotFound"
            )
            message = f"The resource path '{request.url.path}' is not known to this service."
        return render(ServiceError(status, code, message, shape=shape))

    app = Starlette(
        routes=routes,
        exception_handlers={
            ServiceError: _service_error,
            Exception: _unexpected,
            404: unknown_path,
            405: unknown_path,
        },
    )
    app.router.redirect_slashes = False
    return app


class EmulatorApp:
    """Dispatches each request to the emulated service its host serves."""

    def __init__(
        self,
        backends: Callable[[], Backends],
        services: dict[str, Starlette],
        on_change: Callable[[], None] = lambda: None,
        extra_scope: Callable[[], dict[str, object]] = dict,
    ) -> None:
        self._extra_scope = extra_scope
        self._backends = backends
        self._services = services
        self._on_change = on_change

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        backends = self._backends()
        started = time.perf_counter()
        host = scope_header(scope, b"host")
        binding = backends.hosts.lookup(host) or backends.hosts.lookup(f"127.0.0.1:{scope['server'][1]}")
        status = {"code": 0}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        fault_id: str | None = None
        try:
            if binding is None:
                await render(
                    ServiceError(404, "NotFound", f"No emulated service at host '{host}'.", shape="text")
                )(scope, receive, send_logged)
                return
            backends.tick()
            rule = backends.faults.match(scope["method"], binding.kind, scope["path"], backends.clock.now())
            if rule is not None:
                fault_id = rule.id
                if rule.latency_ms:
                    await asyncio.sleep(rule.latency_ms / 1000)
                if rule.drop:
                    abort_current_connection()
                    return
                if not rule.passthrough and not rule.drop_after:
                    await render(rule.error())(scope, receive, send_logged)
                    return
            scope = {**self._prepare(scope, binding, backends), **self._extra_scope()}
            self._authenticate(scope, binding, backends)
            if rule is not None and rule.drop_after:
                await self._serve_then_drop(scope, receive, binding.kind, status)
                return
            await self._services[binding.kind](scope, receive, send_logged)
        except ServiceError as error:
            await render(error)(scope, receive, send_logged)
        finally:
            backends.log.add(
                LoggedRequest(
                    time=backends.clock.now(),
                    method=scope["method"],
                    host=host,
                    kind=binding.kind if binding else "?",
                    # the path the service sees, also for a request a fault answered before it
                    path=self._prepare(scope, binding, backends)["path"] if binding else scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=status["code"],
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                    fault=fault_id,
                )
            )
            if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
                self._on_change()

    async def _serve_then_drop(
        self, scope: Scope, receive: Receive, kind: str, status: dict[str, int]
    ) -> None:
        """Serve the request in full (the service acts on it), then lose the connection instead of
        sending the answer: the client cannot tell whether the service did anything."""

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]

        try:
            await self._services[kind](scope, receive, swallow)
        finally:
            abort_current_connection()

    @staticmethod
    def _prepare(scope: Scope, binding: HostBinding, backends: Backends) -> Scope:
        path: str = scope["path"]
        if binding.kind == "arm":
            # ARM ignores empty path segments: `az cloud register --endpoint-resource-manager <arm>/`
            # asks for `<arm>//metadata/endpoints`.
            path = _REPEATED_SLASHES.sub("/", path)
        if binding.kind == "arm" and path.lower().startswith("/subscriptions"):
            for pattern, canonical in _ARM_CANONICAL:
                path = pattern.sub(canonical, path, count=1)
        if binding.kind == "devops":
            # Azure DevOps' API paths ignore case (the Python client asks for `_apis/Release/...`).
            path = _DEVOPS_API.sub(lambda m: m.group(0).lower(), path, count=1)
        if binding.kind in _TRAILING_SLASH_IGNORED and len(path) > 1 and path.endswith("/"):
            # Microsoft's Node library posts to `<authority>/<tenant>/oauth2/token/` and reads a site
            # as `.../sites/<app>/`; the services answer those as without the slash.
            path = path[:-1]
        return {
            **scope,
            "path": path,
            "raw_path": path.encode(),
            "slotwise.backends": backends,
            "slotwise.binding": binding,
        }

    @staticmethod
    def _authenticate(scope: Scope, binding: HostBinding, backends: Backends) -> None:
        """ARM and Kudu take a bearer token for an ARM audience; ARM also checks the tenant. Kudu also
        takes the slot's publishing credentials as Basic auth, unless its policy turned that off."""
        if binding.kind == "scm":
            header = scope_header(scope, b"authorization")
            scheme, _, credentials = header.partition(" ")
            if scheme.lower() == "basic" and binding.site and binding.slot:
                subscription, group = binding.subscription or "", binding.resource_group or ""
                backends.web.check_basic_auth(subscription, group, binding.site, binding.slot, credentials)
                return
            backends.identity.validate_bearer(header or None)
            return
        if binding.kind != "arm" or scope["path"].startswith(_UNAUTHENTICATED_ARM):
            return
        claims = backends.identity.validate_bearer(scope_header(scope, b"authorization") or None)
        scope["slotwise.claims"] = claims  # routes read who is calling from here, not the header again
        match = _SUBSCRIPTION_IN_PATH.match(scope["path"])
        if match:
            sub = backends.resources.subscriptions.get(match.group(1).lower())
            if sub is not None:
                backends.identity.check_tenant(claims, sub.tenant_id)


def json_error_response(status: int, message: str) -> JSONResponse:
    """A control-plane error: ``{"error": message}``."""
    return JSONResponse({"error": message}, status_code=status)


__all__ = ["EmulatorApp", "json_error_response", "render", "service_app"]
