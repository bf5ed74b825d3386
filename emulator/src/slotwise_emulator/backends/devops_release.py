"""Emulated Azure DevOps release definitions (the vsrm ``Release`` area): state and rules.

Owns the definitions of every organization's projects, each with its full revision history (every
revision's document, who changed it, when, how, with which comment), its extended properties and its
secret variable values. Create, get, list (with the real filters, ``$expand``, ``propertyFilters``
and continuation), update (refused unless it carries the latest revision), soft delete, revisions.
Bodies are cut to the contract (``devops_release_contract.prune``) and validated
(``devops_release_rules``) against the organization, reached only through the injected
``OrganizationDirectory``. ``load`` and ``portal_edit`` are driver functions: a definition as the
portal would store it, and an edit behind a client's back.

No HTTP here: routes pass plain values (the caller's IdentityRef, ``base`` = ``https://host/{org}``).
Errors are ``ServiceError`` in Azure DevOps' shape. Picklable, like every backend.
"""

from __future__ import annotations

import copy
import fnmatch
from dataclasses import dataclass, field
from typing import Any

from slotwise_emulator.backends import devops_release_documents as documents
from slotwise_emulator.backends import devops_release_rules as rules
from slotwise_emulator.backends.devops_directory import OrganizationDirectory
from slotwise_emulator.backends.devops_release_contract import prune
from slotwise_emulator.backends.devops_release_query import ListQuery, after, matches
from slotwise_emulator.clock import Clock, iso
from slotwise_emulator.errors import ServiceError, devops_error

PORTAL = {"id": "00000000-0000-0000-0000-000000000000", "displayName": "Portal user", "uniqueName": "portal"}


@dataclass
class Revision:
    """One revision of a definition, as the history lists it and as ``revisions/{n}`` answers it."""

    document: dict[str, Any]
    change_type: str  # add | update | delete | undelete
    changed_by: dict[str, Any]
    changed_date: str
    comment: str | None = None


@dataclass
class StoredDefinition:
    id: int
    project_id: str
    history: list[Revision] = field(default_factory=list)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"$type", "$value"}
    secrets: dict[str, str] = field(default_factory=dict)  # "<envId>/<name>" or "<name>" -> value

    @property
    def current(self) -> dict[str, Any]:
        return self.history[-1].document

    @property
    def deleted(self) -> bool:
        return bool(self.current.get("isDeleted"))


@dataclass
class _Project:
    definitions: dict[int, StoredDefinition] = field(default_factory=dict)
    next_definition: int = 1
    next_step: int = 1  # stage ids and approval/deploy step ids share one counter, as in the examples


def project_not_found(project: str) -> ServiceError:
    """The core service's 404 for a project the caller cannot see."""
    return devops_error(
        404,
        "ProjectDoesNotExistWithNameException",
        f"VS800075: The project with id 'vstfs:///Classification/TeamProject/{project}' does not exist, or "
        "you do not have permission to access it.",
        "Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistWithNameException, "
        "Microsoft.TeamFoundation.Core.WebApi",
    )


def typed_properties(given: Any) -> dict[str, dict[str, Any] | None]:
    """A body's ``properties`` as the property service takes them: ``{"$type", "$value"}`` or a plain
    value (a string); ``null`` deletes the property."""
    out: dict[str, dict[str, Any] | None] = {}
    for name, value in (given or {}).items() if isinstance(given, dict) else ():
        if value is None or (isinstance(value, dict) and value.get("$value") is None):
            out[name] = None
        elif isinstance(value, dict):
            out[name] = {"$type": value.get("$type") or "System.String", "$value": value["$value"]}
        else:
            out[name] = {"$type": "System.String", "$value": value if isinstance(value, str) else str(value)}
    return out


def selected_properties(stored: dict[str, Any], filters: tuple[str, ...] | None) -> dict[str, Any]:
    """The properties ``propertyFilters`` asks for (names, ``*`` wildcards, case-insensitive); none
    without filters."""
    if not filters:
        return {}
    return {
        name: dict(value)
        for name, value in stored.items()
        if any(fnmatch.fnmatchcase(name.lower(), f.lower()) for f in filters)
    }


class ReleaseDefinitionsBackend:
    """Release definitions of every organization, by project."""

    def __init__(self, clock: Clock, directory: OrganizationDirectory) -> None:
        self._clock = clock
        self.directory = directory
        self._projects: dict[tuple[str, str], _Project] = {}  # by (org lower-cased, project id)

    # ---- helpers ----------------------------------------------------------------------------------
    def project(self, org: str, project: str) -> tuple[str, str]:
        """``(id, name)`` of the project, or the 404 the service answers."""
        found = self.directory.project(org, project)
        if found is None:
            raise project_not_found(project)
        return found

    def _state(self, org: str, project_id: str) -> _Project:
        return self._projects.setdefault((org.lower(), project_id), _Project())

    def _stored(
        self, org: str, project_id: str, definition_id: int, *, deleted: bool = False
    ) -> StoredDefinition:
        found = self._state(org, project_id).definitions.get(definition_id)
        if found is None or found.deleted != deleted:
            raise rules.definition_not_found(definition_id)
        return found

    def _now(self) -> str:
        return iso(self._clock.now(), precision=3)

    def _check_name_free(self, org: str, project_id: str, doc: dict[str, Any], own_id: int | None) -> None:
        name, path = str(doc["name"]).strip().lower(), str(doc.get("path") or "\\").lower()
        for other in self._state(org, project_id).definitions.values():
            current = other.current
            if other.id == own_id or other.deleted:
                continue
            if str(current["name"]).strip().lower() == name and str(current["path"]).lower() == path:
                raise rules.already_exists(str(doc["name"]))

    def _complete(
        self, org: str, project: tuple[str, str], doc: dict[str, Any], previous: StoredDefinition | None,
        caller: dict[str, Any],
    ) -> None:  # fmt: skip
        state = self._state(org, project[0])

        def next_id() -> int:
            state.next_step += 1
            return state.next_step - 1

        documents.complete(
            doc,
            previous=previous.current if previous else None,
            caller=caller,
            now=self._now(),
            next_id=next_id,
            project=project,
            build_definition_name=lambda pid, did: self.directory.build_definition(org, pid, did),
            identity=lambda identity_id: self.directory.identity(org, identity_id),
        )

    def _answer(self, stored: StoredDefinition, base: str, filters: tuple[str, ...] | None) -> dict[str, Any]:
        return documents.render(
            stored.current,
            base=base,
            project_id=stored.project_id,
            properties=selected_properties(stored.properties, filters),
        )

    # ---- the REST operations ----------------------------------------------------------------------
    def create(self, org: str, project: str, body: Any, caller: dict[str, Any], base: str) -> dict[str, Any]:
        """``POST .../definitions``: a new definition, revision 1."""
        found = self.project(org, project)
        doc = self._parsed(body)
        rules.validate(doc, self.directory, org, found[0])
        self._check_name_free(org, found[0], doc, None)
        state = self._state(org, found[0])
        stored = StoredDefinition(id=state.next_definition, project_id=found[0])
        properties = typed_properties(doc.get("properties"))
        self._complete(org, found, doc, None, caller)
        doc.update(id=stored.id, revision=1, properties={})
        stored.secrets = documents.keep_secrets(doc, {})
        stored.properties = {k: v for k, v in properties.items() if v is not None}
        stored.history.append(Revision(doc, "add", caller, doc["createdOn"], None))
        state.definitions[stored.id] = stored
        state.next_definition += 1
        return self._answer(stored, base, tuple(stored.properties))

    def get(
        self, org: str, project: str, definition_id: int, base: str, property_filters: tuple[str, ...] | None
    ) -> dict[str, Any]:
        """``GET .../definitions/{id}``: properties only those ``propertyFilters`` names."""
        found = self.project(org, project)
        return self._answer(self._stored(org, found[0], definition_id), base, property_filters)

    def list_definitions(
        self, org: str, project: str, query: ListQuery, base: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        """``GET .../definitions``: the page of shallow definitions and the continuation token (or None)."""
        found = self.project(org, project)
        chosen = [s for s in self._state(org, found[0]).definitions.values() if matches(s, query)]
        descending = query.order.endswith("Descending")
        if query.order.startswith("name"):
            chosen.sort(key=lambda s: (str(s.current["name"]).lower(), s.id), reverse=descending)
        else:
            chosen.sort(key=lambda s: s.id, reverse=descending)
        if query.continuation is not None:
            chosen = [s for s in chosen if after(s, query.continuation, query.order)]
        token = None
        if query.top is not None and query.top >= 0 and len(chosen) > query.top:
            following = chosen[query.top]
            token = str(following.current["name"]) if query.order.startswith("name") else str(following.id)
            chosen = chosen[: query.top]
        items = [
            documents.shallow(self._answer(s, base, query.property_filters), set(query.expands))
            for s in chosen
        ]
        return items, token

    def update(self, org: str, project: str, body: Any, caller: dict[str, Any], base: str) -> dict[str, Any]:
        """``PUT .../definitions``: the body names its id and the revision it was read at."""
        found = self.project(org, project)
        doc = self._parsed(body)
        definition_id = doc.get("id")
        if not isinstance(definition_id, int) or definition_id <= 0:
            raise rules.definition_not_found(definition_id or 0)
        stored = self._stored(org, found[0], definition_id)
        if doc.get("revision") != stored.current["revision"]:
            raise rules.stale_revision()
        rules.validate(doc, self.directory, org, found[0])
        self._check_name_free(org, found[0], doc, definition_id)
        self._apply(org, found, stored, doc, caller, "update")
        return self._answer(stored, base, tuple(stored.properties))

    def delete(
        self, org: str, project: str, definition_id: int, caller: dict[str, Any], comment: str | None
    ) -> None:
        """``DELETE .../definitions/{id}``: soft delete (listed again with ``isDeleted=true``).
        ``forceDelete`` is accepted and changes nothing: the emulator has no releases in progress."""
        found = self.project(org, project)
        stored = self._stored(org, found[0], definition_id)
        doc = copy.deepcopy(stored.current)
        doc.update(isDeleted=True, modifiedBy=caller, modifiedOn=self._now())
        stored.history.append(Revision(doc, "delete", caller, doc["modifiedOn"], comment))

    def revisions(self, org: str, project: str, definition_id: int, base: str) -> list[dict[str, Any]]:
        """``GET .../definitions/{id}/revisions``: the history, oldest first."""
        found = self.project(org, project)
        stored = self._any(org, found[0], definition_id)
        url = f"{base}/{found[0]}/_apis/Release/definitions/{definition_id}"
        entries = []
        for entry in stored.history:
            revision = entry.document["revision"]
            item = {
                "definitionId": definition_id,
                "revision": revision,
                "changedDate": entry.changed_date,
                "changeType": entry.change_type,
                "definitionUrl": f"{url}?Revision={revision}",
                "changedBy": entry.changed_by,
            }
            if entry.comment is not None:
                item["comment"] = entry.comment
            entries.append(item)
        return entries

    def revision(
        self, org: str, project: str, definition_id: int, revision: int, base: str
    ) -> dict[str, Any]:
        """``GET .../definitions/{id}/revisions/{n}``: the definition as it was at revision ``n``."""
        found = self.project(org, project)
        stored = self._any(org, found[0], definition_id)
        for entry in reversed(stored.history):
            if entry.document["revision"] == revision:
                return documents.render(entry.document, base=base, project_id=found[0])
        raise rules.revision_not_found(definition_id, revision)

    # ---- driver functions (the control plane and tests) --------------------------------------------
    def load(
        self, org: str, project: str, document: dict[str, Any], *, caller: dict[str, Any] | None = None
    ) -> int:
        """Store ``document`` as the portal would have (no validation against the organization: it may
        name queues or tasks this organization lacks), keeping its revision number; a new id. The id."""
        found = self.project(org, project)
        doc = self._parsed(document)
        state = self._state(org, found[0])
        stored = StoredDefinition(id=state.next_definition, project_id=found[0])
        who = caller or doc.get("modifiedBy") or PORTAL
        revision = doc.get("revision") if isinstance(doc.get("revision"), int) and doc["revision"] > 0 else 1
        properties = typed_properties(doc.get("properties"))
        self._complete(org, found, doc, None, who)
        doc.update(id=stored.id, revision=revision, properties={})
        stored.secrets = documents.keep_secrets(doc, {})
        stored.properties = {k: v for k, v in properties.items() if v is not None}
        stored.history.append(Revision(doc, "add", who, doc["modifiedOn"], "Loaded by the emulator's driver"))
        state.definitions[stored.id] = stored
        state.next_definition += 1
        return stored.id

    def portal_edit(
        self,
        org: str,
        project: str,
        definition_id: int,
        changes: dict[str, Any],
        *,
        caller: dict[str, Any] | None = None,
    ) -> int:
        """Change fields (dotted paths, list indices as numbers: ``environments.0.name``) as someone
        in the portal would, and bump the revision. The new revision."""
        found = self.project(org, project)
        stored = self._stored(org, found[0], definition_id)
        doc = copy.deepcopy(stored.current)
        for path, value in changes.items():
            _set_path(doc, path, value)
        self._apply(org, found, stored, prune(doc), caller or PORTAL, "update")
        return int(stored.current["revision"])

    def definitions(self, org: str, project_id: str) -> list[StoredDefinition]:
        """Every stored definition of a project (deleted ones too), for tests."""
        return list(self._state(org, project_id).definitions.values())

    # ---- internals --------------------------------------------------------------------------------
    @staticmethod
    def _parsed(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise rules.invalid("A release pipeline must be sent in the request body.")  # emulator wording
        pruned = prune(copy.deepcopy(body))
        assert isinstance(pruned, dict)
        return pruned

    def _any(self, org: str, project_id: str, definition_id: int) -> StoredDefinition:
        found = self._state(org, project_id).definitions.get(definition_id)
        if found is None:
            raise rules.definition_not_found(definition_id)
        return found

    def _apply(
        self, org: str, project: tuple[str, str], stored: StoredDefinition, doc: dict[str, Any],
        caller: dict[str, Any], change: str,
    ) -> None:  # fmt: skip
        comment = doc.get("comment")
        properties = typed_properties(doc.get("properties"))
        self._complete(org, project, doc, stored, caller)
        doc.update(id=stored.id, revision=int(stored.current["revision"]) + 1, properties={})
        stored.secrets = documents.keep_secrets(doc, stored.secrets)
        for name, value in properties.items():  # the property service merges; null deletes
            if value is None:
                stored.properties.pop(name, None)
            else:
                stored.properties[name] = value
        stored.history.append(Revision(doc, change, caller, doc["modifiedOn"], comment))


def _set_path(doc: Any, path: str, value: Any) -> None:
    parts = path.split(".")
    target = doc
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
