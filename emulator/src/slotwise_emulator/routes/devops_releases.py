"""Wire of the emulated releases at run time (``vsrm.dev.azure.com`` style paths, 7.1 contract), under
``/{org}/{project}/_apis/release``:

    POST  releases                                create (ReleaseStartMetadata)
    GET   releases                                list: definitionId, statusFilter, $top, queryOrder,
                                                  continuationToken, $expand
    GET   releases/{id}                           get
    PATCH releases/{id}                           abandon, keepForever
    PATCH releases/{id}/environments/{envId}      deploy (inProgress) or cancel a stage
    GET   releases/{id}/environments/{envId}/deployphases/{phaseId}/tasks/{taskId}/logs    a task's log
    GET   releases/{id}/logs                      every log, zipped
    GET   releases/{id}/environments/{envId}/attempts/{n}/plan/{planId}/attachments/{type}    summaries
    GET   .../plan/{planId}/timelines/{t}/records/{r}/attachments/{type}/{name}             one's content
    GET   approvals                               list: assignedToFilter, statusFilter, releaseIdsFilter,
                                                  typeFilter, $top, continuationToken, queryOrder,
                                                  includeMyGroupApprovals
    PATCH approvals/{id}                          approve, reject, reassign

The app lower-cases ``/_apis/...`` (so attachment types and names arrive lower case and are matched
so). ``LOCATIONS``: ids and resource versions of the azure-devops client's ``release_client.py``.
Rules and state: ``backends/devops_releases.py``. Must not: keep state or decide anything.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_release_rules import invalid
from slotwise_emulator.backends.devops_releases import ReleasesBackend
from slotwise_emulator.clock import iso
from slotwise_emulator.routes._common import read_json
from slotwise_emulator.routes.devops_release import CONTINUATION_HEADER, RELEASE_AREA_ID, _requested_version

SUMMARY_TYPE = "Distributedtask.Core.Summary"
_R = "{project}/_apis/{area}/releases/{releaseId}"


def _location(id_: str, resource: str, template: str, version: int, min_version: str = "2.0") -> ApiLocation:
    return ApiLocation(
        id=id_,
        area="Release",
        resource_name=resource,
        route_template=template,
        resource_version=version,
        min_version=min_version,
        max_version="7.1",
        released_version="7.0",
        area_id=RELEASE_AREA_ID,
    )


RELEASES = _location(
    "a166fde7-27ad-408e-ba75-703c2cc9d500", "releases", "{project}/_apis/{area}/{resource}/{releaseId}", 8
)
APPROVALS = _location(
    "b47c6458-e73b-47cb-a770-4df1e8813a91", "approvals", "{project}/_apis/{area}/{resource}", 3
)
APPROVAL = _location(
    "9328e074-59fb-465a-89d9-b09c82ee5109", "approvals", "{project}/_apis/{area}/{resource}/{approvalId}", 3
)
ENVIRONMENTS = _location(
    "a7e426b1-03dc-48af-9dfe-c98bac612dcb", "environments", _R + "/{resource}/{environmentId}", 7
)
TASK_LOG = _location(
    "17c91af7-09fd-4256-bff1-c24ee4f73bc0",
    "logs",
    _R + "/environments/{environmentId}/deployPhases/{releaseDeployPhaseId}/tasks/{taskId}/{resource}",
    2,
)
LOGS = _location("c37fbab5-214b-48e4-a55b-cb6b4f6e4038", "logs", _R + "/{resource}", 2)
ATTACHMENTS = _location(
    "a4d06688-0dfa-4895-82a5-f43ec9452306",
    "attachments",
    _R + "/environments/{environmentId}/attempts/{attemptId}/plan/{planId}/{resource}/{type}",
    1,
    "5.0",
)
ATTACHMENT = _location(
    "60b86efb-7b8c-4853-8f9f-aa142b77b479",
    "attachments",
    _R + "/environments/{environmentId}/attempts/{attemptId}/plan/{planId}/timelines/{timelineId}"
    "/records/{recordId}/{resource}/{type}/{name}",
    1,
    "5.0",
)
LOCATIONS: tuple[ApiLocation, ...] = (
    RELEASES,
    APPROVALS,
    APPROVAL,
    ENVIRONMENTS,
    TASK_LOG,
    LOGS,
    ATTACHMENTS,
    ATTACHMENT,
)
Resolve = Callable[[Request], ReleasesBackend]


def _admit(request: Request, service: ReleasesBackend, location: ApiLocation) -> tuple[dict[str, Any], str]:
    org = request.path_params["org"]
    caller = service.directory.authorize(org, request.headers.get("authorization"))
    return caller, service.directory.check_version(org, location, _requested_version(request))


def _base(request: Request) -> str:
    return f"https://{request.headers.get('host', '')}/{request.path_params['org']}"


def _json(body: Any, version: str, token: str | None = None) -> Response:
    headers = {CONTINUATION_HEADER: token} if token is not None else None
    return Response(
        json.dumps(body),
        media_type=f"application/json; charset=utf-8; api-version={version}",
        headers=headers,
    )


def _int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if not value.lstrip("-").isdigit():
        raise invalid(f"The value '{value}' is not valid for {name}: use a whole number.")  # emulator wording
    return int(value)


def _order(request: Request, default: str) -> bool:
    """Whether ``queryOrder`` asks for ascending order."""
    value = request.query_params.get("queryOrder", default).lower()
    if value not in ("ascending", "descending"):
        raise invalid("queryOrder must be ascending or descending.")  # emulator wording
    return value == "ascending"


def routes(resolve: Resolve) -> list[BaseRoute]:
    """The service's routes; ``resolve`` finds the backend behind a request."""

    async def releases(request: Request) -> Response:
        service = resolve(request)
        caller, version = _admit(request, service, RELEASES)
        org, project = request.path_params["org"], request.path_params["project"]
        if request.method == "POST":
            body = await read_json(request, shape="devops")
            return _json(service.create(org, project, body, caller, _base(request)), version)
        q = request.query_params
        expands = frozenset(e.strip().lower() for e in (q.get("$expand") or "").split(",") if e.strip())
        status = q.get("statusFilter")
        items, token = service.list_releases(
            org,
            project,
            _base(request),
            definition_id=_int(request, "definitionId"),
            status=status if status and status != "undefined" else None,
            top=_int(request, "$top"),
            ascending=_order(request, "descending"),
            continuation=_int(request, "continuationToken"),
            expands=expands,
        )
        return _json({"count": len(items), "value": items}, version, token)

    async def release(request: Request) -> Response:
        service = resolve(request)
        caller, version = _admit(request, service, RELEASES)
        p = request.path_params
        if request.method == "PATCH":
            body = await read_json(request, shape="devops")
            return _json(
                service.update(p["org"], p["project"], p["releaseId"], body, caller, _base(request)), version
            )
        return _json(service.get(p["org"], p["project"], p["releaseId"], _base(request)), version)

    async def environment(request: Request) -> Response:
        service = resolve(request)
        caller, version = _admit(request, service, ENVIRONMENTS)
        p = request.path_params
        body = await read_json(request, shape="devops")
        answer = service.update_environment(
            p["org"], p["project"], p["releaseId"], p["environmentId"], body, caller, _base(request)
        )
        return _json(answer, version)

    async def task_log(request: Request) -> Response:
        service = resolve(request)
        _admit(request, service, TASK_LOG)
        p = request.path_params
        lines = service.task_log(
            p["org"], p["project"], p["releaseId"], p["environmentId"], p["phaseId"], p["taskId"]
        )
        start, end = _int(request, "startLine"), _int(request, "endLine")
        chosen = lines[(start - 1 if start else 0) : end]
        return Response("".join(line + "\r\n" for line in chosen), media_type="text/plain; charset=utf-8")

    async def logs(request: Request) -> Response:
        service = resolve(request)
        _admit(request, service, LOGS)
        p = request.path_params
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path, lines in service.all_logs(p["org"], p["project"], p["releaseId"]).items():
                archive.writestr(path, "".join(line + "\r\n" for line in lines))
        return Response(buffer.getvalue(), media_type="application/zip")

    def _summaries(request: Request, location: ApiLocation) -> tuple[list[tuple[str, str, str, float]], str]:
        service = resolve(request)
        _, version = _admit(request, service, location)
        p = request.path_params
        if p["type"].lower() != SUMMARY_TYPE.lower():
            return [], version
        found = service.summaries(
            p["org"], p["project"], p["releaseId"], p["environmentId"], p["attemptId"], p["planId"]
        )
        return found, version

    async def attachments(request: Request) -> Response:
        found, version = _summaries(request, ATTACHMENTS)
        p, base = request.path_params, _base(request)
        items = []
        for record_id, name, _, when in found:
            url = (
                f"{base}/{p['project']}/_apis/release/releases/{p['releaseId']}/environments/{p['environmentId']}"
                f"/attempts/{p['attemptId']}/plan/{p['planId']}/timelines/{p['planId']}/records/{record_id}"
                f"/attachments/{SUMMARY_TYPE}/{name}"
            )
            items.append(
                {
                    "name": name,
                    "type": SUMMARY_TYPE,
                    "recordId": record_id,
                    "timelineId": p["planId"],
                    "createdOn": iso(when, precision=3),
                    "modifiedOn": iso(when, precision=3),
                    "_links": {"self": {"href": url}},
                }
            )
        return _json({"count": len(items), "value": items}, version)

    async def attachment(request: Request) -> Response:
        found, _ = _summaries(request, ATTACHMENT)
        p = request.path_params
        for record_id, name, text, _ in found:
            if record_id.lower() == p["recordId"].lower() and name.lower() == p["name"].lower():
                return Response(text.encode(), media_type="application/octet-stream")
        raise invalid(f"The attachment '{p['name']}' was not found.")  # emulator wording

    async def approvals(request: Request) -> Response:
        service = resolve(request)
        caller, version = _admit(request, service, APPROVALS)
        q = request.query_params
        ids = [i.strip() for i in (q.get("releaseIdsFilter") or "").split(",") if i.strip()]
        if not all(i.isdigit() for i in ids):
            raise invalid("releaseIdsFilter takes release ids separated by commas.")  # emulator wording
        kind = q.get("typeFilter")
        status = q.get("statusFilter", "pending")
        items, token = service.list_approvals(
            request.path_params["org"],
            request.path_params["project"],
            _base(request),
            caller=caller,
            assigned_to=(q.get("assignedToFilter") or "").lower() or None,
            status=None if status in ("undefined", "") else status,
            types=None if kind in (None, "", "undefined", "all") else {kind},
            release_ids={int(i) for i in ids} or None,
            top=_int(request, "$top"),
            continuation=_int(request, "continuationToken"),
            ascending=_order(request, "descending"),
            my_groups=q.get("includeMyGroupApprovals", "false").lower() == "true",
        )
        return _json({"count": len(items), "value": items}, version, token)

    async def approval(request: Request) -> Response:
        service = resolve(request)
        caller, version = _admit(request, service, APPROVAL)
        p = request.path_params
        body = await read_json(request, shape="devops")
        return _json(
            service.decide(p["org"], p["project"], p["approvalId"], body, caller, _base(request)), version
        )

    base = "/{org}/{project}/_apis/release"
    rel = base + "/releases/{releaseId:int}"
    env = rel + "/environments/{environmentId:int}"
    plan = env + "/attempts/{attemptId:int}/plan/{planId}"
    return [
        Route(base + "/releases", releases, methods=["GET", "POST"]),
        Route(rel, release, methods=["GET", "PATCH"]),
        Route(env, environment, methods=["PATCH"]),
        Route(env + "/deployphases/{phaseId:int}/tasks/{taskId:int}/logs", task_log, methods=["GET"]),
        Route(rel + "/logs", logs, methods=["GET"]),
        Route(plan + "/attachments/{type}", attachments, methods=["GET"]),
        Route(
            plan + "/timelines/{timelineId}/records/{recordId}/attachments/{type}/{name}",
            attachment,
            methods=["GET"],
        ),
        Route(base + "/approvals", approvals, methods=["GET"]),
        Route(base + "/approvals/{approvalId:int}", approval, methods=["PATCH"]),
    ]


def served() -> list[BaseRoute]:
    """The routes as the emulator serves them: the backend is the request's emulator's ``releases``."""
    from slotwise_emulator.routes._common import backends

    return routes(lambda request: backends(request).releases)


__all__ = ["LOCATIONS", "routes", "served"]
