"""Helpers every route module shares: reaching the backends, reading bodies, writing ARM answers.

Routes keep no state. They parse the request, call one backend method, and shape the answer; a
``ServiceError`` raised by a backend is rendered by the app in the service's own body shape.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from slotwise_emulator.backends.hosts import HostBinding
from slotwise_emulator.errors import ServiceError, Shape

if TYPE_CHECKING:
    from slotwise_emulator.backends import Backends

API_VERSION = "2025-05-01"  # Microsoft.Web, what azure-mgmt-web 11.x speaks
RESOURCES_API_VERSIONS = ("2025-04-01", "2024-11-01", "2024-03-01", "2022-09-01", "2021-04-01")


def backends(request: Request) -> Backends:
    """The emulator state behind this request."""
    return request.scope["slotwise.backends"]  # type: ignore[no-any-return]


def binding(request: Request) -> HostBinding:
    """What the host this request came to serves (which site and slot, for site and SCM hosts)."""
    return request.scope["slotwise.binding"]  # type: ignore[no-any-return]


def scope_header(scope: Any, name: bytes) -> str:
    """A request header from an ASGI scope ('' when absent)."""
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def base_url(request: Request) -> str:
    """``https://<host>`` as the client addressed us (for Location headers)."""
    return f"https://{request.headers.get('host', '')}"


async def read_json(request: Request, *, shape: Shape = "arm") -> Any:
    """The JSON body, or a 400 in ``shape`` naming the problem; an empty body reads as ``{}``."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ServiceError(
            400,
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: {exc}",
            shape=shape,
        ) from exc


def require_api_version(request: Request, *accepted: str) -> None:
    """ARM's 400 when the api-version query parameter is missing or not one this route supports."""
    version = request.query_params.get("api-version")
    if not version:
        raise ServiceError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if accepted and version not in accepted:
        raise ServiceError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{','.join(accepted)}'.",
        )


def arm_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An ARM JSON answer with the headers ARM always sends."""
    all_headers = {
        "Cache-Control": "no-cache",
        "Pragma": "no-cache",
        "Expires": "-1",
        "x-ms-request-id": _request_id(),
        **(headers or {}),
    }
    return JSONResponse(body, status_code=status, headers=all_headers)


def empty(status: int, headers: dict[str, str] | None = None) -> Response:
    """An answer with no body (``Content-Length: 0``), e.g. a 202 that starts a long operation."""
    return Response(b"", status_code=status, headers={"Cache-Control": "no-cache", **(headers or {})})


def _request_id() -> str:
    import uuid

    return str(uuid.uuid4())
