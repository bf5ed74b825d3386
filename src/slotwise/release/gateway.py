"""What ``release plan``/``apply``/``export`` need of an Azure DevOps organization: the interface.

Plan, apply and export work on *raw* ReleaseDefinition documents (``dict``, camelCase, exactly as the
REST API sends them): the ``azure-devops`` client's models drop fields they do not know and ``None``
values, and an update built from them would erase what the portal set. The implementation
(``slotwise.devops``) talks to Azure DevOps through the ``azure-devops`` client and keeps every field
the server sent; fakes implement the same protocols in tests.

Must not: know how documents are rendered or compared (``release.render``/``release.diff`` do), or
print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from slotwise.errors import ConflictError
from slotwise.release.resolve import Reference, Resolver

Document = dict[str, Any]


class StaleRevision(ConflictError):
    """An update carried a revision that is no longer the definition's latest: someone changed it
    since it was read. ``definition_id`` says which one."""

    default_hint = "Run `slotwise release plan` again to see what changed, then apply again (or --force)."

    def __init__(self, message: str, *, definition_id: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, status=400)
        self.definition_id = definition_id


@dataclass(frozen=True)
class Server:
    """What the organization's server is: detected, never configured."""

    url: str  # the organization (collection) URL, e.g. https://dev.azure.com/contoso/
    api_version: str  # the newest REST API version it speaks, "7.1" (Services) or "7.0" (Server 2022)
    hosted: bool  # Azure DevOps Services (True) or Azure DevOps Server (False)


class ReleaseDefinitions(Protocol):
    """The release definitions of one organization, as raw documents."""

    def list(self, project: str, *, path: str | None = None) -> list[Document]:
        """Every definition of ``project`` (under folder ``path`` and its subfolders when given), read in
        bulk (one request, or one per page): each expanded with its environments, artifacts, triggers,
        variables and tags, and with its ``properties`` (at least ``Slotwise.ManagedBy``). A listed
        document may lack fields a ``get`` returns; compare with a ``get`` before writing."""
        ...

    def get(self, project: str, definition_id: int) -> Document:
        """The whole definition, every field the server sent. NotFoundError when it is gone."""
        ...

    def create(self, project: str, document: Document, *, comment: str) -> Document:
        """Create it; answers the stored definition (with ``id`` and ``revision``)."""
        ...

    def update(self, project: str, document: Document, *, comment: str) -> Document:
        """Replace the definition ``document["id"]``; the document carries the ``revision`` it was
        based on. StaleRevision when that is no longer the latest. Answers the stored definition."""
        ...

    def delete(self, project: str, definition_id: int, *, comment: str) -> None:
        """Delete it (its releases must allow it: the server refuses otherwise, RemoteError)."""
        ...


class Names(Protocol):
    """Ids of an organization's objects back to the names a spec uses (what ``release export``
    needs), read in bulk; None when an id is unknown."""

    def project(self, project_id: str) -> str | None: ...

    def queue(self, project: str, queue_id: int) -> str | None: ...

    def service_endpoint(self, project: str, endpoint_id: str) -> str | None: ...

    def build_definition(self, project: str, definition_id: int) -> str | None:
        """``project``: the build definition's own project (an artifact may name another one)."""
        ...

    def identity(self, identity_id: str) -> str | None:
        """A user's unique name (e-mail), or a group's ``[Project]\\Group`` name."""
        ...

    def variable_group(self, project: str, group_id: int) -> str | None: ...


class Organization(Protocol):
    """One Azure DevOps organization, connected and authenticated."""

    @property
    def server(self) -> Server: ...

    @property
    def definitions(self) -> ReleaseDefinitions: ...

    def resolver(self, references: Sequence[Reference]) -> Resolver:
        """A resolver for these names, read in bulk now (a few requests per project, not one per
        name); names not found raise SpecInvalid from the resolver's methods, at their Location,
        with near matches. ``environment`` values (``fromEnv``) are read from the environment the
        organization was opened with."""
        ...

    def names(self, project: str) -> Names:
        """Names of ``project``'s objects (and the organization's identities), read in bulk."""
        ...
