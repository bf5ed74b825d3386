"""Names in release specs to the ids Azure DevOps knows: ``NetworkResolver``, slotwise's ``Resolver``
that asks the organization.

Built from ``references`` (every name the definitions will ask for), it reads in bulk before it
answers anything: the projects; per project only the listings the references need (agent queues,
service connections, build pipelines, variable groups); the organization's installed tasks if a step
needs one; each approver's identity by name, and, only when one is not found, the organization's
users and groups for near matches. Then every answer comes from what was read.

A name that is not there is a ``SpecInvalid`` at the ``Location`` where the spec wrote it, with the
nearest of what was read: ``spec.yaml:14: stages[1].approvals.before.approvers[0]: no user or group
'lead@contsoo.com' in the organization; did you mean 'lead@contoso.com'?``. ``check`` reports every
such problem of the references at once. ``environment`` reads a ``fromEnv`` value from the mapping the
organization was opened with (secret values are registered, so they are masked wherever printed).

Must not: render, talk to Azure DevOps other than through ``Directory``, or print.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from slotwise.devops.directory import Item, identity_names
from slotwise.devops.routes import BUILD_DEFINITIONS, QUEUES, SERVICE_ENDPOINTS, VARIABLE_GROUPS, Route
from slotwise.release.catalogue import TaskDef
from slotwise.release.model import Variable
from slotwise.release.problems import Location, Problems
from slotwise.release.resolve import Id, Kind, Reference
from slotwise.secrets import SecretRegistry

IN_PROJECT: dict[Kind, tuple[Route, str]] = {
    Kind.QUEUE: (QUEUES, "agent queue"),
    Kind.SERVICE_ENDPOINT: (SERVICE_ENDPOINTS, "service connection"),
    Kind.BUILD_DEFINITION: (BUILD_DEFINITIONS, "build pipeline"),
    Kind.VARIABLE_GROUP: (VARIABLE_GROUPS, "variable group"),
}


class Listings(Protocol):
    """What the resolver reads (``devops.directory.Directory``): raw items, each listing read once."""

    def projects(self) -> list[Item]: ...

    def project(self, name_or_id: str) -> Item | None: ...

    def in_project(self, route: Route, project: str) -> list[Item]: ...

    def tasks(self) -> list[Item]: ...

    def identities(self, name: str) -> list[Item]: ...

    def people(self) -> list[str]: ...


class Unresolved(Exception):
    """A name that is not there: the sentence saying so (raised as SpecInvalid at its location)."""


def near(name: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest of ``choices`` (case-insensitively), else ``""``."""
    by_lower = {c.lower(): c for c in choices if c}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean {by_lower[close[0]]!r}?" if close else ""


def _raise(at: Location, message: str) -> None:
    problems = Problems()
    problems.add(at, message)
    problems.raise_if_any()


class NetworkResolver:
    """Resolves names against one organization, from listings read in bulk at construction."""

    def __init__(
        self,
        directory: Listings,
        references: Sequence[Reference],
        environment: Mapping[str, str],
        secrets: SecretRegistry,
    ) -> None:
        self._directory = directory
        self._references = list(references)
        self._environment = environment
        self._secrets = secrets
        self._read()

    def _read(self) -> None:
        refs = self._references
        if any(r.kind is Kind.PROJECT or r.kind in IN_PROJECT for r in refs):
            self._directory.projects()
        for ref in refs:
            if ref.kind in IN_PROJECT and self._directory.project(ref.project) is not None:
                self._directory.in_project(IN_PROJECT[ref.kind][0], ref.project)
        if any(r.kind is Kind.TASK for r in refs):
            self._directory.tasks()
        people = [r for r in refs if r.kind is Kind.IDENTITY]
        if any(not self._identities(r.name) for r in people):
            self._directory.people()

    # ---- the Resolver protocol ---------------------------------------------------------------------------
    def project(self, name: str, at: Location) -> str:
        return str(self._answer(lambda: self._project(name)["id"], at))

    def queue(self, project: str, name: str, at: Location) -> Id:
        return self._answer(lambda: int(self._in_project(Kind.QUEUE, project, name)["id"]), at)

    def service_endpoint(self, project: str, name: str, at: Location) -> str:
        return str(self._answer(lambda: self._in_project(Kind.SERVICE_ENDPOINT, project, name)["id"], at))

    def build_definition(self, project: str, name: str, at: Location) -> Id:
        return self._answer(lambda: int(self._in_project(Kind.BUILD_DEFINITION, project, name)["id"]), at)

    def identity(self, name: str, at: Location) -> str:
        return str(self._answer(lambda: self._identity(name), at))

    def variable_group(self, project: str, name: str, at: Location) -> Id:
        return self._answer(lambda: int(self._in_project(Kind.VARIABLE_GROUP, project, name)["id"]), at)

    def task(self, task: TaskDef, at: Location) -> str:
        return str(self._answer(lambda: self._task(task.name, task.major, task.id), at))

    def environment(self, variable: Variable) -> str:
        name = variable.from_env or ""
        value = self._environment.get(name)
        if value is None:
            _raise(
                variable.at,
                f"variable {variable.name!r} takes its value from the environment variable {name}, which "
                f"is not set; set {name} where slotwise runs",
            )
            raise AssertionError("unreachable")
        if variable.secret:
            self._secrets.add(value)
        return value

    def check(self) -> None:
        """SpecInvalid listing every reference that does not resolve (each at its location)."""
        problems = Problems()
        for ref in self._references:
            try:
                self._resolve(ref)
            except Unresolved as missing:
                problems.add(ref.at, str(missing))
        problems.raise_if_any()

    # ---- lookups ------------------------------------------------------------------------------------------
    def _answer(self, lookup: Callable[[], Id], at: Location) -> Id:
        try:
            return lookup()
        except Unresolved as missing:
            _raise(at, str(missing))
            raise AssertionError("unreachable") from missing

    def _resolve(self, ref: Reference) -> object:
        if ref.kind is Kind.PROJECT:
            return self._project(ref.name)
        if ref.kind in IN_PROJECT:
            return self._in_project(ref.kind, ref.project, ref.name)
        if ref.kind is Kind.IDENTITY:
            return self._identity(ref.name)
        if ref.kind is Kind.TASK:
            name, _, major = ref.name.rpartition("@")
            return self._task(name, int(major) if major.isdigit() else -1, None)
        if ref.kind is Kind.ENVIRONMENT and ref.name not in self._environment:
            raise Unresolved(f"the environment variable {ref.name} is not set; set it where slotwise runs")
        return None

    def _project(self, name: str) -> Item:
        found = self._directory.project(name)
        if found is None:
            choices = [str(p.get("name", "")) for p in self._directory.projects()]
            raise Unresolved(f"no project {name!r} in the organization{near(name, choices)}")
        return found

    def _in_project(self, kind: Kind, project: str, name: str) -> Item:
        route, what = IN_PROJECT[kind]
        self._project(project)
        items = self._directory.in_project(route, project)
        matches = [i for i in items if str(i.get("name", "")).lower() == name.lower()]
        if len(matches) > 1:
            folders = ", ".join(sorted(str(i.get("path", "?")) for i in matches))
            raise Unresolved(f"{len(matches)} {what}s of project {project!r} are called {name!r} ({folders})")
        if not matches:
            choices = [str(i.get("name", "")) for i in items]
            raise Unresolved(f"no {what} {name!r} in project {project!r}{near(name, choices)}")
        return matches[0]

    def _identities(self, name: str) -> list[Item]:
        wanted = name.lower()
        found = {
            str(i["id"]): i
            for i in self._directory.identities(name)
            if i.get("id") and wanted in (n.lower() for n in identity_names(i))
        }
        return list(found.values())

    def _identity(self, name: str) -> str:
        found = self._identities(name)
        if len(found) > 1:
            raise Unresolved(
                f"{len(found)} users or groups are called {name!r}; name the one meant by its e-mail address"
            )
        if not found:
            raise Unresolved(
                f"no user or group {name!r} in the organization{near(name, self._directory.people())}"
            )
        return str(found[0]["id"])

    def _task(self, name: str, major: int, task_id: str | None) -> str:
        tasks = self._directory.tasks()
        same = [
            t
            for t in tasks
            if (
                str(t.get("id", "")).lower() == task_id.lower()
                if task_id
                else str(t.get("name", "")).lower() == name.lower()
            )
        ]
        if any(_major(t) == major for t in same):
            return str(task_id or same[0]["id"])
        have = sorted({_major(t) for t in same})
        versions = (
            f" (it has major version{'s' if len(have) > 1 else ''} {', '.join(map(str, have))})"
            if have
            else ""
        )
        if name.lower().startswith("slotwise"):
            remedy = "install the slotwise extension in the organization, or use `tasks: builtin` in the spec"
        else:
            remedy = "install it in the organization, or choose other tasks in the spec"
        raise Unresolved(f"the organization has no task {name}@{major}{versions}: {remedy}")


def _major(task: Item) -> int:
    version = task.get("version") or {}
    try:
        return int(str(version.get("major"))) if isinstance(version, dict) else -1
    except (TypeError, ValueError):
        return -1
