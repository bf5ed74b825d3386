"""What the emulated Azure DevOps' services ask of the organization they live in: the interface.

The organization backend (projects, build definitions, agent queues, service endpoints, identities,
variable groups, installed tasks, authentication, the server's REST API versions) implements
``OrganizationDirectory``; the release service (definitions, revisions) consumes it, so each can be
built and tested alone. ``ApiLocation`` is one REST resource as the location service (``OPTIONS
{org}/_apis``) describes it to clients: every routes module lists its own, the handshake lists them all.

Must not: know HTTP (routes do) or any service's rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ApiLocation:
    """A REST resource as clients discover it (``ApiResourceLocation``)."""

    id: str  # the location id clients look up (a GUID, lower case)
    area: str  # e.g. "Release"
    resource_name: str  # e.g. "definitions"
    route_template: str  # e.g. "{project}/_apis/{area}/{resource}/{definitionId}"
    resource_version: int
    min_version: str = "1.0"
    max_version: str = "7.1"
    released_version: str = "7.0"
    area_id: str = ""  # the resource area's id, e.g. efc2f575-36ef-48e9-b672-0c6fb4a48ac5 for Release


class OrganizationDirectory(Protocol):
    """An emulated organization's facts, as another emulated service needs them. Errors are
    ``ServiceError`` in Azure DevOps' shape."""

    def authorize(self, org: str, authorization: str | None) -> dict[str, Any]:
        """The caller's IdentityRef (``id``, ``displayName``, ``uniqueName``) for this
        ``Authorization`` header (PAT as Basic, a bearer token); a 401 ServiceError otherwise, or a
        404 when the organization does not exist."""
        ...

    def check_version(self, org: str, location: ApiLocation, requested: str | None) -> str:
        """The api-version to answer with for ``requested`` (from the query or the Accept header);
        a 400 ServiceError in the server's words when it is missing, malformed, or out of the range
        this server (Services 7.1, or Server 2022 = 7.0) and this location support."""
        ...

    def project(self, org: str, name_or_id: str) -> tuple[str, str] | None:
        """``(id, name)`` of the project, by name (case-insensitive) or id; None if unknown."""
        ...

    def task_installed(self, org: str, task_id: str, version_spec: str) -> bool:
        """Whether the organization has task ``task_id`` in a major version ``version_spec``
        (``"2.*"``) allows: a built-in task, or one of an installed extension."""
        ...

    def queue(self, org: str, project_id: str, queue_id: int) -> str | None:
        """The agent queue's name, or None if the project has no such queue."""
        ...

    def build_definition(self, org: str, project_id: str, definition_id: int) -> str | None:
        """The build definition's name, or None if the project has no such definition."""
        ...

    def service_endpoint(self, org: str, project_id: str, endpoint_id: str) -> str | None:
        """The service endpoint's name, or None if the project has no such endpoint."""
        ...

    def identity(self, org: str, identity_id: str) -> dict[str, Any] | None:
        """The identity's IdentityRef (user or group), or None."""
        ...

    def variable_group(self, org: str, project_id: str, group_id: int) -> str | None:
        """The variable group's name, or None if it is not shared with the project."""
        ...
