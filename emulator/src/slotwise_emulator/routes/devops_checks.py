"""Wire of the emulated check configurations (``PipelinesChecks`` area, ``checks-7.1`` document):

    POST   /{org}/{project}/_apis/pipelines/checks/configurations               -> CheckConfiguration
    GET    /{org}/{project}/_apis/pipelines/checks/configurations?resourceType=&resourceId=&$expand=
                                                          -> {count, value: [CheckConfiguration]}
    GET    /{org}/{project}/_apis/pipelines/checks/configurations/{id}?$expand= -> CheckConfiguration
    PATCH  /{org}/{project}/_apis/pipelines/checks/configurations/{id}          -> CheckConfiguration
    DELETE /{org}/{project}/_apis/pipelines/checks/configurations/{id}          -> 204
    POST   /{org}/{project}/_apis/pipelines/checks/queryconfigurations?$expand=  body [Resource]
                                                          -> {count, value: [CheckConfiguration]}

As the official examples show: add and update answer the settings; a get, a list and a query answer
them only with ``$expand=settings``. The resource's ``name`` is its current one. The API is in preview
(``7.1-preview.1``): a version without ``-preview`` gets the service's
``VssInvalidPreviewVersionException``. Location ids: the azure-devops client's
(``pipelines_checks_client.py``). Rules: ``backends/devops_checks.py``. Must not: keep state.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends import devops_checks as checks
from slotwise_emulator.backends.devops import Project
from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_records import CheckConfiguration
from slotwise_emulator.errors import devops_error
from slotwise_emulator.routes.devops_common import (
    Call,
    answer,
    api,
    body_object,
    collection,
    path_number,
    timestamp,
)

CHECKS_AREA = "4a933897-0488-45af-bd82-6fd3ad33f46a"
CONFIGURATIONS = ApiLocation(
    "86c8381e-5aee-4cde-8ae4-25c0c7f5eaea", "PipelinesChecks", "configurations",
    "{project}/_apis/pipelines/checks/{resource}/{id}", 1, min_version="5.1", released_version="0.0",
    area_id=CHECKS_AREA,
)  # fmt: skip
QUERY_CONFIGURATIONS = ApiLocation(
    "5f3d0e64-f943-4584-8811-77eb495e831e", "PipelinesChecks", "queryconfigurations",
    "{project}/_apis/pipelines/checks/{resource}", 1, min_version="5.1", released_version="0.0",
    area_id=CHECKS_AREA,
)  # fmt: skip
LOCATIONS: tuple[ApiLocation, ...] = (CONFIGURATIONS, QUERY_CONFIGURATIONS)
EXPANDS = ("none", "settings")


def check_body(call: Call, project: Project, check: CheckConfiguration, *, settings: bool) -> dict[str, Any]:
    """A CheckConfiguration: what the client sent and what the server fills."""
    records = call.directory.records_of(call.org.name)
    body = copy.deepcopy(check.document)
    if not settings:
        body.pop("settings", None)
    resource = body["resource"]
    resource["name"] = checks.resource_name(
        records, project, resource["type"], resource["id"]
    ) or resource.get("name")
    url = f"{call.collection}{project.id}/_apis/pipelines/checks/configurations/{check.id}"
    return body | {
        "createdBy": check.created_by,
        "createdOn": timestamp(check.created),
        "modifiedBy": check.modified_by,
        "modifiedOn": timestamp(check.modified),
        "_links": {"self": {"href": url}},
        "id": check.id,
        "version": check.version,
        "url": url,
    }


def _preview(call: Call) -> None:
    """The service's refusal of a preview resource asked for without ``-preview``."""
    if "-preview" not in call.version.lower():
        raise devops_error(
            400,
            "VssInvalidPreviewVersionException",
            f'The requested version "{call.version}" of the resource is under preview. The -preview flag '
            f'must be supplied in the api-version for such requests. For example: "{call.version}-preview"',
        )


def _settings(request: Request) -> bool:
    value = request.query_params.get("$expand", "none")
    wanted = next((e for e in EXPANDS if e.lower() == value.strip().lower()), None)
    if wanted is None:
        raise devops_error(
            400, "InvalidQueryParameterException", f"The value '{value}' of parameter '$expand' is not valid."
        )
    return wanted == "settings"


def _project(request: Request, call: Call) -> Project:
    _preview(call)
    return call.directory.project_or_404(call.org.name, request.path_params["project"])


@api(CONFIGURATIONS)
async def add_check(request: Request, call: Call) -> Response:
    project = _project(request, call)
    body = await body_object(request)
    records = call.directory.records_of(call.org.name)
    made = checks.add(records, project, body, call.caller, call.directory.devops.clock.now())
    return answer(check_body(call, project, made, settings=True), call)


@api(CONFIGURATIONS)
async def list_checks(request: Request, call: Call) -> Response:
    project = _project(request, call)
    settings = _settings(request)
    q = request.query_params
    wanted = [(q.get("resourceType") or None, q.get("resourceId") or None)]
    found = checks.on_resources(call.directory.records_of(call.org.name), project.id, wanted)
    return collection([check_body(call, project, c, settings=settings) for c in found], call)


@api(CONFIGURATIONS)
async def get_check(request: Request, call: Call) -> Response:
    project = _project(request, call)
    settings = _settings(request)
    records = call.directory.records_of(call.org.name)
    found = checks.existing(records, project.id, path_number(request, "check_id"))
    return answer(check_body(call, project, found, settings=settings), call)


@api(CONFIGURATIONS)
async def update_check(request: Request, call: Call) -> Response:
    project = _project(request, call)
    body = await body_object(request)
    records = call.directory.records_of(call.org.name)
    check_id = path_number(request, "check_id")
    changed = checks.update(records, project, check_id, body, call.caller, call.directory.devops.clock.now())
    return answer(check_body(call, project, changed, settings=True), call)


@api(CONFIGURATIONS)
async def delete_check(request: Request, call: Call) -> Response:
    project = _project(request, call)
    checks.delete(call.directory.records_of(call.org.name), project.id, path_number(request, "check_id"))
    return Response(status_code=204)


async def _resources(request: Request) -> list[tuple[str | None, str | None]]:
    """The query's body: a JSON array of Resource (``type`` and ``id`` each)."""
    raw = await request.body()
    try:
        given = json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise devops_error(400, "VssRequestContentException", f"The request body is not JSON: {exc}") from exc
    if not isinstance(given, list) or not all(
        isinstance(r, dict) and r.get("type") and r.get("id") for r in given
    ):
        raise checks.bad("Value cannot be null.\r\nParameter name: resources", "ArgumentNullException")
    return [(str(r["type"]), str(r["id"])) for r in given]


@api(QUERY_CONFIGURATIONS)
async def query_checks(request: Request, call: Call) -> Response:
    project = _project(request, call)
    settings = _settings(request)
    wanted = await _resources(request)
    found = checks.on_resources(call.directory.records_of(call.org.name), project.id, wanted)
    return collection([check_body(call, project, c, settings=settings) for c in found], call)


def routes() -> list[BaseRoute]:
    base = "/{org}/{project}/_apis/pipelines/checks"
    return [
        Route(f"{base}/configurations", add_check, methods=["POST"]),
        Route(f"{base}/configurations", list_checks, methods=["GET"]),
        Route(base + "/configurations/{check_id}", get_check, methods=["GET"]),
        Route(base + "/configurations/{check_id}", update_check, methods=["PATCH"]),
        Route(base + "/configurations/{check_id}", delete_check, methods=["DELETE"]),
        Route(f"{base}/queryconfigurations", query_checks, methods=["POST"]),
    ]
