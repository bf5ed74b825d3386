"""Wire of the emulated pipeline environments (distributed-task area, ``distributedTask-7.1`` document):

    POST   /{org}/{project}/_apis/distributedtask/environments                    -> EnvironmentInstance
    GET    /{org}/{project}/_apis/distributedtask/environments?name=&$top=&continuationToken=
                                       -> {count, value: [EnvironmentInstance]} (+ X-MS-ContinuationToken)
    GET    /{org}/{project}/_apis/distributedtask/environments/{environmentId}?expands=
    PATCH  /{org}/{project}/_apis/distributedtask/environments/{environmentId}    -> EnvironmentInstance
    DELETE /{org}/{project}/_apis/distributedtask/environments/{environmentId}    -> 204

The location id and resource are the azure-devops client's (``task_agent_client.py``, which asks for
7.1-preview.1; the document says 7.1: both are accepted). ``expands=resourceReferences`` adds the
environment's resources (none are emulated: ``[]``). Rules: ``backends/devops_environments.py``.
Must not: keep state.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends import devops_environments as environments
from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_records import Environment
from slotwise_emulator.errors import devops_error
from slotwise_emulator.routes.devops_common import (
    Call,
    answer,
    api,
    body_object,
    collection,
    number,
    path_number,
    timestamp,
)

TASK_AREA = "a85b8835-c1a1-4aac-ae97-1c3d0ba72dbd"
ENVIRONMENTS = ApiLocation(
    "8572b1fc-2482-47fa-8f74-7e3ed53ee54b", "distributedtask", "environments",
    "{project}/_apis/{area}/{resource}/{environmentId}", 1, min_version="5.0", area_id=TASK_AREA,
)  # fmt: skip
LOCATIONS: tuple[ApiLocation, ...] = (ENVIRONMENTS,)
EXPANDS = ("none", "resourceReferences")


def environment_body(call: Call, environment: Environment, *, resources: bool = False) -> dict[str, Any]:
    """An EnvironmentInstance."""
    project = call.org.projects[environment.project_id]
    body: dict[str, Any] = {
        "id": environment.id,
        "name": environment.name,
        "description": environment.description,
        "createdBy": environment.created_by,
        "createdOn": timestamp(environment.created),
        "lastModifiedBy": environment.modified_by,
        "lastModifiedOn": timestamp(environment.modified),
        "project": {"id": project.id, "name": project.name},
    }
    return body | ({"resources": []} if resources else {})


def _expands(request: Request) -> bool:
    value = request.query_params.get("expands", "none")
    wanted = next((e for e in EXPANDS if e.lower() == value.strip().lower()), None)
    if wanted is None:
        raise devops_error(
            400, "InvalidQueryParameterException", f"The value '{value}' of parameter 'expands' is not valid."
        )
    return wanted != "none"


@api(ENVIRONMENTS)
async def add_environment(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    body = await body_object(request)
    records = call.directory.records_of(call.org.name)
    now = call.directory.devops.clock.now()
    made = environments.create(records, project.id, body, call.caller, now)
    return answer(environment_body(call, made), call)


@api(ENVIRONMENTS)
async def list_environments(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    records = call.directory.records_of(call.org.name)
    q = request.query_params
    page = environments.listed(
        records, project.id, q.get("name"), number(request, "$top"), q.get("continuationToken")
    )
    return collection([environment_body(call, e) for e in page.items], call, page.continuation)


@api(ENVIRONMENTS)
async def get_environment(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    expanded = _expands(request)
    records = call.directory.records_of(call.org.name)
    found = environments.existing(records, project.id, path_number(request, "environment_id"))
    return answer(environment_body(call, found, resources=expanded), call)


@api(ENVIRONMENTS)
async def update_environment(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    body = await body_object(request)
    records = call.directory.records_of(call.org.name)
    now = call.directory.devops.clock.now()
    environment_id = path_number(request, "environment_id")
    changed = environments.update(records, project.id, environment_id, body, call.caller, now)
    return answer(environment_body(call, changed), call)


@api(ENVIRONMENTS)
async def delete_environment(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    records = call.directory.records_of(call.org.name)
    environments.delete(records, project.id, path_number(request, "environment_id"))
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    base = "/{org}/{project}/_apis/distributedtask/environments"
    return [
        Route(base, add_environment, methods=["POST"]),
        Route(base, list_environments, methods=["GET"]),
        Route(base + "/{environment_id}", get_environment, methods=["GET"]),
        Route(base + "/{environment_id}", update_environment, methods=["PATCH"]),
        Route(base + "/{environment_id}", delete_environment, methods=["DELETE"]),
    ]
