"""YAML pipelines' environments and their check configurations as raw documents: ``RawEnvironments``
and ``RawChecks``, slotwise's ``release.environments.Environments`` and ``Checks``.

Each operation sends what the ``azure-devops`` client's method sends (``get_environments``,
``add_environment``, ``update_environment``; ``get_check_configurations_on_resource`` with
``$expand=settings``, ``add_check_configuration``, ``update_check_configuration``: the same location
id, route values and version, through the client's ``_send``) and answers ``response.json()``: the
client's ``CheckConfiguration`` model has no ``settings``, so its deserialized answer would lose what a
check is about. Errors are translated once, by ``devops.connect`` (``devops.errors``).

Must not: decide what to write (``release.environments_plan`` does), or print.
"""

from __future__ import annotations

import builtins
from typing import Any

from slotwise.devops.connect import Connection
from slotwise.devops.errors import Call
from slotwise.devops.routes import CHECK_CONFIGURATIONS, ENVIRONMENTS
from slotwise.errors import RemoteError
from slotwise.release.environments import ENVIRONMENT, Document

READ = "the PAT scope Environment (Read & manage) or User permission on the environments"
WRITE = (
    "the PAT scope Environment (Read & manage), and the Creator role on environments (Administrator to "
    "change one)"
)
CHECKS_READ = "the PAT scope Environment (Read & manage), and the User role on the environment"
CHECKS_WRITE = "the PAT scope Environment (Read & manage), and the Administrator role on the environment"


class RawEnvironments:
    """The environments of the organization ``connection`` is signed in to."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def list(self, project: str) -> builtins.list[Document]:
        call = Call(f"listing the environments of project {project!r}", READ)
        return self._connection.read_all(ENVIRONMENTS, call, {"project": (project, "str")}, {})

    def create(self, project: str, name: str, description: str) -> Document:
        call = Call(f"creating environment {name!r} in project {project!r}", WRITE)
        created = self._connection.send_json(
            ENVIRONMENTS,
            call,
            "POST",
            route_values={"project": (project, "str")},
            content={"name": name, "description": description},
        )
        return _document(created, call)

    def update(self, project: str, environment_id: int, name: str, description: str) -> Document:
        call = Call(f"updating environment {name!r} ({environment_id}) in project {project!r}", WRITE)
        updated = self._connection.send_json(
            ENVIRONMENTS,
            call,
            "PATCH",
            route_values={"project": (project, "str"), "environmentId": (environment_id, "int")},
            content={"name": name, "description": description},
        )
        return _document(updated, call)


class RawChecks:
    """The check configurations on a project's environments."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def list(self, project: str, environment_id: int) -> builtins.list[Document]:
        call = Call(f"listing the checks of environment {environment_id} in project {project!r}", CHECKS_READ)
        query = {"resourceType": ENVIRONMENT, "resourceId": str(environment_id), "$expand": "settings"}
        return self._connection.read_all(CHECK_CONFIGURATIONS, call, {"project": (project, "str")}, query)

    def create(self, project: str, document: Document) -> Document:
        kind = (document.get("type") or {}).get("name")
        target = (document.get("resource") or {}).get("name")
        call = Call(f"adding a {kind} check to environment {target!r} in project {project!r}", CHECKS_WRITE)
        created = self._connection.send_json(
            CHECK_CONFIGURATIONS, call, "POST", route_values={"project": (project, "str")}, content=document
        )
        return _document(created, call)

    def update(self, project: str, check_id: int, document: Document) -> Document:
        kind = (document.get("type") or {}).get("name")
        call = Call(f"updating the {kind} check {check_id} in project {project!r}", CHECKS_WRITE)
        updated = self._connection.send_json(
            CHECK_CONFIGURATIONS,
            call,
            "PATCH",
            route_values={"project": (project, "str"), "id": (check_id, "int")},
            content=document,
        )
        return _document(updated, call)


def _document(answer: Any, call: Call) -> Document:
    if not isinstance(answer, dict):
        raise RemoteError(f"Azure DevOps answered nothing usable while {call.doing}.")
    return answer
