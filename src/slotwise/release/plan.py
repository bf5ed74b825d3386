"""``release plan``: what applying a set of specs would do, read from Azure DevOps, written nowhere.

``make_plan(specs, org)`` takes specs already loaded and validated (``load_specs``: nothing is read
from Azure DevOps when one is invalid), then:

1. resolves every name of every spec at once (``org.resolver(references)``) and renders each
   definition; every name not found is reported together (``SpecInvalid``, exit 2, by file, line and
   field with near matches), before anything is read of the definitions or written;
2. lists each project's definitions once (one bulk read per project) and matches each spec by
   folder and name (ignoring case);
3. decides, per definition: ``CREATE`` (none there); ``UNCHANGED`` when the listing already shows the
   desired values (zero reads more); else it reads the whole definition (a listing may lack fields)
   and decides ``UPDATE`` with the diff, or ``UNCHANGED``. A same-named definition slotwise does not
   own (no ``Slotwise.ManagedBy`` property) is ``REFUSED`` (apply writes nothing then), or with
   ``adopt`` ``ADOPT``ed: updated and marked as slotwise's;
4. with ``prune``: ``DELETE`` for each definition slotwise owns in a project and folder the specs
   cover that no spec names.

Secrets follow ``release.diff``'s policy (written when new, when they become secret, or with
``update_secrets``); each item says which secrets it writes and which it keeps.

Must not: write to Azure DevOps (``apply`` does), or print.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from slotwise.errors import SpecInvalid
from slotwise.release.catalogue import TaskDef
from slotwise.release.diff import Change, changes, merge, owned
from slotwise.release.gateway import Document, Organization
from slotwise.release.model import Definition, SpecSet, Variable
from slotwise.release.problems import Location, Problem, Problems
from slotwise.release.render import Rendered, redact_secrets, render
from slotwise.release.resolve import Id, Resolver, references
from slotwise.release.stamp import stamped, unchanged_since_applied

SECRETS_NOTE = (
    "Azure DevOps never shows a secret's value, so slotwise cannot tell whether one changed: a secret is "
    "written when its variable is new or becomes secret, and kept as it is otherwise (apply with "
    "--update-secrets to write every secret from the environment)."
)


class Action(Enum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETE = "delete"
    ADOPT = "adopt"  # update a definition slotwise did not make, and mark it as slotwise's
    REFUSED = "refused"  # a same-named definition slotwise does not own: left alone

    @property
    def writes(self) -> bool:
        return self in (Action.CREATE, Action.UPDATE, Action.DELETE, Action.ADOPT)


@dataclass(frozen=True)
class Item:
    """One definition's planned action. ``rendered`` is the spec's document and ``document`` what the
    action sends (for an update: ``rendered`` laid over ``base``, the definition as read, whose
    ``revision`` the update carries); both may hold secret values: never show them."""

    action: Action
    project: str
    folder: str
    name: str
    source: str = ""  # where the spec is: file:line
    definition_id: int | None = None
    revision: int | None = None
    rendered: Document | None = field(default=None, repr=False)
    document: Document | None = field(default=None, repr=False)
    base: Document | None = field(default=None, repr=False)
    changes: tuple[Change, ...] = ()
    secrets_written: tuple[str, ...] = ()
    secrets_kept: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        folder = self.folder if self.folder.endswith("\\") else self.folder + "\\"
        return f"{self.project}{folder}{self.name}"

    def as_dict(self) -> dict[str, Any]:
        """What may be shown (no document: they may hold secret values)."""
        return {
            "action": self.action.value,
            "project": self.project,
            "folder": self.folder,
            "name": self.name,
            "id": self.definition_id,
            "revision": self.revision,
            "spec": self.source or None,
            "changes": [change.as_dict() for change in self.changes],
            "secretsWritten": list(self.secrets_written),
            "secretsKept": list(self.secrets_kept),
        }


@dataclass(frozen=True)
class Plan:
    items: tuple[Item, ...]
    update_secrets: bool = False

    def count(self, action: Action) -> int:
        return sum(1 for item in self.items if item.action is action)

    @property
    def writes(self) -> int:
        return sum(1 for item in self.items if item.action.writes)

    @property
    def refused(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.action is Action.REFUSED)

    def summary(self) -> str:
        parts = [
            f"{self.count(Action.CREATE)} to create",
            f"{self.count(Action.UPDATE)} to update",
            f"{self.count(Action.UNCHANGED)} unchanged",
            f"{self.count(Action.DELETE)} to delete",
        ]
        parts += [f"{n} to adopt" for n in [self.count(Action.ADOPT)] if n]
        parts += [f"{n} refused (not slotwise's)" for n in [self.count(Action.REFUSED)] if n]
        return "Plan: " + ", ".join(parts) + "."

    def as_dict(self) -> dict[str, Any]:
        counts = {action.value: self.count(action) for action in Action}
        return {
            "items": [item.as_dict() for item in self.items],
            "summary": counts,
            "secretPolicy": SECRETS_NOTE,
            "updateSecrets": self.update_secrets,
        }


def make_plan(
    specs: SpecSet,
    org: Organization,
    *,
    prune: bool = False,
    adopt: bool = False,
    update_secrets: bool = False,
) -> Plan:
    """The plan for ``specs`` (loaded and valid) against ``org``; reads only."""
    collecting = _collecting(specs, org)
    rendered = render_specs(specs.definitions, collecting)
    listings = list_projects(org, (d.project for d in specs.definitions))
    items = [
        _decide(d, r, listings[d.project.lower()], org, adopt=adopt, update_secrets=update_secrets)
        for d, r in zip(specs.definitions, rendered, strict=True)
    ]
    _refuse_unset_secrets(items, collecting, [d.at.file for d in specs.definitions])
    if prune:
        items += _prunable(specs.definitions, listings)
    return Plan(tuple(items), update_secrets=update_secrets)


def resolve_and_render(specs: SpecSet, org: Organization) -> list[Rendered]:
    """The documents ``specs`` become with the organization's ids, every name read in bulk (reads
    only), secret values left out: what ``release render`` shows."""
    collecting = _collecting(specs, org)
    rendered = render_specs(specs.definitions, collecting)
    return [Rendered(r.project, redact_secrets(r.document)) for r in rendered]


def _collecting(specs: SpecSet, org: Organization) -> _Collecting:
    """A resolver for every name of every spec, read in bulk by the organization now."""
    return _Collecting(org.resolver([ref for d in specs.definitions for ref in references(d)]))


def render_specs(definitions: tuple[Definition, ...], collecting: _Collecting) -> list[Rendered]:
    """Every definition rendered with the organization's ids (read in bulk by the resolver);
    ``SpecInvalid`` with every name that is not found. A secret whose environment variable is not
    set is left as a placeholder: it matters only if the plan writes it (``_refuse_unset_secrets``)."""
    rendered = []
    for index, definition in enumerate(definitions):
        collecting.definition = index
        rendered.append(render(definition, collecting))
    collecting.problems.raise_if_any([d.at.file for d in definitions])
    return rendered


def _refuse_unset_secrets(items: list[Item], collecting: _Collecting, files: list[str]) -> None:
    """``SpecInvalid`` for each secret the plan would write whose environment variable is not set:
    a secret that stays as it is in Azure DevOps needs no value."""
    problems = Problems()
    for index, item in enumerate(items):
        for name, found in collecting.unset_secrets.get(index, []):
            if any(written.endswith(f"variables.{name}") for written in item.secrets_written):
                problems.extend(found)
    problems.raise_if_any(files)


class _Collecting:
    """A resolver that goes on past a name not found (noting its problems), so every one is reported."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.problems = Problems()
        self.definition = 0  # the index of the definition being rendered
        self.unset_secrets: dict[int, list[tuple[str, list[Problem]]]] = {}  # by definition index

    def _ask(self, ask: Callable[[], Id]) -> Id:
        """What ``ask`` answers; a name not found is noted and answers ``""``."""
        try:
            return ask()
        except SpecInvalid as error:
            if not error.problems:
                raise
            self.problems.extend(p for p in error.problems if isinstance(p, Problem))
            return ""

    def project(self, name: str, at: Location) -> str:
        return str(self._ask(lambda: self.resolver.project(name, at)))

    def queue(self, project: str, name: str, at: Location) -> Id:
        return self._ask(lambda: self.resolver.queue(project, name, at))

    def service_endpoint(self, project: str, name: str, at: Location) -> str:
        return str(self._ask(lambda: self.resolver.service_endpoint(project, name, at)))

    def build_definition(self, project: str, name: str, at: Location) -> Id:
        return self._ask(lambda: self.resolver.build_definition(project, name, at))

    def identity(self, name: str, at: Location) -> str:
        return str(self._ask(lambda: self.resolver.identity(name, at)))

    def variable_group(self, project: str, name: str, at: Location) -> Id:
        return self._ask(lambda: self.resolver.variable_group(project, name, at))

    def task(self, task: TaskDef, at: Location) -> str:
        return str(self._ask(lambda: self.resolver.task(task, at)))

    def environment(self, variable: Variable) -> str:
        if not variable.secret:
            return str(self._ask(lambda: self.resolver.environment(variable)))
        try:
            return self.resolver.environment(variable)
        except SpecInvalid as error:
            if not error.problems:
                raise
            found = [p for p in error.problems if isinstance(p, Problem)]
            self.unset_secrets.setdefault(self.definition, []).append((variable.name, found))
            return f"<unset:{variable.from_env}>"


def list_projects(org: Organization, projects: Iterable[str]) -> dict[str, list[Document]]:
    """{project (lower case): its definitions}: one bulk read per project."""
    found: dict[str, list[Document]] = {}
    for project in projects:
        if project.lower() not in found:
            found[project.lower()] = org.definitions.list(project)
    return found


def _key(document: Mapping[str, Any]) -> tuple[str, str]:
    return (str(document.get("path") or "\\").lower(), str(document.get("name", "")).lower())


def _decide(
    definition: Definition,
    rendered: Rendered,
    listing: list[Document],
    org: Organization,
    *,
    adopt: bool,
    update_secrets: bool,
) -> Item:
    d = definition
    base = Item(Action.CREATE, d.project, d.folder, d.name, source=f"{d.at.file}:{d.at.line}")
    desired = rendered.document
    listed = next((doc for doc in listing if _key(doc) == (d.folder.lower(), d.name.lower())), None)
    if listed is None:
        written = _secrets(desired, desired)
        document = stamped(desired, desired, revision=1)  # a new definition's first revision
        return _with(base, Action.CREATE, rendered=desired, document=document, secrets=(written, ()))
    ours = owned(listed)
    here = _with(base, Action.REFUSED, definition_id=int(listed["id"]), revision=listed.get("revision"))
    if not ours and not adopt:
        return here
    if ours and not update_secrets and unchanged_since_applied(listed, desired):
        return _with(here, Action.UNCHANGED, secrets=((), _secrets(desired, desired)))
    if ours and not changes(listed, merge(listed, desired, update_secrets=update_secrets)):
        return _with(here, Action.UNCHANGED, secrets=((), _secrets(desired, desired)))
    full = org.definitions.get(d.project, int(listed["id"]))
    merged = merge(full, desired, update_secrets=update_secrets)
    document = stamped(merged, desired, revision=int(full.get("revision") or 0) + 1)
    found = tuple(changes(full, document))
    action = (Action.UPDATE if found else Action.UNCHANGED) if ours else Action.ADOPT
    written = _secrets(desired, document) if action.writes else ()
    kept = tuple(name for name in _secrets(desired, desired) if name not in written)
    return _with(
        here,
        action,
        revision=full.get("revision"),
        rendered=desired,
        document=document,
        base=full,
        changes=found,
        secrets=(written, kept),
    )


def _with(item: Item, action: Action, *, secrets: tuple[tuple[str, ...], ...] = (), **values: Any) -> Item:
    if secrets:
        values["secrets_written"], values["secrets_kept"] = secrets
    return replace(item, action=action, **values)


def _secrets(desired: Mapping[str, Any], sent: Mapping[str, Any]) -> tuple[str, ...]:
    """The secret variables of ``desired`` whose value ``sent`` carries (``variables.X``,
    ``environments[Stage].variables.X``)."""
    found: list[str] = []
    for prefix, wanted, there in _variable_holders(desired, sent):
        for name, value in wanted.items():
            sent_value = (there.get(name) or {}).get("value")
            if value.get("isSecret") and sent_value is not None and sent_value == value.get("value"):
                found.append(f"{prefix}variables.{name}")
    return tuple(found)


def _variable_holders(
    desired: Mapping[str, Any], sent: Mapping[str, Any]
) -> list[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    holders = [("", desired.get("variables") or {}, sent.get("variables") or {})]
    sent_stages = {str(s.get("name", "")).lower(): s for s in sent.get("environments") or []}
    for stage in desired.get("environments") or []:
        there = sent_stages.get(str(stage.get("name", "")).lower()) or {}
        holders.append(
            (
                f"environments[{stage.get('name')}].",
                stage.get("variables") or {},
                there.get("variables") or {},
            )
        )
    return holders


def _prunable(definitions: tuple[Definition, ...], listings: Mapping[str, list[Document]]) -> list[Item]:
    """DELETE for each definition slotwise owns, in a project and folder the specs cover, that no spec
    names."""
    covered = {(d.project.lower(), d.folder.lower()) for d in definitions}
    named = {(d.project.lower(), d.folder.lower(), d.name.lower()) for d in definitions}
    projects = {d.project.lower(): d.project for d in definitions}
    items: list[Item] = []
    for project, listing in listings.items():
        for doc in sorted(listing, key=_key):
            folder, name = _key(doc)
            if (project, folder) in covered and (project, folder, name) not in named and owned(doc):
                items.append(
                    Item(
                        Action.DELETE,
                        projects[project],
                        str(doc.get("path") or "\\"),
                        str(doc["name"]),
                        definition_id=int(doc["id"]),
                        revision=doc.get("revision"),
                        base=doc,
                    )
                )
    return items
