"""What an organization holds, read in bulk and kept: ``Directory``, and ``DirectoryNames`` (ids back to
names, slotwise's ``Names`` for ``release export``).

One listing per kind and project (projects; per project its agent queues, service endpoints, build
definitions, variable groups; the organization's task definitions and, for near matches, its users
and groups), each read once, the first time it is asked for, every page of it; identities are looked
up per name or id (``identities?searchFilter=General&filterValue=``, ``identities?identityIds=``).
Items are the raw JSON the server sent.

Must not: decide what a missing name means (``devops.resolver`` does), or print.
"""

from __future__ import annotations

from typing import Any

from slotwise.devops.connect import Connection
from slotwise.devops.errors import Call
from slotwise.devops.routes import (
    BUILD_DEFINITIONS,
    GRAPH_GROUPS,
    GRAPH_USERS,
    IDENTITIES,
    PROJECTS,
    QUEUES,
    SERVICE_ENDPOINTS,
    TASKS,
    VARIABLE_GROUPS,
    Route,
)
from slotwise.errors import NotFoundError, RemoteError

Item = dict[str, Any]
PROJECT_READ = "the PAT scope Project and Team (Read)"
SCOPES = {
    QUEUES: "the PAT scope Agent Pools (Read)",
    SERVICE_ENDPOINTS: "the PAT scope Service Connections (Read)",
    BUILD_DEFINITIONS: "the PAT scope Build (Read)",
    VARIABLE_GROUPS: "the PAT scope Variable Groups (Read)",
}
WHAT = {
    QUEUES: "agent queues",
    SERVICE_ENDPOINTS: "service connections",
    BUILD_DEFINITIONS: "build pipelines",
    VARIABLE_GROUPS: "variable groups",
}
IDENTITY_READ = "the PAT scope Identity (Read)"
GRAPH_READ = "the PAT scope Graph (Read)"
TASKS_READ = "the PAT scope Agent Pools (Read)"


class Directory:
    """The organization's objects, each listing read once (``connection``'s retries and errors)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._listings: dict[tuple[Route, str], list[Item]] = {}
        self._identities: dict[str, list[Item]] = {}

    def _listing(
        self, route: Route, call: Call, project: str = "", query: dict[str, str] | None = None
    ) -> list[Item]:
        """Every item of ``route`` (in ``project`` when given), read the first time only."""
        key = (route, project.lower())
        if key not in self._listings:
            values = {"project": (project, "str")} if project else None
            self._listings[key] = self._connection.read_all(route, call, values, query)
        return self._listings[key]

    def projects(self) -> list[Item]:
        return self._listing(
            PROJECTS, Call("listing the organization's projects", PROJECT_READ), query={"$top": "500"}
        )

    def project(self, name_or_id: str) -> Item | None:
        """The project named (case-insensitively) or identified by ``name_or_id``."""
        wanted = name_or_id.lower()
        for project in self.projects():
            if wanted in (str(project.get("name", "")).lower(), str(project.get("id", "")).lower()):
                return project
        return None

    def in_project(self, route: Route, project: str) -> list[Item]:
        """Every item of ``route`` (queues, endpoints, build definitions, variable groups) in ``project``."""
        return self._listing(
            route, Call(f"listing the {WHAT[route]} of project {project!r}", SCOPES[route]), project
        )

    def tasks(self) -> list[Item]:
        return self._listing(TASKS, Call("listing the tasks installed in the organization", TASKS_READ))

    def identities(self, name: str) -> list[Item]:
        """The identities (users, groups) ``name`` finds: an e-mail, a display name, ``[Project]\\Group``."""
        key = name.lower()
        if key not in self._identities:
            call = Call(f"looking up the user or group {name!r}", IDENTITY_READ)
            query = {"searchFilter": "General", "filterValue": name, "queryMembership": "None"}
            self._identities[key] = self._connection.read_all(IDENTITIES, call, query=query)
        return self._identities[key]

    def identity(self, identity_id: str) -> Item | None:
        key = f"id:{identity_id.lower()}"
        if key not in self._identities:
            call = Call(f"looking up the identity {identity_id}", IDENTITY_READ)
            query = {"identityIds": identity_id, "queryMembership": "None"}
            try:
                self._identities[key] = self._connection.read_all(IDENTITIES, call, query=query)
            except RemoteError as error:
                if error.status != 404:
                    raise
                self._identities[key] = []
        found = [i for i in self._identities[key] if isinstance(i, dict) and i.get("id")]
        return found[0] if found else None

    def people(self) -> list[str]:
        """Every user's e-mail and display name and every group's ``[Project]\\Group`` the organization's
        graph lists (for near matches); empty where there is no graph (Azure DevOps Server)."""
        names: list[str] = []
        for route, what in ((GRAPH_USERS, "users"), (GRAPH_GROUPS, "groups")):
            if not self._connection.offers(route):
                continue
            for item in self._listing(route, Call(f"listing the organization's {what}", GRAPH_READ)):
                names += [
                    str(item[k]) for k in ("principalName", "mailAddress", "displayName") if item.get(k)
                ]
        return names


def identity_names(identity: Item) -> list[str]:
    """The names an identity answers to: its e-mail (account), display names, ``[Project]\\Group``."""
    properties = identity.get("properties") or {}
    names = [identity.get("providerDisplayName"), identity.get("customDisplayName")]
    for key in ("Account", "Mail"):
        value = properties.get(key)
        names.append(value.get("$value") if isinstance(value, dict) else value)
    return [str(n) for n in names if n]


def identity_name(identity: Item) -> str:
    """How a spec names it: a group's ``[Project]\\Group``, a user's e-mail (else display name)."""
    properties = identity.get("properties") or {}
    account = properties.get("Account")
    account = account.get("$value") if isinstance(account, dict) else account
    display = str(identity.get("providerDisplayName") or identity.get("customDisplayName") or "")
    if identity.get("isContainer") or display.startswith("["):
        return display
    return str(account or display)


def by_id(items: list[Item], wanted: object) -> str | None:
    """The name of the item whose ``id`` is ``wanted`` (compared as text, case-insensitively)."""
    text = str(wanted).lower()
    return next((str(i.get("name")) for i in items if str(i.get("id", "")).lower() == text), None)


class DirectoryNames:
    """``release.gateway.Names`` over a ``Directory``: each listing read once, when first needed."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    def project(self, project_id: str) -> str | None:
        found = self._directory.project(project_id)
        return str(found["name"]) if found else None

    def queue(self, project: str, queue_id: int) -> str | None:
        return by_id(self._directory.in_project(QUEUES, project), queue_id)

    def service_endpoint(self, project: str, endpoint_id: str) -> str | None:
        return by_id(self._directory.in_project(SERVICE_ENDPOINTS, project), endpoint_id)

    def build_definition(self, project: str, definition_id: int) -> str | None:
        """None also when ``project`` is not in this organization (a definition copied from another
        organization names the build project it had there)."""
        try:
            listed = self._directory.in_project(BUILD_DEFINITIONS, project)
        except NotFoundError:
            return None
        return by_id(listed, definition_id)

    def identity(self, identity_id: str) -> str | None:
        found = self._directory.identity(identity_id)
        return identity_name(found) if found else None

    def variable_group(self, project: str, group_id: int) -> str | None:
        return by_id(self._directory.in_project(VARIABLE_GROUPS, project), group_id)
