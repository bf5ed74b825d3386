"""Wire of the emulated Azure DevOps Build area: build definitions and their builds (read only).

    GET /{org}/{project}/_apis/build/definitions?name=&definitionIds=&path=&$top=
                                                                  -> [BuildDefinitionReference]
    GET /{org}/{project}/_apis/build/definitions/{definitionId}                   -> BuildDefinition
    GET /{org}/{project}/_apis/build/builds?definitions=&statusFilter=&resultFilter=&branchName=&$top=
                                                                                  -> [Build], newest first
    GET /{org}/{project}/_apis/build/builds/{buildId}                             -> Build
    GET /{org}/{project}/_apis/build/builds/{buildId}/artifacts                   -> [BuildArtifact]

Definitions and builds are made by the control plane (``/_emulator/devops/...``), not through here.
Must not: keep state or authenticate itself (``devops_common.api`` does).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_org import name_matches
from slotwise_emulator.backends.devops_records import AgentQueue, Build, BuildDefinition, build_artifacts
from slotwise_emulator.errors import devops_error
from slotwise_emulator.routes.devops_common import (
    Call,
    answer,
    api,
    collection,
    csv,
    number,
    path_number,
    project_ref,
    timestamp,
)

BUILD_AREA = "965220d5-5bb9-42cf-8d67-9b146df2a5a4"
DEFINITIONS = ApiLocation(
    "dbeaf647-6167-421a-bda9-c9327b25e2e6", "build", "Definitions",
    "{project}/_apis/build/{resource}/{definitionId}", 7, min_version="2.0", area_id=BUILD_AREA,
)  # fmt: skip
BUILDS = ApiLocation(
    "0cd358e1-9217-4d94-8269-1c1ee6f93dcf", "build", "Builds",
    "{project}/_apis/build/{resource}/{buildId}", 7, min_version="2.0", area_id=BUILD_AREA,
)  # fmt: skip
ARTIFACTS = ApiLocation(
    "1db06c96-014e-44e1-ac91-90b2d4b3e984", "build", "artifacts",
    "{project}/_apis/build/builds/{buildId}/{resource}", 5, min_version="2.0", area_id=BUILD_AREA,
)  # fmt: skip
LOCATIONS: tuple[ApiLocation, ...] = (DEFINITIONS, BUILDS, ARTIFACTS)
_BUILD = "Microsoft.TeamFoundation.Build.WebApi"


def queue_ref(call: Call, queue: AgentQueue) -> dict[str, Any]:
    """An AgentPoolQueue: how the build area writes a definition's or a build's queue."""
    pool = call.directory.records_of(call.org.name).pools[queue.pool_id]
    url = f"{call.collection}_apis/build/Queues/{queue.id}"
    return {
        "_links": {"self": {"href": url}},
        "id": queue.id,
        "name": queue.name,
        "url": url,
        "pool": {"id": pool.id, "name": pool.name, "isHosted": pool.is_hosted},
    }


def definition_ref(call: Call, definition: BuildDefinition) -> dict[str, Any]:
    """A BuildDefinitionReference."""
    url = f"{call.collection}{definition.project_id}/_apis/build/Definitions/{definition.id}"
    queue = call.directory.records_of(call.org.name).queues.get(definition.queue_id)
    return {
        "_links": {"self": {"href": url}},
        "quality": "definition",
        "authoredBy": call.caller,
        "queue": queue_ref(call, queue) if queue else None,
        "id": definition.id,
        "name": definition.name,
        "url": f"{url}?revision={definition.revision}",
        "uri": f"vstfs:///Build/Definition/{definition.id}",
        "path": definition.path,
        "type": "build",
        "queueStatus": "enabled",
        "revision": definition.revision,
        "createdDate": timestamp(definition.created),
        "project": project_ref(call, definition.project_id),
    }


def build_body(call: Call, build: Build) -> dict[str, Any]:
    """A Build (completed)."""
    records = call.directory.records_of(call.org.name)
    definition = records.definitions[build.definition_id]
    queue = records.queues.get(definition.queue_id)
    requester = call.directory.identity(call.org.name, build.requested_for) or call.caller
    url = f"{call.collection}{build.project_id}/_apis/build/Builds/{build.id}"
    return {
        "_links": {"self": {"href": url}},
        "id": build.id,
        "buildNumber": build.build_number,
        "status": build.status,
        "result": build.result,
        "queueTime": timestamp(build.queue_time),
        "startTime": timestamp(build.queue_time + 5),
        "finishTime": timestamp(build.finish_time),
        "url": url,
        "definition": {
            key: value
            for key, value in definition_ref(call, definition).items()
            if key not in ("_links", "quality", "authoredBy", "queue", "createdDate")
        },
        "project": project_ref(call, build.project_id),
        "uri": f"vstfs:///Build/Build/{build.id}",
        "sourceBranch": build.source_branch,
        "sourceVersion": build.source_version,
        "queue": queue_ref(call, queue) if queue else None,
        "priority": "normal",
        "reason": "manual",
        "requestedFor": requester,
        "requestedBy": requester,
        "lastChangedDate": timestamp(build.finish_time),
        "lastChangedBy": requester,
        "repository": {"id": definition.project_id, "type": "TfsGit", "name": definition.name, "clean": None},
        "retainedByRelease": False,
        "tags": list(build.tags),
    }


@api(DEFINITIONS)
async def list_definitions(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    wanted_ids = {int(i) for i in csv(request, "definitionIds") if i.isdigit()}
    path = request.query_params.get("path")
    found = [
        d
        for d in call.directory.records_of(call.org.name).definitions.values()
        if d.project_id == project.id
        and name_matches(request.query_params.get("name"), d.name)
        and (not wanted_ids or d.id in wanted_ids)
        and (path is None or d.path.lower() == path.lower())
    ]
    found.sort(key=lambda d: d.name.lower())
    top = number(request, "$top")
    return collection([definition_ref(call, d) for d in found[:top]], call)


@api(DEFINITIONS)
async def get_definition(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    definition_id = path_number(request, "definition_id")
    definition = call.directory.records_of(call.org.name).definitions.get(definition_id)
    if definition is None or definition.project_id != project.id:
        raise devops_error(
            404,
            "DefinitionNotFoundException",
            f"The requested build definition {definition_id} cannot be found.",
            f"{_BUILD}.DefinitionNotFoundException, {_BUILD}",
        )
    body = definition_ref(call, definition)
    body |= {
        "triggers": [],
        "variables": {},
        "process": {"phases": [], "type": 1},
        "repository": {"id": definition.project_id, "type": "TfsGit", "name": definition.name,
                       "defaultBranch": "refs/heads/main"},
        "jobAuthorizationScope": "projectCollection",
    }  # fmt: skip
    return answer(body, call)


@api(BUILDS)
async def list_builds(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    definitions = {int(i) for i in csv(request, "definitions") if i.isdigit()}
    status = request.query_params.get("statusFilter", "").lower()
    results = {r.lower() for r in csv(request, "resultFilter")}
    branch = request.query_params.get("branchName")
    number_filter = request.query_params.get("buildNumber")
    found = [
        b
        for b in call.directory.records_of(call.org.name).builds.values()
        if b.project_id == project.id
        and (not definitions or b.definition_id in definitions)
        and (status in ("", "all") or b.status.lower() in status.split(","))
        and (not results or b.result.lower() in results)
        and (branch is None or b.source_branch.lower() == branch.lower())
        and name_matches(number_filter, b.build_number)
    ]
    ascending = request.query_params.get("queryOrder", "").lower().endswith("ascending")
    found.sort(key=lambda b: (b.finish_time, b.id), reverse=not ascending)
    top = number(request, "$top")
    return collection([build_body(call, b) for b in found[:top]], call)


def _build(request: Request, call: Call) -> Build:
    project = call.directory.project_or_404(call.org.name, request.path_params["project"])
    build_id = path_number(request, "build_id")
    build = call.directory.records_of(call.org.name).builds.get(build_id)
    if build is None or build.project_id != project.id:
        raise devops_error(
            404,
            "BuildNotFoundException",
            f"The requested build {build_id} could not be found.",
            f"{_BUILD}.BuildNotFoundException, {_BUILD}",
        )
    return build


@api(BUILDS)
async def get_build(request: Request, call: Call) -> Response:
    return answer(build_body(call, _build(request, call)), call)


def artifact_body(call: Call, build: Build, index: int, name: str, files: dict[str, bytes]) -> dict[str, Any]:
    """A BuildArtifact published to the build's file container (``resource.type`` ``Container``)."""
    container = 1000 + build.id  # the emulator's: one file container per build
    base = f"{call.collection}{build.project_id}/_apis/build/builds/{build.id}/artifacts"
    url = f"{base}?artifactName={quote(name)}"
    return {
        "id": index,
        "name": name,
        "source": str(uuid.uuid5(uuid.NAMESPACE_URL, f"build/{build.id}/job")),
        "resource": {
            "type": "Container",
            "data": f"#/{container}/{name}",
            "properties": {"localpath": f"/{name}", "artifactsize": str(sum(len(f) for f in files.values()))},
            "url": f"{url}&api-version={call.version or '7.1'}",
            "downloadUrl": f"{url}&api-version={call.version or '7.1'}&%24format=zip",
        },
    }


@api(ARTIFACTS)
async def list_artifacts(request: Request, call: Call) -> Response:
    """The artifacts the build published (``complete_build(..., artifacts=)``), by name. Their files are
    what a release job downloads; the zip download itself is not served."""
    build = _build(request, call)
    published = sorted(build_artifacts(build).items())
    return collection([artifact_body(call, build, i + 1, n, f) for i, (n, f) in enumerate(published)], call)


def routes() -> list[BaseRoute]:
    base = "/{org}/{project}/_apis/build"
    return [
        Route(f"{base}/definitions", list_definitions, methods=["GET"]),
        Route(base + "/definitions/{definition_id}", get_definition, methods=["GET"]),
        Route(f"{base}/builds", list_builds, methods=["GET"]),
        Route(base + "/builds/{build_id}", get_build, methods=["GET"]),
        Route(base + "/builds/{build_id}/artifacts", list_artifacts, methods=["GET"]),
    ]
