"""Wire of the emulated release definitions service (``vsrm.dev.azure.com`` style paths):

    POST   /{org}/{project}/_apis/release/definitions                         create
    GET    /{org}/{project}/_apis/release/definitions                         list (filters, $top)
    PUT    /{org}/{project}/_apis/release/definitions                         update (id + revision)
    GET    /{org}/{project}/_apis/release/definitions/{id}?propertyFilters=   get
    DELETE /{org}/{project}/_apis/release/definitions/{id}?comment=&forceDelete=
    GET    /{org}/{project}/_apis/release/definitions/{id}/revisions          history
    GET    /{org}/{project}/_apis/release/definitions/{id}/revisions/{rev}    that revision, as text/plain

Every request is authorized (``OrganizationDirectory.authorize``: PAT as Basic, a bearer token) and
its api-version (query, or the ``Accept`` header as the Python client sends it) checked against the
location (``check_version``) before the backend is called. The app lower-cases ``/_apis/...`` (the
client asks for ``_apis/Release/definitions``). ``LOCATIONS`` describes the two resources for the
location service (``OPTIONS {org}/_apis``); ids and versions are those of the azure-devops client's
``release_client.py`` (7.1 and 7.0). Rules and state: ``backends/devops_release.py``.

Must not: keep state or decide anything a backend decides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_release import ReleaseDefinitionsBackend
from slotwise_emulator.backends.devops_release_documents import EXPANDS
from slotwise_emulator.backends.devops_release_query import QUERY_ORDERS, ListQuery
from slotwise_emulator.backends.devops_release_rules import invalid
from slotwise_emulator.routes._common import read_json

RELEASE_AREA_ID = "efc2f575-36ef-48e9-b672-0c6fb4a48ac5"
DEFINITIONS = ApiLocation(
    id="d8f96f24-8ea7-4cb6-baab-2df8fc515665",
    area="Release",
    resource_name="definitions",
    route_template="{project}/_apis/{area}/{resource}/{definitionId}",
    resource_version=4,
    min_version="2.0",
    max_version="7.1",
    released_version="7.0",
    area_id=RELEASE_AREA_ID,
)
REVISIONS = ApiLocation(
    id="258b82e0-9d41-43f3-86d6-fef14ddd44bc",
    area="Release",
    resource_name="revisions",
    route_template="{project}/_apis/{area}/definitions/{definitionId}/{resource}/{revision}",
    resource_version=1,
    min_version="2.2",
    max_version="7.1",
    released_version="7.0",
    area_id=RELEASE_AREA_ID,
)
LOCATIONS: tuple[ApiLocation, ...] = (DEFINITIONS, REVISIONS)
CONTINUATION_HEADER = (
    "x-ms-continuationtoken"  # the release service's (ReleaseManagementProjectControllerBase)
)

_ACCEPT_VERSION = re.compile(r"api-version=([^;,\s]+)", re.IGNORECASE)
Resolve = Callable[[Request], ReleaseDefinitionsBackend]


def _requested_version(request: Request) -> str | None:
    version = request.query_params.get("api-version")
    if version:
        return version
    match = _ACCEPT_VERSION.search(request.headers.get("accept", ""))
    return match.group(1) if match else None


def _admit(
    request: Request, service: ReleaseDefinitionsBackend, location: ApiLocation
) -> tuple[dict[str, Any], str]:
    """The caller's IdentityRef and the api-version answered with; the directory's 401/404/400 otherwise."""
    org = request.path_params["org"]
    caller = service.directory.authorize(org, request.headers.get("authorization"))
    version = service.directory.check_version(org, location, _requested_version(request))
    return caller, version


def _base(request: Request) -> str:
    return f"https://{request.headers.get('host', '')}/{request.path_params['org']}"


def _json(body: Any, version: str, headers: dict[str, str] | None = None) -> Response:
    media = f"application/json; charset=utf-8; api-version={version}"
    return Response(json.dumps(body), media_type=media, headers=headers)


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "false").strip().lower()
    if value not in ("true", "false"):
        raise invalid(f"The value '{value}' is not valid for {name}: use true or false.")  # emulator wording
    return value == "true"


def _names(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _list_query(request: Request) -> ListQuery:
    q = request.query_params
    expands = {e.lower() for e in _names(q.get("$expand")) or ()}
    known = {e.lower(): e for e in EXPANDS}
    if not expands <= set(known):
        raise invalid(f"$expand must be a combination of {', '.join(EXPANDS)}.")  # emulator wording
    order = next((o for o in QUERY_ORDERS if o.lower() == q.get("queryOrder", "idAscending").lower()), None)
    if order is None:
        raise invalid(f"queryOrder must be one of {', '.join(QUERY_ORDERS)}.")  # emulator wording
    top = q.get("$top")
    ids = _names(q.get("definitionIdFilter"))
    if (top is not None and not top.lstrip("-").isdigit()) or (ids and not all(i.isdigit() for i in ids)):
        raise invalid("$top and definitionIdFilter take whole numbers.")  # emulator wording
    return ListQuery(
        search_text=q.get("searchText") or None,
        exact_name=_flag(request, "isExactNameMatch"),
        search_folder=_flag(request, "searchTextContainsFolderName"),
        expands=frozenset(known[e] for e in expands),
        artifact_type=q.get("artifactType") or None,
        artifact_source_id=q.get("artifactSourceId") or None,
        top=int(top) if top is not None else None,
        continuation=q.get("continuationToken") or None,
        order=order,
        path=q.get("path") or None,
        tags=_names(q.get("tagFilter")) or (),
        property_filters=_names(q.get("propertyFilters")),
        definition_ids=tuple(int(i) for i in ids) if ids is not None else None,
        deleted=_flag(request, "isDeleted"),
    )


def routes(resolve: Resolve) -> list[BaseRoute]:
    """The service's routes; ``resolve`` finds the backend behind a request (the lead wires
    ``lambda request: backends(request).release``)."""

    async def definitions(request: Request) -> Response:
        service = resolve(request)
        caller, version = _admit(request, service, DEFINITIONS)
        org, project = request.path_params["org"], request.path_params["project"]
        if request.method == "GET":
            items, token = service.list_definitions(org, project, _list_query(request), _base(request))
            headers = {CONTINUATION_HEADER: token} if token is not None else None
            return _json({"count": len(items), "value": items}, version, headers)
        body = await read_json(request, shape="devops")
        if request.method == "POST":
            return _json(service.create(org, project, body, caller, _base(request)), version)
        return _json(service.update(org, project, body, caller, _base(request)), version)

    async def definition(request: Request) -> Response:
        service = resolve(request)
        caller, version = _admit(request, service, DEFINITIONS)
        p = request.path_params
        if request.method == "DELETE":
            _flag(request, "forceDelete")  # accepted; no release is ever in progress in the emulator
            service.delete(
                p["org"], p["project"], p["definitionId"], caller, request.query_params.get("comment")
            )
            return Response(status_code=204)
        filters = _names(request.query_params.get("propertyFilters"))
        return _json(service.get(p["org"], p["project"], p["definitionId"], _base(request), filters), version)

    async def revisions(request: Request) -> Response:
        service = resolve(request)
        _, version = _admit(request, service, REVISIONS)
        p = request.path_params
        items = service.revisions(p["org"], p["project"], p["definitionId"], _base(request))
        for item in items:
            item["apiVersion"] = version
        return _json({"count": len(items), "value": items}, version)

    async def revision(request: Request) -> Response:
        service = resolve(request)
        _admit(request, service, REVISIONS)
        p = request.path_params
        doc = service.revision(p["org"], p["project"], p["definitionId"], p["revision"], _base(request))
        return Response(json.dumps(doc), media_type="text/plain; charset=utf-8")

    base = "/{org}/{project}/_apis/release/definitions"
    return [
        Route(base, definitions, methods=["GET", "POST", "PUT"]),
        Route(base + "/{definitionId:int}", definition, methods=["GET", "DELETE"]),
        Route(base + "/{definitionId:int}/revisions", revisions, methods=["GET"]),
        Route(base + "/{definitionId:int}/revisions/{revision:int}", revision, methods=["GET"]),
    ]


__all__ = ["CONTINUATION_HEADER", "LOCATIONS", "routes"]


def served() -> list[BaseRoute]:
    """The routes as the emulator serves them: the backend is the request's emulator's ``release``."""
    from slotwise_emulator.routes._common import backends

    return routes(lambda request: backends(request).release)
