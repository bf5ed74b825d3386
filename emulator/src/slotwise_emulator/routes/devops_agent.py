"""Wire of the emulated Azure DevOps distributed-task area: agent queues and pools, variable groups, tasks.

    GET    /{org}/{project}/_apis/distributedtask/queues?queueNames=&queueName=  -> [TaskAgentQueue]
    GET    /{org}/{project}/_apis/distributedtask/queues/{queueId}               -> TaskAgentQueue
    GET    /{org}/_apis/distributedtask/pools?poolName=                          -> [TaskAgentPool]
    GET    /{org}/_apis/distributedtask/pools/{poolId}                           -> TaskAgentPool
    GET    /{org}/{project}/_apis/distributedtask/variablegroups?groupName=&groupIds=&$top=
    GET    /{org}/{project}/_apis/distributedtask/variablegroups/{groupId}       -> VariableGroup
    POST   /{org}/_apis/distributedtask/variablegroups                           -> VariableGroup
    PUT    /{org}/_apis/distributedtask/variablegroups/{groupId}                 -> VariableGroup
    DELETE /{org}/_apis/distributedtask/variablegroups/{groupId}?projectIds=     -> 204
    GET    /{org}/_apis/distributedtask/tasks[/{taskId}]                         -> [TaskDefinition]

A secret variable is answered as ``{"isSecret": true, "value": null}``. Rules are in
``backends/devops_library.py`` and ``backends/devops_tasks.py``. Must not: keep state.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends import devops_library, devops_tasks
from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_org import name_matches
from slotwise_emulator.backends.devops_records import AgentPool, AgentQueue, TaskDefinition, VariableGroup
from slotwise_emulator.errors import devops_error
from slotwise_emulator.routes.devops_common import (
    Call,
    answer,
    api,
    body_object,
    collection,
    csv,
    number,
    path_number,
    timestamp,
)

TASK_AREA = "a85b8835-c1a1-4aac-ae97-1c3d0ba72dbd"
QUEUES = ApiLocation(
    "900fa995-c559-4923-aae7-f8424fe4fbea", "distributedtask", "queues",
    "{project}/_apis/{area}/{resource}/{queueId}", 1, min_version="3.2", area_id=TASK_AREA,
)  # fmt: skip
POOLS = ApiLocation(
    "a8c47e17-4d56-4a56-92bb-de7ea7dc65be", "distributedtask", "pools",
    "_apis/{area}/{resource}/{poolId}", 1, area_id=TASK_AREA,
)  # fmt: skip
PROJECT_VARIABLE_GROUPS = ApiLocation(
    "f5b09dd5-9d54-45a1-8b5a-1c8287d634cc", "distributedtask", "variablegroups",
    "{project}/_apis/{area}/{resource}/{groupId}", 2, min_version="3.2", area_id=TASK_AREA,
)  # fmt: skip
VARIABLE_GROUPS = ApiLocation(
    "ef5b7057-ffc3-4c77-bbad-c10b4a4abcc7", "distributedtask", "variablegroups",
    "_apis/{area}/{resource}/{groupId}", 2, min_version="5.0", area_id=TASK_AREA,
)  # fmt: skip
TASKS = ApiLocation(
    "60aac929-f0cd-4bc8-9ce4-6b30e8f1b1bd", "distributedtask", "tasks",
    "_apis/{area}/{resource}/{taskId}/{versionString}", 1, area_id=TASK_AREA,
)  # fmt: skip
LOCATIONS: tuple[ApiLocation, ...] = (QUEUES, POOLS, PROJECT_VARIABLE_GROUPS, VARIABLE_GROUPS, TASKS)
_TASK_API = "Microsoft.TeamFoundation.DistributedTask.WebApi"


def pool_body(pool: AgentPool) -> dict[str, Any]:
    return {
        "id": pool.id,
        "scope": "00000000-0000-0000-0000-000000000000",
        "name": pool.name,
        "isHosted": pool.is_hosted,
        "poolType": "automation",
        "size": 1,
        "isLegacy": False,
        "options": "none",
    }


def queue_body(call: Call, queue: AgentQueue) -> dict[str, Any]:
    """A TaskAgentQueue, with its pool."""
    pool = call.directory.records_of(call.org.name).pools[queue.pool_id]
    return {"id": queue.id, "projectId": queue.project_id, "name": queue.name, "pool": pool_body(pool)}


def group_body(call: Call, group: VariableGroup) -> dict[str, Any]:
    """A VariableGroup; secret values left out."""
    people = (group.created_by, group.modified_by)
    by = {m: call.directory.identity(call.org.name, m) or {"id": m} for m in people}
    return {
        "variables": {
            name: {"isSecret": True, "value": None}
            if v.is_secret
            else {"value": v.value} | ({"isReadOnly": True} if v.is_read_only else {})
            for name, v in group.variables.items()
        },
        "id": group.id,
        "type": group.type,
        "name": group.name,
        "description": group.description,
        "createdBy": by[group.created_by],
        "createdOn": timestamp(group.created),
        "modifiedBy": by[group.modified_by],
        "modifiedOn": timestamp(group.modified),
        "isShared": False,
        "variableGroupProjectReferences": [
            {
                "projectReference": {"id": p, "name": call.org.projects[p].name},
                "name": group.name,
                "description": group.description,
            }
            for p in group.project_ids
            if p in call.org.projects
        ],
    }


def task_body(task: TaskDefinition) -> dict[str, Any]:
    major, minor, patch = task.version
    return {
        "id": task.id,
        "name": task.name,
        "friendlyName": task.friendly_name,
        "version": {"major": major, "minor": minor, "patch": patch, "isTest": False},
        "author": task.author,
        "category": task.category,
        "description": task.description,
        "contributionIdentifier": task.contribution or None,
        "serverOwned": not task.contribution,
        "definitionType": "task",
        "visibility": ["Build", "Release"],
        "runsOn": ["Agent", "DeploymentGroup"],
    }


@api(QUEUES)
async def list_queues(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    names = {n.lower() for n in csv(request, "queueNames")}
    pattern = request.query_params.get("queueName")
    found = [
        q
        for q in call.directory.records_of(call.org.name).queues.values()
        if q.project_id == project.id
        and (not names or q.name.lower() in names)
        and name_matches(pattern, q.name)
    ]
    return collection([queue_body(call, q) for q in sorted(found, key=lambda q: q.name.lower())], call)


@api(QUEUES)
async def get_queue(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    queue = call.directory.records_of(call.org.name).queues.get(path_number(request, "queue_id"))
    if queue is None or queue.project_id != project.id:
        raise devops_error(
            404,
            "TaskAgentQueueNotFoundException",
            f"Agent queue {request.path_params['queue_id']} not found.",
            f"{_TASK_API}.TaskAgentQueueNotFoundException, {_TASK_API}",
        )
    return answer(queue_body(call, queue), call)


@api(POOLS)
async def list_pools(request: Request, call: Call) -> Response:
    pattern = request.query_params.get("poolName")
    pools = call.directory.records_of(call.org.name).pools.values()
    return collection([pool_body(p) for p in pools if name_matches(pattern, p.name)], call)


@api(POOLS)
async def get_pool(request: Request, call: Call) -> Response:
    pool = call.directory.records_of(call.org.name).pools.get(path_number(request, "pool_id"))
    if pool is None:
        raise devops_error(
            404,
            "TaskAgentPoolNotFoundException",
            f"Agent pool {request.path_params['pool_id']} not found.",
            f"{_TASK_API}.TaskAgentPoolNotFoundException, {_TASK_API}",
        )
    return answer(pool_body(pool), call)


@api(PROJECT_VARIABLE_GROUPS)
async def list_variable_groups(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    ids = {int(i) for i in csv(request, "groupIds") if i.isdigit()}
    pattern = request.query_params.get("groupName")
    found = [
        g
        for g in call.directory.records_of(call.org.name).variable_groups.values()
        if project.id in g.project_ids and (not ids or g.id in ids) and name_matches(pattern, g.name)
    ]
    descending = request.query_params.get("queryOrder", "").lower() == "iddescending"
    found.sort(key=lambda g: g.id, reverse=descending)
    return collection([group_body(call, g) for g in found[: number(request, "$top")]], call)


@api(PROJECT_VARIABLE_GROUPS)
async def get_variable_group(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    group_id = path_number(request, "group_id")
    group = devops_library.existing(call.directory.records_of(call.org.name), group_id, project.id)
    return answer(group_body(call, group), call)


@api(VARIABLE_GROUPS)
async def add_variable_group(request: Request, call: Call) -> Response:
    body = await body_object(request)
    records = call.directory.records_of(call.org.name)
    now = call.directory.devops.clock.now()
    group = devops_library.create(records, call.org, body, call.caller["id"], now)
    return answer(group_body(call, group), call)


@api(VARIABLE_GROUPS)
async def update_variable_group(request: Request, call: Call) -> Response:
    body = await body_object(request)
    records = call.directory.records_of(call.org.name)
    now = call.directory.devops.clock.now()
    group_id = path_number(request, "group_id")
    group = devops_library.update(records, call.org, group_id, body, call.caller["id"], now)
    return answer(group_body(call, group), call)


@api(VARIABLE_GROUPS)
async def delete_variable_group(request: Request, call: Call) -> Response:
    records = call.directory.records_of(call.org.name)
    group_id = path_number(request, "group_id")
    devops_library.delete(records, group_id, request.query_params.get("projectIds"), call.org)
    return Response(status_code=204)


@api(TASKS)
async def list_tasks(request: Request, call: Call) -> Response:
    wanted = str(request.path_params.get("task_id", "")).lower()
    found = devops_tasks.tasks(call.directory.records_of(call.org.name))
    return collection([task_body(t) for t in found if not wanted or t.id == wanted], call)


def routes() -> list[BaseRoute]:
    project = "/{org}/{project}/_apis/distributedtask"
    org = "/{org}/_apis/distributedtask"
    return [
        Route(f"{project}/queues", list_queues, methods=["GET"]),
        Route(project + "/queues/{queue_id}", get_queue, methods=["GET"]),
        Route(f"{org}/pools", list_pools, methods=["GET"]),
        Route(org + "/pools/{pool_id}", get_pool, methods=["GET"]),
        Route(f"{project}/variablegroups", list_variable_groups, methods=["GET"]),
        Route(project + "/variablegroups/{group_id}", get_variable_group, methods=["GET"]),
        Route(f"{org}/variablegroups", add_variable_group, methods=["POST"]),
        Route(org + "/variablegroups/{group_id}", update_variable_group, methods=["PUT"]),
        Route(org + "/variablegroups/{group_id}", delete_variable_group, methods=["DELETE"]),
        Route(f"{org}/tasks", list_tasks, methods=["GET"]),
        Route(org + "/tasks/{task_id}", list_tasks, methods=["GET"]),
    ]
