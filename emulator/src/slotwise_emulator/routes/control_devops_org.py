"""The control plane's Azure DevOps organization section, under ``/_emulator/devops/`` on the ARM host.

What a test, the demo or a user stands up in an organization before a client resolves names against
it: users, project groups, personal access tokens, agent queues, build definitions and completed
builds, variable groups, extensions installed from a .vsix (the body is the .vsix itself), the
server the emulator answers as, and the seed. JSON in and out (errors ``{"Message"}`` like the rest of
the control plane); every endpoint is in emulator/README.md. The rules are in ``backends/devops_org.py``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends import devops_library, devops_tasks
from slotwise_emulator.backends.devops_records import (
    Build,
    BuildDefinition,
    Member,
    VariableGroup,
    build_artifacts,
)
from slotwise_emulator.errors import ServiceError
from slotwise_emulator.routes._common import backends
from slotwise_emulator.routes.control_devops import _body, _text
from slotwise_emulator.routes.control_devops import _error as _plain_error


def _error(exc: Exception) -> ServiceError:
    """A control-plane error (``{"Message"}``), also for what the organization's rules refused."""
    if isinstance(exc, ServiceError):
        code = "NotFound" if exc.status == 404 else "BadRequest"
        return ServiceError(exc.status, code, exc.message, shape="kudu")
    return _plain_error(exc)


def member_summary(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "kind": member.kind,
        "displayName": member.display_name,
        "uniqueName": member.unique_name,
        "members": list(member.members),
    }


def definition_summary(definition: BuildDefinition) -> dict[str, Any]:
    return {
        "id": definition.id,
        "name": definition.name,
        "projectId": definition.project_id,
        "queueId": definition.queue_id,
        "path": definition.path,
    }


def build_summary(build: Build) -> dict[str, Any]:
    return {
        "id": build.id,
        "definitionId": build.definition_id,
        "buildNumber": build.build_number,
        "sourceBranch": build.source_branch,
        "sourceVersion": build.source_version,
        "artifacts": {name: sorted(files) for name, files in build_artifacts(build).items()},
        "status": build.status,
        "result": build.result,
    }


def group_summary(group: VariableGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "projectIds": list(group.project_ids),
        "variables": sorted(group.variables),
    }


def variables_body(values: Any) -> dict[str, Any]:
    """``{"name": "value"}`` or ``{"name": {"value", "isSecret"}}`` as VariableValues."""
    if not isinstance(values, dict):
        raise ValueError("variables must be an object")
    return {k: v if isinstance(v, dict) else {"value": str(v)} for k, v in values.items()}


async def create_user(request: Request) -> Response:
    body = await _body(request)
    directory = backends(request).devops.directory
    try:
        member = directory.create_user(
            request.path_params["org"], _text(body, "email") or "", _text(body, "displayName")
        )
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse(member_summary(member), status_code=201)


async def create_group(request: Request) -> Response:
    body = await _body(request)
    p = request.path_params
    members = tuple(str(m) for m in body.get("members", []) or [])
    try:
        group = backends(request).devops.directory.create_group(
            p["org"], p["project"], _text(body, "name") or "", members
        )
    except (KeyError, ValueError) as exc:
        raise _error(exc) from exc
    return JSONResponse(member_summary(group), status_code=201)


async def issue_pat(request: Request) -> Response:
    body = await _body(request)
    directory = backends(request).devops.directory
    try:
        pat = directory.issue_pat(
            request.path_params["org"], _text(body, "user") or "", _text(body, "name") or "slotwise"
        )
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse({"token": pat.token, "name": pat.name, "userId": pat.user_id}, status_code=201)


async def create_queue(request: Request) -> Response:
    body = await _body(request)
    p = request.path_params
    try:
        queue = backends(request).devops.directory.create_queue(
            p["org"], p["project"], _text(body, "name") or "", _text(body, "pool")
        )
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse({"id": queue.id, "name": queue.name, "poolId": queue.pool_id}, status_code=201)


async def create_definition(request: Request) -> Response:
    body = await _body(request)
    p = request.path_params
    try:
        definition = backends(request).devops.directory.create_build_definition(
            p["org"],
            p["project"],
            _text(body, "name") or "",
            queue=_text(body, "queue") or "Azure Pipelines",
            path=_text(body, "path") or "\\",
        )
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse(definition_summary(definition), status_code=201)


async def complete_build(request: Request) -> Response:
    body = await _body(request)
    p = request.path_params
    try:
        build = backends(request).devops.directory.complete_build(
            p["org"],
            p["project"],
            p["definition"],
            build_number=_text(body, "buildNumber"),
            source_branch=_text(body, "sourceBranch") or "refs/heads/main",
            source_version=_text(body, "sourceVersion"),
            result=_text(body, "result") or "succeeded",
            tags=tuple(str(t) for t in body.get("tags", []) or []),
            artifacts=_artifact_files(body.get("artifacts")),
        )
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse(build_summary(build), status_code=201)


def _artifact_files(given: Any) -> dict[str, dict[str, bytes]]:
    """``{name: {path: base64}}`` decoded (``ValueError`` for another shape or bad base64)."""
    if given is None:
        return {}
    shape = "artifacts must be {name: {path: base64 content}}"
    if not isinstance(given, dict) or not all(isinstance(f, dict) for f in given.values()):
        raise ValueError(f"{shape}.")
    try:
        return {
            str(name): {str(path): base64.b64decode(str(data), validate=True) for path, data in files.items()}
            for name, files in given.items()
        }
    except binascii.Error as exc:
        raise ValueError(f"{shape}: {exc}.") from exc


async def create_variable_group(request: Request) -> Response:
    body = await _body(request)
    p = request.path_params
    state = backends(request)
    directory = state.devops.directory
    try:
        org = directory.organization(p["org"])
        project = directory.project_or_404(org.name, p["project"])
        admin = directory.records_of(org.name).member_named(state.seed.get("devops_admin", ""))
        group = devops_library.create(
            directory.records_of(org.name),
            org,
            {
                "name": _text(body, "name"),
                "description": _text(body, "description"),
                "variables": variables_body(body.get("variables", {})),
                "variableGroupProjectReferences": [{"projectReference": {"id": project.id}}],
            },
            admin.id if admin else "",
            state.clock.now(),
        )
    except (KeyError, ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse(group_summary(group), status_code=201)


async def install_extension(request: Request) -> Response:
    state = backends(request)
    directory = state.devops.directory
    try:
        org = directory.organization(request.path_params["org"])
        extension = devops_tasks.read_vsix(await request.body(), state.clock.now())
    except (ValueError, ServiceError) as exc:
        raise _error(exc) from exc
    devops_tasks.install(directory.records_of(org.name), extension)
    tasks = [{"id": t.id, "name": t.name, "version": ".".join(map(str, t.version))} for t in extension.tasks]
    return JSONResponse(
        {
            "publisher": extension.publisher,
            "extensionId": extension.extension_id,
            "version": extension.version,
            "tasks": tasks,
        },
        status_code=201,
    )


async def get_server(request: Request) -> Response:
    server = backends(request).devops.directory.server
    return JSONResponse(
        {"version": server.name, "label": server.label, "deploymentType": server.deployment_type}
    )


async def set_server(request: Request) -> Response:
    body = await _body(request)
    try:
        backends(request).devops.directory.set_server(_text(body, "version") or "")
    except ValueError as exc:
        raise _error(exc) from exc
    return await get_server(request)


async def seed(request: Request) -> Response:
    from slotwise_emulator.devops_seed import seed_devops  # the seed builds on the whole emulator

    summary = seed_devops(backends(request))
    return JSONResponse(summary, status_code=200)


def routes() -> list[BaseRoute]:
    base = "/_emulator/devops"
    return [
        Route(f"{base}/server", get_server, methods=["GET"]),
        Route(f"{base}/server", set_server, methods=["PUT"]),
        Route(f"{base}/seed", seed, methods=["POST"]),
        Route(base + "/{org}/users", create_user, methods=["POST"]),
        Route(base + "/{org}/pats", issue_pat, methods=["POST"]),
        Route(base + "/{org}/extensions", install_extension, methods=["POST"]),
        Route(base + "/{org}/{project}/groups", create_group, methods=["POST"]),
        Route(base + "/{org}/{project}/queues", create_queue, methods=["POST"]),
        Route(base + "/{org}/{project}/builddefinitions", create_definition, methods=["POST"]),
        Route(
            f"{base}/{{org}}/{{project}}/builddefinitions/{{definition}}/builds",
            complete_build,
            methods=["POST"],
        ),
        Route(base + "/{org}/{project}/variablegroups", create_variable_group, methods=["POST"]),
    ]
