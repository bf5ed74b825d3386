"""Fakes shared by tests (never patches of our own modules)."""

from __future__ import annotations

import copy
import time
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from slotwise.azure.models import SlotInfo, SlotRef, SwapStatus
from slotwise.errors import NotFoundError, RemoteError
from slotwise.release.catalogue import TaskDef
from slotwise.release.gateway import Server, StaleRevision
from slotwise.release.model import Variable
from slotwise.release.problems import Location, Problems, suggest
from slotwise.release.resolve import Id, Reference


class FastClock:
    """A clock for running real operations against the emulator without waiting out their sleeps.

    ``sleep`` records what was asked and sleeps only ``real_cap`` seconds (enough for the emulator's
    own wall clock to move a little); ``monotonic`` and ``now`` advance by the full asked time, so
    timeouts and "waited N s" messages behave as if the time had passed.
    """

    def __init__(self, real_cap: float = 0.02) -> None:
        self.sleeps: list[float] = []
        self._real_cap = real_cap
        self._skipped = 0.0

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self._skipped)

    def monotonic(self) -> float:
        return time.monotonic() + self._skipped

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        real = min(max(seconds, 0.0), self._real_cap)
        time.sleep(real)
        self._skipped += max(seconds - real, 0.0)


def slot_info(
    ref: SlotRef,
    *,
    swap: SwapStatus | None = None,
    target: str | None = None,
    operation: str | None = None,
    tags: dict[str, str] | None = None,
) -> SlotInfo:
    """A running function app's slot as ARM describes it, for tests of pure rules: its last swap
    (``swap``), the swap running or prepared on it (``target``, ``operation``) and its tags; the host
    names are placeholders (nothing is called)."""
    return SlotInfo(
        ref=ref,
        kind="functionapp",
        state="Running",
        default_host_name=f"{ref.app}-{ref.slot}.app.test",
        scm_host_name=f"{ref.app}-{ref.slot}.scm.app.test",
        deployment_id=None,
        last_modified=None,
        swap_status=swap,
        target_swap_slot=target,
        tags=tags or {},
        in_progress_operation_id=operation,
    )


# ---- Azure DevOps, in memory: an honest fake of slotwise.release.gateway.Organization ---------------------
class FakeDirectory:
    """What an organization knows by name: projects, and per project its agent queues, service
    connections, build definitions and variable groups; the organization's identities; and the
    environment ``fromEnv`` values are read from. Ids are deterministic (GUIDs or numbers)."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.projects: dict[str, str] = {}  # name -> id
        self.queues: dict[tuple[str, str], int] = {}  # (project lower, name) -> id
        self.endpoints: dict[tuple[str, str], str] = {}
        self.builds: dict[tuple[str, str], int] = {}
        self.groups: dict[tuple[str, str], int] = {}
        self.identities: dict[str, str] = {}  # name -> id
        self.env = dict(env or {})

    def add_project(
        self,
        name: str,
        *,
        queues: tuple[str, ...] = ("Azure Pipelines",),
        endpoints: tuple[str, ...] = (),
        builds: tuple[str, ...] = (),
        groups: tuple[str, ...] = (),
    ) -> None:
        self.projects[name] = _guid("project", name)
        key = name.lower()
        self.queues.update({(key, q): _number("queue", f"{name}/{q}") for q in queues})
        self.endpoints.update({(key, e): _guid("endpoint", f"{name}/{e}") for e in endpoints})
        self.builds.update({(key, b): _number("build", f"{name}/{b}") for b in builds})
        self.groups.update({(key, g): _number("group", f"{name}/{g}") for g in groups})

    def add_identities(self, *names: str) -> None:
        self.identities.update({n: _guid("identity", n) for n in names})


def _guid(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.UUID("6f0a8a55-34c1-4d9b-9a44-51f1c2d2b7a1"), f"{kind}:{name.lower()}"))


def _number(kind: str, name: str) -> int:
    return zlib.crc32(f"{kind}:{name.lower()}".encode()) % 100_000 + 1


def _find(table: Mapping[Any, Any], key: Any, what: str, name: str, at: Location, choices: list[str]) -> Any:
    """``table[key]`` (names compared ignoring case), else SpecInvalid at ``at`` with the near match."""
    folded = {
        (tuple(p.lower() for p in k) if isinstance(k, tuple) else k.lower()): v for k, v in table.items()
    }
    wanted = tuple(p.lower() for p in key) if isinstance(key, tuple) else key.lower()
    if wanted in folded:
        return folded[wanted]
    problems = Problems()
    problems.add(at, f"no {what} named {name!r}{suggest(name, choices)}")
    problems.raise_if_any([at.file])
    raise AssertionError("unreachable")


class FakeResolver:
    """Names to ids from a ``FakeDirectory``, as the real resolver answers (SpecInvalid at the name's
    Location, with the near match, for a name not found)."""

    def __init__(self, directory: FakeDirectory) -> None:
        self.d = directory

    def _in(self, table: Mapping[tuple[str, str], Any], project: str) -> list[str]:
        return [n for (p, n) in table if p == project.lower()]

    def project(self, name: str, at: Location) -> str:
        found: str = _find(self.d.projects, name, "project", name, at, list(self.d.projects))
        return found

    def queue(self, project: str, name: str, at: Location) -> Id:
        choices = self._in(self.d.queues, project)
        found: int = _find(self.d.queues, (project, name), "agent queue", name, at, choices)
        return found

    def service_endpoint(self, project: str, name: str, at: Location) -> str:
        choices = self._in(self.d.endpoints, project)
        found: str = _find(self.d.endpoints, (project, name), "service connection", name, at, choices)
        return found

    def build_definition(self, project: str, name: str, at: Location) -> Id:
        choices = self._in(self.d.builds, project)
        found: int = _find(self.d.builds, (project, name), "build definition", name, at, choices)
        return found

    def identity(self, name: str, at: Location) -> str:
        found: str = _find(self.d.identities, name, "user or group", name, at, list(self.d.identities))
        return found

    def variable_group(self, project: str, name: str, at: Location) -> Id:
        choices = self._in(self.d.groups, project)
        found: int = _find(self.d.groups, (project, name), "variable group", name, at, choices)
        return found

    def task(self, task: TaskDef, at: Location) -> str:
        return task.id

    def environment(self, variable: Variable) -> str:
        name = str(variable.from_env)
        if name not in self.d.env:
            problems = Problems()
            problems.add(variable.at, f"the environment variable {name} is not set")
            problems.raise_if_any([variable.at.file])
        return self.d.env[name]


class FakeNames:
    """Ids back to names, from a ``FakeDirectory`` (None when unknown)."""

    def __init__(self, directory: FakeDirectory) -> None:
        self.d = directory

    @staticmethod
    def _back(table: Mapping[Any, Any], value: Any) -> str | None:
        for key, found in table.items():
            if str(found).lower() == str(value).lower():
                return key[1] if isinstance(key, tuple) else str(key)
        return None

    def project(self, project_id: str) -> str | None:
        return self._back(self.d.projects, project_id)

    def queue(self, project: str, queue_id: int) -> str | None:
        return self._back({k: v for k, v in self.d.queues.items() if k[0] == project.lower()}, queue_id)

    def service_endpoint(self, project: str, endpoint_id: str) -> str | None:
        return self._back({k: v for k, v in self.d.endpoints.items() if k[0] == project.lower()}, endpoint_id)

    def build_definition(self, project: str, definition_id: int) -> str | None:
        return self._back({k: v for k, v in self.d.builds.items() if k[0] == project.lower()}, definition_id)

    def identity(self, identity_id: str) -> str | None:
        return self._back(self.d.identities, identity_id)

    def variable_group(self, project: str, group_id: int) -> str | None:
        return self._back({k: v for k, v in self.d.groups.items() if k[0] == project.lower()}, group_id)


@dataclass
class FakeDefinitions:
    """Release definitions stored as raw documents, per project: ids and revisions assigned, nothing
    dropped (secret values kept but answered as null, as Azure DevOps does). Counts every call in
    ``calls``; ``before_update`` runs before an update is checked (a "portal edit" in between);
    ``listing_lacks`` names fields (of the definition, or of each stage as ``environments.<field>``)
    that ``list`` leaves out, as a listing may."""

    stored: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (operation, project)
    comments: list[str] = field(default_factory=list)  # each write's comment (the revision history's)
    before_update: Callable[[FakeDefinitions, str, dict[str, Any]], None] | None = None
    listing_lacks: tuple[str, ...] = ()
    _next_id: int = 1

    def count(self, *operations: str) -> int:
        return sum(1 for op, _ in self.calls if op in operations)

    @property
    def writes(self) -> int:
        return self.count("create", "update", "delete")

    def _project(self, project: str) -> dict[int, dict[str, Any]]:
        return self.stored.setdefault(project.lower(), {})

    def put(self, project: str, document: dict[str, Any]) -> dict[str, Any]:
        """Store ``document`` as it is (ids and revision kept, else assigned): a definition made
        elsewhere (the portal); not counted."""
        stored = copy.deepcopy(document)
        stored.setdefault("id", self._next_id)
        stored.setdefault("revision", 1)
        self._next_id = max(self._next_id, int(stored["id"])) + 1
        self._project(project)[int(stored["id"])] = stored
        return self._answer(stored)

    def portal_edit(self, project: str, definition_id: int, edit: Callable[[dict[str, Any]], None]) -> None:
        """Someone changes the definition in the portal: a new revision."""
        stored = self._project(project)[definition_id]
        edit(stored)
        stored["revision"] = int(stored["revision"]) + 1

    @staticmethod
    def _answer(stored: dict[str, Any]) -> dict[str, Any]:
        answered = copy.deepcopy(stored)
        for holder in [answered, *answered.get("environments", [])]:
            for value in (holder.get("variables") or {}).values():
                if value.get("isSecret"):
                    value["value"] = None
        return answered

    def list(self, project: str, *, path: str | None = None) -> list[dict[str, Any]]:
        self.calls.append(("list", project))
        listed = []
        for stored in self._project(project).values():
            if path is not None and not str(stored.get("path", "\\")).lower().startswith(path.lower()):
                continue
            answered = self._answer(stored)
            for lacking in self.listing_lacks:
                if lacking.startswith("environments."):
                    for stage in answered.get("environments", []):
                        stage.pop(lacking.split(".", 1)[1], None)
                else:
                    answered.pop(lacking, None)
            listed.append(answered)
        return listed

    def get(self, project: str, definition_id: int) -> dict[str, Any]:
        self.calls.append(("get", project))
        found = self._project(project).get(definition_id)
        if found is None:
            raise NotFoundError(f"Release definition {definition_id} does not exist in {project}.")
        return self._answer(found)

    def create(self, project: str, document: dict[str, Any], *, comment: str) -> dict[str, Any]:
        self.calls.append(("create", project))
        self.comments.append(comment)
        for stored in self._project(project).values():
            same = (str(stored.get("path", "\\")).lower(), str(stored["name"]).lower())
            if same == (str(document.get("path", "\\")).lower(), str(document["name"]).lower()):
                raise RemoteError(f"A release definition named {document['name']!r} already exists.")
        created = copy.deepcopy(document)
        created.pop("revision", None)
        created["id"] = self._next_id
        for index, stage in enumerate(created.get("environments", [])):
            stage["id"] = self._next_id * 100 + index + 1
        return self.put(project, created)

    def update(self, project: str, document: dict[str, Any], *, comment: str) -> dict[str, Any]:
        self.calls.append(("update", project))
        self.comments.append(comment)
        if self.before_update is not None:
            hook, self.before_update = self.before_update, None
            hook(self, project, document)
        stored = self._project(project).get(int(document["id"]))
        if stored is None:
            raise NotFoundError(f"Release definition {document['id']} does not exist in {project}.")
        if document.get("revision") != stored["revision"]:
            raise StaleRevision(
                f"Definition {stored['name']!r} changed since revision {document.get('revision')}.",
                definition_id=int(document["id"]),
            )
        updated = copy.deepcopy(document)
        for holder, before in zip(
            [updated, *updated.get("environments", [])],
            [stored, *stored.get("environments", [])],
            strict=False,
        ):
            for name, value in (holder.get("variables") or {}).items():
                kept = (before.get("variables") or {}).get(name) or {}
                if value.get("isSecret") and value.get("value") is None and kept.get("isSecret"):
                    value["value"] = kept.get("value")  # a secret sent as null keeps its value
        updated["revision"] = int(stored["revision"]) + 1
        self._project(project)[int(document["id"])] = updated
        return self._answer(updated)

    def delete(self, project: str, definition_id: int, *, comment: str) -> None:
        self.calls.append(("delete", project))
        self.comments.append(comment)
        if self._project(project).pop(definition_id, None) is None:
            raise NotFoundError(f"Release definition {definition_id} does not exist in {project}.")


@dataclass
class FakeOrganization:
    """``slotwise.release.gateway.Organization`` in memory: a ``FakeDirectory`` of names and a
    ``FakeDefinitions`` store; counts the directory reads too (``resolver``/``names`` calls)."""

    directory: FakeDirectory = field(default_factory=FakeDirectory)
    store: FakeDefinitions = field(default_factory=FakeDefinitions)
    resolver_calls: int = 0

    @property
    def server(self) -> Server:
        return Server("https://dev.azure.test/fabrikam/", "7.1", hosted=True)

    @property
    def definitions(self) -> FakeDefinitions:
        return self.store

    def resolver(self, references: Sequence[Reference]) -> FakeResolver:
        self.resolver_calls += 1
        return FakeResolver(self.directory)

    def names(self, project: str) -> FakeNames:
        return FakeNames(self.directory)

    @property
    def reads(self) -> int:
        return self.store.count("list", "get") + self.resolver_calls
