"""Wire of the emulated Azure DevOps organization host (``https://dev.azure.com/{org}/`` style).

Today: the distributed-task OIDC token endpoint that Azure Pipelines tasks, azure-identity's
``AzurePipelinesCredential`` and Microsoft's task libraries call for workload identity federation:

    POST /{org}/{project}/_apis/distributedtask/hubs/{hub}/plans/{plan}/jobs/{job}/oidctoken
         ?serviceConnectionId={id}&api-version=7.1-preview.1          -> 200 {"oidcToken": "<jwt>"}

The job's access token comes as ``Bearer <token>`` (or ``Basic`` with the token as password). A
request that cannot be authenticated gets 401 with an empty body when it says
``X-TFS-FedAuthRedirect: Suppress``, and otherwise a 302 to the sign-in page, as Azure DevOps does.
The api-version may be in the query or the ``Accept`` header. The rules are in ``backends/devops.py``.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.errors import ServiceError, devops_error
from slotwise_emulator.routes._common import backends, base_url

OIDC_TOKEN = ApiLocation(
    "69a319f4-28c1-4bfd-93e6-ea0ff5c6f1a2", "distributedtask", "oidctoken",
    "{scopeIdentifier}/_apis/distributedtask/hubs/{hubName}/plans/{planId}/jobs/{jobId}/{resource}", 1,
    min_version="7.1", released_version="0.0", area_id="a85b8835-c1a1-4aac-ae97-1c3d0ba72dbd",
)  # fmt: skip
LOCATIONS: tuple[ApiLocation, ...] = (OIDC_TOKEN,)
OIDC_MIN_VERSION = (7, 1)  # the oidctoken resource exists from 7.1-preview.1
SERVER_MAX_VERSION = (7, 2)
_VERSION = re.compile(r"^(\d+)\.(\d+)(?:-preview(?:\.(\d+))?)?$")
_ACCEPT_VERSION = re.compile(r"api-version=([^;,\s]+)", re.IGNORECASE)

SIGN_IN_PAGE = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" \
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html lang="en-US">
<head><title>
            Azure DevOps Services | Sign In
</title></head>
<body></body>
</html>
"""


def _api_version(request: Request) -> str:
    """The api-version asked for (query first, then ``Accept``), or the VSS 400 explaining it."""
    version = request.query_params.get("api-version")
    if not version:
        match = _ACCEPT_VERSION.search(request.headers.get("accept", ""))
        version = match.group(1) if match else ""
    if not version:
        raise devops_error(
            400,
            "VssVersionNotSpecifiedException",
            f'No api-version was supplied for the "{request.method}" request. The version must be supplied '
            'either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query '
            "parameter (e.g. '?api-version=1.0').",
        )
    parsed = _VERSION.match(version)
    if parsed is None:
        raise devops_error(
            400, "VssInvalidApiVersionException", f"The api-version '{version}' is not a valid version."
        )
    wanted = (int(parsed.group(1)), int(parsed.group(2)))
    if wanted > SERVER_MAX_VERSION:
        raise devops_error(
            400,
            "VssVersionOutOfRangeException",
            f"The requested REST API version of {wanted[0]}.{wanted[1]} is out of range for this server. "
            f"The latest REST API version this server supports is {SERVER_MAX_VERSION[0]}."
            f"{SERVER_MAX_VERSION[1]}.",
        )
    if wanted < OIDC_MIN_VERSION or (parsed.group(3) not in (None, "1")):
        raise devops_error(
            400,
            "VssInvalidPreviewVersionException",
            f"The requested version '{version}' of the resource 'oidctoken' is not supported. Use "
            "api-version=7.1 or 7.1-preview.1.",
        )
    return version


def sign_in_redirect(request: Request) -> Response:
    """Where Azure DevOps sends an unauthenticated request that did not suppress the redirect."""
    realm = quote(request.headers.get("host", ""))
    target = f"{base_url(request)}/_signin?realm={realm}&reply_to={quote(str(request.url), safe='')}"
    link = target.replace("&", "&amp;")
    body = (
        "<html><head><title>Object moved</title></head><body>\r\n"
        f'<h2>Object moved to <a href="{link}">here</a>.</h2>\r\n</body></html>\r\n'
    )
    return HTMLResponse(body, status_code=302, headers={"Location": target})


async def oidc_token(request: Request) -> Response:
    p = request.path_params
    state = backends(request)
    try:
        job = state.devops.authenticate(p["org"], request.headers.get("authorization"))
    except ServiceError as error:
        if error.status == 401 and request.headers.get("x-tfs-fedauthredirect", "").lower() != "suppress":
            return sign_in_redirect(request)
        raise
    _api_version(request)
    token = state.devops.issue_oidc_token(
        job, p["project"], p["hub"], p["plan"], p["job"], request.query_params.get("serviceConnectionId")
    )
    return JSONResponse({"oidcToken": token}, headers={"Cache-Control": "no-cache"})


async def sign_in(_: Request) -> Response:
    return HTMLResponse(SIGN_IN_PAGE)


def routes() -> list[BaseRoute]:
    oidc = "/{org}/{project}/_apis/distributedtask/hubs/{hub}/plans/{plan}/jobs/{job}/oidctoken"
    return [
        Route(oidc, oidc_token, methods=["POST"]),
        Route("/_signin", sign_in, methods=["GET"]),
    ]
