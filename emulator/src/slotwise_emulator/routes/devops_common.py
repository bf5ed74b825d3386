"""What every Azure DevOps organization route shares: authentication, api-version, answers.

``api(location)`` wraps a route handler: it finds the organization (404 if unknown), authenticates the
caller (PAT as Basic, an Entra or job bearer token; a 401 with the challenge headers, or the 302 to the
sign-in page when the request did not say ``X-TFS-FedAuthRedirect: Suppress``), checks the api-version
(query ``api-version`` or the ``Accept`` header's ``api-version=``) against the location and the server
the emulator answers as, and hands the handler a ``Call``. ``collection`` answers a list the way Azure
DevOps does (``{"count", "value"}``), with ``X-MS-ContinuationToken`` when there is more.

Must not: keep state, or know any resource's rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from slotwise_emulator.backends.devops import Organization
from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_org import OrganizationBackend
from slotwise_emulator.errors import ServiceError, devops_error
from slotwise_emulator.routes._common import backends
from slotwise_emulator.routes.devops import sign_in_redirect

_ACCEPT_VERSION = re.compile(r"api-version=([^;,\s]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Call:
    """An authenticated call to one organization."""

    directory: OrganizationBackend
    org: Organization
    caller: dict[str, Any]  # the caller's IdentityRef
    version: str  # the api-version asked for ('' for the location handshake)

    @property
    def collection(self) -> str:
        """The organization's collection URI, ``https://host/{org}/``."""
        return self.directory.devops.collection_uri(self.org.name)


Handler = Callable[[Request, Call], Awaitable[Response]]


def requested_version(request: Request) -> str | None:
    """The api-version of the query, else of the ``Accept`` header; None when neither has one."""
    version = request.query_params.get("api-version")
    if version:
        return version
    match = _ACCEPT_VERSION.search(request.headers.get("accept", ""))
    return match.group(1) if match else None


def authenticate(request: Request) -> tuple[OrganizationBackend, Organization, dict[str, Any]]:
    """The organization of ``{org}`` in the path and the caller's IdentityRef (errors as the service)."""
    directory = backends(request).devops.directory
    org = directory.organization(request.path_params["org"])
    caller = directory.authorize(org.name, request.headers.get("authorization"))
    return directory, org, caller


def api(location: ApiLocation | None) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a handler of ``location`` (None: the handshake, which takes no api-version)."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                directory, org, caller = authenticate(request)
            except ServiceError as error:
                suppressed = request.headers.get("x-tfs-fedauthredirect", "").lower() == "suppress"
                if error.status == 401 and not suppressed:
                    return sign_in_redirect(request)
                raise
            version = ""
            if location is not None:
                version = directory.check_version(org.name, location, requested_version(request))
            return await handler(request, Call(directory, org, caller, version))

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


def answer(body: Any, call: Call, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer; its content type names the api-version, as Azure DevOps' do."""
    media = "application/json; charset=utf-8" + (f"; api-version={call.version}" if call.version else "")
    return JSONResponse(body, status_code=status, headers=headers, media_type=media)


def collection(items: Sequence[Any], call: Call, continuation: str | None = None) -> Response:
    """A list as Azure DevOps answers it."""
    headers = {"X-MS-ContinuationToken": continuation} if continuation else None
    return answer({"count": len(items), "value": list(items)}, call, headers=headers)


def csv(request: Request, name: str) -> list[str]:
    """A comma-separated query parameter as a list (empty when absent)."""
    return [part.strip() for part in request.query_params.get(name, "").split(",") if part.strip()]


def number(request: Request, name: str, default: int | None = None) -> int | None:
    """An integer query parameter, or the 400 Azure DevOps answers a malformed one with."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise devops_error(
            400, "InvalidQueryParameterException", f"The value '{text}' of parameter '{name}' is not valid."
        ) from exc


def path_number(request: Request, name: str) -> int:
    text = str(request.path_params[name])
    if not text.isdigit():
        raise devops_error(400, "ArgumentException", f"The value '{text}' is not a valid {name}.")
    return int(text)


def timestamp(seconds: float) -> str:
    """A date-time as Azure DevOps writes it (UTC, 7 fraction digits at most, ``Z``)."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def body_object(request: Request) -> dict[str, Any]:
    """The JSON object body, or the 400 Azure DevOps answers otherwise."""
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise devops_error(400, "VssRequestContentException", f"The request body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise devops_error(400, "ArgumentNullException", "Value cannot be null.\r\nParameter name: body")
    return data


def project_ref(call: Call, project_id: str) -> dict[str, Any]:
    """A TeamProjectReference of one of the organization's projects."""
    project = call.org.projects[project_id]
    return {
        "id": project.id,
        "name": project.name,
        "url": f"{call.collection}_apis/projects/{project.id}",
        "state": "wellFormed",
        "revision": 1,
        "visibility": "private",
        "lastUpdateTime": "2024-01-01T00:00:00Z",
    }
