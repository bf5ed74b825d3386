"""Wire of the emulated Azure DevOps Core area: projects.

    GET /{org}/_apis/projects?$top=&continuationToken=&stateFilter=  -> [TeamProjectReference]
    GET /{org}/_apis/projects/{projectId}                           -> TeamProject (by name or id)

Pages: ``$top`` projects per answer, ``X-MS-ContinuationToken`` (how many were skipped) when more are
left, which ``continuationToken`` takes back. Projects are listed by name.

Must not: keep state or authenticate itself (``devops_common.api`` does).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.routes.devops_common import Call, answer, api, collection, number, project_ref

CORE_AREA = "79134c72-4a58-4b42-976c-04e7115f32bf"
PROJECTS = ApiLocation(
    "603fe2ac-9723-48b9-88ad-09305aa6c6e1", "core", "projects", "_apis/{resource}/{*projectId}", 4,
    area_id=CORE_AREA,
)  # fmt: skip
LOCATIONS: tuple[ApiLocation, ...] = (PROJECTS,)


@api(PROJECTS)
async def list_projects(request: Request, call: Call) -> Response:
    state = request.query_params.get("stateFilter", "wellFormed")
    projects = sorted(call.org.projects.values(), key=lambda p: p.name.lower())
    if state.lower() not in ("wellformed", "all"):
        projects = []
    skip = number(request, "continuationToken", 0) or 0
    skip += number(request, "$skip", 0) or 0
    top = number(request, "$top")
    page = projects[skip : skip + top] if top is not None else projects[skip:]
    more = top is not None and skip + top < len(projects)
    return collection(
        [project_ref(call, p.id) for p in page], call, continuation=str(skip + len(page)) if more else None
    )


@api(PROJECTS)
async def get_project(request: Request, call: Call) -> Response:
    project = call.directory.project_or_404(call.org.name, request.path_params["project_id"])
    body = {
        **project_ref(call, project.id),
        "description": "",
        "_links": {
            "self": {"href": f"{call.collection}_apis/projects/{project.id}"},
            "collection": {"href": f"{call.collection}_apis/projectCollections/{call.org.id}"},
            "web": {"href": f"{call.collection}{project.name}"},
        },
        "defaultTeam": {
            "id": project.id,
            "name": f"{project.name} Team",
            "url": f"{call.collection}_apis/projects/{project.id}/teams/{project.id}",
        },
    }
    if request.query_params.get("includeCapabilities", "").lower() == "true":
        body["capabilities"] = {
            "versioncontrol": {"sourceControlType": "Git", "gitEnabled": "True", "tfvcEnabled": "False"},
            "processTemplate": {
                "templateName": "Agile",
                "templateTypeId": "adcc42ab-9882-485e-a3ed-7678f01f66bc",
            },
        }
    return answer(body, call)


def routes() -> list[BaseRoute]:
    return [
        Route("/{org}/_apis/projects", list_projects, methods=["GET"]),
        Route("/{org}/_apis/projects/{project_id}", get_project, methods=["GET"]),
    ]
