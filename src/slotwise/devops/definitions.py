"""Release definitions as raw documents: ``RawReleaseDefinitions``, slotwise's ``ReleaseDefinitions``.

Each operation sends what the ``azure-devops`` client's method sends (``get_release_definitions``,
``get_release_definition``, ``create_release_definition``, ``update_release_definition``,
``delete_release_definition``: the same location id, route values and version, through the client's
``_send``) and answers ``response.json()``: every field the server sent, including those the
client's models do not know and ``null`` ones, so an update built from a ``get`` loses nothing.

- ``list`` asks for definitions expanded with environments, artifacts, triggers, variables and tags,
  with the ``Slotwise.ManagedBy`` property, under a folder when given, following continuation tokens;
- ``update`` that the server refuses because the definition changed since it was read (its revision
  is no longer the one sent) raises ``StaleRevision``: decided by reading the definition's current
  revision after a refusal, not by the refusal's wording, which differs between servers;
- a comment goes in the document (``comment``; the server records it with the revision) and, for a
  delete, in the query as the client sends it.

Must not: compare, render or decide what to write (release/ does), or print.
"""

from __future__ import annotations

import builtins
from typing import Any

from slotwise.devops.connect import Connection
from slotwise.devops.errors import Call
from slotwise.devops.routes import DEFINITIONS
from slotwise.errors import NotFoundError, RemoteError
from slotwise.release.gateway import Document, StaleRevision
from slotwise.release.render import MANAGED_BY
from slotwise.release.stamp import APPLIED

PROPERTIES = f"{MANAGED_BY},{APPLIED}"  # the properties read: who owns it, what it last wrote

EXPAND = "environments,artifacts,triggers,variables,tags"
READ = "the PAT scope Release (Read), or View release pipeline permission"
WRITE = "the PAT scope Release (Read, write, execute & manage), or Edit release pipeline permission"
DELETE = "the PAT scope Release (Read, write, execute & manage), or Delete release pipeline permission"


class RawReleaseDefinitions:
    """The release definitions of the organization ``connection`` is signed in to."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def list(self, project: str, *, path: str | None = None) -> builtins.list[Document]:
        query: dict[str, Any] = {"$expand": EXPAND, "propertyFilters": PROPERTIES}
        if path is not None:
            query["path"] = path
        where = f" in folder {path!r}" if path is not None else ""
        call = Call(f"listing the release definitions of project {project!r}{where}", READ)
        return self._connection.read_all(DEFINITIONS, call, {"project": (project, "str")}, query)

    def get(self, project: str, definition_id: int) -> Document:
        call = Call(f"reading release definition {definition_id} of project {project!r}", READ)
        document = self._connection.send_json(
            DEFINITIONS,
            call,
            "GET",
            route_values={"project": (project, "str"), "definitionId": (definition_id, "int")},
            query={"propertyFilters": PROPERTIES},
        )
        return _document(document, call)

    def create(self, project: str, document: Document, *, comment: str) -> Document:
        call = Call(f"creating release definition {document.get('name')!r} in project {project!r}", WRITE)
        created = self._connection.send_json(
            DEFINITIONS,
            call,
            "POST",
            route_values={"project": (project, "str")},
            content={**document, "comment": comment},
        )
        return _document(created, call)

    def update(self, project: str, document: Document, *, comment: str) -> Document:
        definition_id = int(document["id"])
        call = Call(
            f"updating release definition {document.get('name')!r} ({definition_id}) in {project!r}", WRITE
        )
        try:
            updated = self._connection.send_json(
                DEFINITIONS,
                call,
                "PUT",
                route_values={"project": (project, "str")},
                content={**document, "comment": comment},
            )
        except RemoteError as refused:
            if refused.status not in (400, 409, 412) or isinstance(refused, NotFoundError):
                raise
            raise self._stale(project, document, refused) or refused from refused
        return _document(updated, call)

    def delete(self, project: str, definition_id: int, *, comment: str) -> None:
        call = Call(f"deleting release definition {definition_id} of project {project!r}", DELETE)
        self._connection.send(
            DEFINITIONS,
            call,
            "DELETE",
            route_values={"project": (project, "str"), "definitionId": (definition_id, "int")},
            query={"comment": comment},
        )

    def _stale(self, project: str, document: Document, refused: RemoteError) -> StaleRevision | None:
        """StaleRevision if the definition's revision is no longer the one ``document`` carries."""
        definition_id = int(document["id"])
        sent = document.get("revision")
        try:
            current = self.get(project, definition_id).get("revision")
        except RemoteError:
            return None  # the refusal itself is the better message
        if current == sent:
            return None
        return StaleRevision(
            f"Release definition {document.get('name')!r} ({definition_id}) in project {project!r} was "
            f"changed since it was read: revision {sent} was sent, it is now at revision {current}. "
            f"(The server's answer: {refused.message})",
            definition_id=definition_id,
        )


def _document(answer: Any, call: Call) -> Document:
    if not isinstance(answer, dict):
        raise RemoteError(f"Azure DevOps answered no release definition while {call.doing}.")
    return answer
