"""Releases at run time as raw documents: ``RawReleases``, what ``slotwise release start | status |
logs`` read and send.

Each operation sends what the ``azure-devops`` client's method sends (the release client's
``create_release``, ``get_release``, ``get_releases``, ``get_task_log``; the build client's
``get_builds``, ``get_build``; the same location ids and versions, through the client's ``_send``
via ``Connection``) and answers the JSON as sent. Definitions are read through
``devops.definitions`` (one listing per project), projects through ``devops.directory``.

Must not: choose a definition, a build or stages (``releases.starting`` does), word advice, or print.
"""

from __future__ import annotations

from typing import Any

from slotwise.devops.connect import Connection
from slotwise.devops.definitions import RawReleaseDefinitions
from slotwise.devops.directory import Directory
from slotwise.devops.errors import Call
from slotwise.devops.routes import BUILDS, RELEASES, TASK_LOG
from slotwise.errors import RemoteError

Document = dict[str, Any]

READ = "the PAT scope Release (Read), or View releases permission"
CREATE = "the PAT scope Release (Read, write, execute & manage), or Create releases permission"
BUILD_READ = "the PAT scope Build (Read)"


class RawReleases:
    """Release definitions, builds and releases of the organization ``connection`` is signed in to."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._directory = Directory(connection)
        self._definitions = RawReleaseDefinitions(connection)

    def projects(self) -> list[str]:
        """The names of the organization's projects the identity may see."""
        return [str(p["name"]) for p in self._directory.projects() if p.get("name")]

    def definitions(self, project: str) -> list[Document]:
        """Every release definition of ``project`` (with environments and artifacts)."""
        return self._definitions.list(project)

    def definition(self, project: str, definition_id: int) -> Document:
        """One release definition, whole (``NotFoundError`` when there is none)."""
        return self._definitions.get(project, definition_id)

    def builds(
        self,
        project: str,
        definition_id: int,
        *,
        number: str | None = None,
        branch: str | None = None,
        succeeded: bool = False,
        top: int | None = None,
    ) -> list[Document]:
        """The completed builds of build definition ``definition_id``, newest first: numbered
        ``number``, of ``branch``, only succeeded ones, at most ``top``."""
        query: dict[str, Any] = {
            "definitions": str(definition_id),
            "statusFilter": "completed",
            "queryOrder": "finishTimeDescending",
        }
        if number is not None:
            query["buildNumber"] = number
        if branch:
            query["branchName"] = branch
        if succeeded:
            query["resultFilter"] = "succeeded"
        if top is not None:
            query["$top"] = str(top)
        call = Call(
            f"listing the builds of build pipeline {definition_id} in project {project!r}", BUILD_READ
        )
        values = {"project": (project, "str")}
        if top is not None:  # one page is what was asked for
            answer = self._connection.send_json(BUILDS, call, "GET", route_values=values, query=query)
            items = (answer or {}).get("value") if isinstance(answer, dict) else answer
            return [i for i in items or [] if isinstance(i, dict)]
        return self._connection.read_all(BUILDS, call, values, query)

    def build(self, project: str, build_id: int) -> Document:
        """One build (``NotFoundError`` when there is none)."""
        call = Call(f"reading build {build_id} of project {project!r}", BUILD_READ)
        values = {"project": (project, "str"), "buildId": (build_id, "int")}
        return _document(self._connection.send_json(BUILDS, call, "GET", route_values=values), call, "build")

    def create(self, project: str, body: Document) -> Document:
        """``POST .../release/releases`` (ReleaseStartMetadata): the release as the service made it."""
        call = Call(f"creating a release of definition {body.get('definitionId')} in {project!r}", CREATE)
        values = {"project": (project, "str")}
        answer = self._connection.send_json(RELEASES, call, "POST", route_values=values, content=body)
        return _document(answer, call, "release")

    def release(self, project: str, release_id: int) -> Document:
        """The release with its stages (environments), their deploy steps and its artifacts."""
        call = Call(f"reading release {release_id} of project {project!r}", READ)
        values = {"project": (project, "str"), "releaseId": (release_id, "int")}
        answer = self._connection.send_json(RELEASES, call, "GET", route_values=values)
        return _document(answer, call, "release")

    def releases(self, project: str, definition_id: int, *, top: int = 1) -> list[Document]:
        """The newest ``top`` releases of definition ``definition_id`` (without their stages)."""
        call = Call(f"listing the releases of definition {definition_id} in project {project!r}", READ)
        query = {"definitionId": str(definition_id), "$top": str(top), "queryOrder": "descending"}
        answer = self._connection.send_json(
            RELEASES, call, "GET", route_values={"project": (project, "str")}, query=query
        )
        items = (answer or {}).get("value") if isinstance(answer, dict) else answer
        return [i for i in items or [] if isinstance(i, dict)]

    def task_log(
        self,
        project: str,
        release_id: int,
        stage_id: int,
        phase_id: int,
        task_id: int,
        *,
        start: int | None = None,
        end: int | None = None,
    ) -> list[str]:
        """The lines of one task's log (from line ``start`` to ``end``, 1-based, when given)."""
        call = Call(f"reading the log of task {task_id} of release {release_id} in {project!r}", READ)
        values = {
            "project": (project, "str"),
            "releaseId": (release_id, "int"),
            "environmentId": (stage_id, "int"),
            "releaseDeployPhaseId": (phase_id, "int"),
            "taskId": (task_id, "int"),
        }
        query = {
            name: str(value) for name, value in (("startLine", start), ("endLine", end)) if value is not None
        }
        response = self._connection.send(TASK_LOG, call, "GET", route_values=values, query=query)
        text = bytes(response.content or b"").decode("utf-8", errors="replace")
        return text.splitlines()


def _document(answer: Any, call: Call, what: str) -> Document:
    if not isinstance(answer, dict):
        raise RemoteError(f"Azure DevOps answered no {what} while {call.doing}.")
    return answer
