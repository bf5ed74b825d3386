"""``release plan --as yaml``: what applying specs would do to the YAML pipeline's environments and
their checks, read from Azure DevOps, written nowhere.

``make_environment_plan(specs, org)`` takes specs already loaded and valid, then:

1. resolves every approver (and project) at once (``org.resolver``): every name not found is
   reported together (``SpecInvalid``) before anything else is read;
2. lists each project's environments once and matches each stage's environment by name (ignoring
   case, as the service does);
3. decides per environment: ``CREATE`` (none there: it and all its checks are created); for one
   slotwise made (``MARKER`` in its description), ``UPDATE`` when its description differs, else
   ``UNCHANGED``; one slotwise did not make is ``REFUSED`` (nothing is written to it), or with
   ``adopt`` ``ADOPT``ed (its description marked);
4. per existing environment, reads its checks (one listing, with settings) and decides per check the
   spec wants: ``CREATE`` when slotwise's check of that type is not there, ``UPDATE`` with what differs
   (someone changed it in the portal, or the spec changed: settings slotwise sets and the timeout;
   approvers compared by id, in order only when they approve in sequence), ``UNCHANGED``; each check
   slotwise did not make is ``FOREIGN``: left alone, and said.

A no-op re-apply reads (environments, checks, identities) and writes nothing.

Must not: write to Azure DevOps (``release.environments_apply``), or print.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from slotwise.errors import SpecInvalid
from slotwise.release.diff import Change
from slotwise.release.environments import (
    ENVIRONMENT,
    CheckKind,
    DesiredCheck,
    DesiredEnvironment,
    Document,
    EnvironmentOrganization,
    desired_environments,
    identity_references,
    owned_check,
    owned_text,
)
from slotwise.release.model import SpecSet
from slotwise.release.problems import Problem, Problems


class Action(Enum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ADOPT = "adopt"  # an environment slotwise did not make: marked as slotwise's, checks added
    REFUSED = "refused"  # an environment slotwise did not make: left alone
    FOREIGN = "foreign"  # a check slotwise did not make: left alone

    @property
    def writes(self) -> bool:
        return self in (Action.CREATE, Action.UPDATE, Action.ADOPT)


@dataclass(frozen=True)
class CheckItem:
    """One check's planned action; ``document`` is what a create or update sends."""

    action: Action
    kind: str  # Approval, ExclusiveLock, or the foreign check's type name
    check_id: int | None = None
    changes: tuple[Change, ...] = ()
    document: Document | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "type": self.kind,
            "id": self.check_id,
            "changes": [change.as_dict() for change in self.changes],
        }


@dataclass(frozen=True)
class EnvironmentItem:
    """One environment's planned action, and its checks'."""

    action: Action
    desired: DesiredEnvironment
    environment_id: int | None = None
    changes: tuple[Change, ...] = ()
    checks: tuple[CheckItem, ...] = ()

    @property
    def title(self) -> str:
        return f"{self.desired.project}/{self.desired.name}"

    @property
    def writes(self) -> int:
        own = 1 if self.action.writes and (self.changes or self.action is Action.CREATE) else 0
        return own + sum(1 for check in self.checks if check.action.writes)

    def as_dict(self) -> dict[str, Any]:
        d = self.desired
        return {
            "action": self.action.value,
            "project": d.project,
            "environment": d.name,
            "id": self.environment_id,
            "stage": d.stage,
            "definition": d.definition,
            "spec": d.source or None,
            "changes": [change.as_dict() for change in self.changes],
            "checks": [check.as_dict() for check in self.checks],
        }


@dataclass(frozen=True)
class EnvironmentPlan:
    items: tuple[EnvironmentItem, ...]

    @property
    def writes(self) -> int:
        return sum(item.writes for item in self.items)

    @property
    def refused(self) -> tuple[EnvironmentItem, ...]:
        return tuple(item for item in self.items if item.action is Action.REFUSED)

    def count(self, action: Action) -> int:
        return sum(1 for item in self.items for check in item.checks if check.action is action)

    def summary(self) -> str:
        environments = {a: sum(1 for i in self.items if i.action is a) for a in Action}
        parts = [
            f"environments: {environments[Action.CREATE]} to create, {environments[Action.UPDATE]} to "
            f"update, {environments[Action.UNCHANGED]} unchanged",
            f"checks: {self.count(Action.CREATE)} to create, {self.count(Action.UPDATE)} to update, "
            f"{self.count(Action.UNCHANGED)} unchanged",
        ]
        parts += [f"{n} environments to adopt" for n in [environments[Action.ADOPT]] if n]
        parts += [f"{n} environments refused (not slotwise's)" for n in [environments[Action.REFUSED]] if n]
        parts += [f"{n} checks not slotwise's left alone" for n in [self.count(Action.FOREIGN)] if n]
        return "Plan: " + "; ".join(parts) + "."

    def as_dict(self) -> dict[str, Any]:
        return {"items": [item.as_dict() for item in self.items], "writes": self.writes}


def make_environment_plan(
    specs: SpecSet, org: EnvironmentOrganization, *, adopt: bool = False
) -> EnvironmentPlan:
    """The plan for the environments of ``specs`` (loaded and valid) against ``org``; reads only."""
    wanted = desired(specs, org)
    listings: dict[str, list[Document]] = {}
    for environment in wanted:
        if environment.project.lower() not in listings:
            listings[environment.project.lower()] = org.environments.list(environment.project)
    items = [_decide(e, listings[e.project.lower()], org, adopt=adopt) for e in wanted]
    return EnvironmentPlan(tuple(items))


def desired(specs: SpecSet, org: EnvironmentOrganization) -> list[DesiredEnvironment]:
    """Every stage's environment, names resolved in bulk; ``SpecInvalid`` with every problem."""
    definitions = specs.definitions
    resolver = org.resolver(identity_references(definitions))
    problems = Problems()
    found: list[DesiredEnvironment] = []
    for definition in definitions:
        try:
            resolver.project(definition.project, definition.at)
        except SpecInvalid as error:
            if not error.problems:
                raise
            problems.extend(p for p in error.problems if isinstance(p, Problem))
            continue
        found += desired_environments(definition, resolver, problems)
    problems.raise_if_any([d.at.file for d in definitions])
    return found


def _decide(
    desired_: DesiredEnvironment, listing: list[Document], org: EnvironmentOrganization, *, adopt: bool
) -> EnvironmentItem:
    there = next((e for e in listing if str(e.get("name", "")).lower() == desired_.name.lower()), None)
    if there is None:
        checks = tuple(
            CheckItem(Action.CREATE, c.kind.label, document=_document(c, None)) for c in desired_.checks
        )
        return EnvironmentItem(Action.CREATE, desired_, checks=checks)
    item = EnvironmentItem(Action.UNCHANGED, desired_, environment_id=int(there["id"]))
    ours = owned_text(there.get("description"))
    if not ours and not adopt:
        return replace(item, action=Action.REFUSED)
    changes = _differences(
        {"description": there.get("description") or ""}, {"description": desired_.description}
    )
    action = Action.ADOPT if not ours else (Action.UPDATE if changes else Action.UNCHANGED)
    existing = org.checks.list(desired_.project, int(there["id"]))
    return replace(item, action=action, changes=tuple(changes), checks=tuple(_checks(desired_, existing)))


def _checks(desired_: DesiredEnvironment, existing: list[Document]) -> list[CheckItem]:
    items: list[CheckItem] = []
    mine = [c for c in existing if owned_check(c)]
    for wanted in desired_.checks:
        found = next((c for c in mine if CheckKind.of(c) is wanted.kind), None)
        if found is None:
            items.append(CheckItem(Action.CREATE, wanted.kind.label, document=_document(wanted, None)))
            continue
        changes = _check_changes(found, wanted)
        items.append(
            CheckItem(
                Action.UPDATE if changes else Action.UNCHANGED,
                wanted.kind.label,
                check_id=int(found["id"]),
                changes=tuple(changes),
                document=_document(wanted, found) if changes else None,
            )
        )
    for check in existing:
        if not owned_check(check):
            name = str((check.get("type") or {}).get("name") or (check.get("type") or {}).get("id"))
            items.append(CheckItem(Action.FOREIGN, name, check_id=int(check["id"])))
    return items


def _document(wanted: DesiredCheck, existing: Document | None) -> Document:
    """What a create (``existing`` None: the resource is filled in when the environment exists) or an
    update sends: the existing settings with slotwise's laid over them, its type and timeout."""
    settings = dict((existing or {}).get("settings") or {})
    settings.update(wanted.settings)
    document: Document = {"type": wanted.kind.type, "settings": settings, "timeout": wanted.timeout}
    if existing is not None:
        document["resource"] = existing.get("resource")
    return document


def resource(environment_id: int, name: str) -> Document:
    return {"type": ENVIRONMENT, "id": str(environment_id), "name": name}


def _check_changes(existing: Document, wanted: DesiredCheck) -> list[Change]:
    settings = existing.get("settings") or {}
    before: dict[str, Any] = {"timeout": existing.get("timeout")}
    after: dict[str, Any] = {"timeout": wanted.timeout}
    for key, value in wanted.settings.items():
        if key == "approvers":
            sequence = wanted.settings.get("executionOrder") == "inSequence"
            before[key] = _approvers(settings.get(key) or [], wanted.names, ordered=sequence)
            after[key] = _approvers(value, wanted.names, ordered=sequence)
        else:
            before[key] = settings.get(key)
            after[key] = value
    return _differences(before, after)


def _approvers(approvers: Iterable[Any], names: Mapping[str, str], *, ordered: bool) -> list[str]:
    """Approvers as people read them: the spec's name for an id it names, else the server's display
    name (or the id); sorted unless their order matters."""
    shown = [
        names.get(str(a.get("id")).lower())
        or names.get(str(a.get("id")))
        or str(a.get("displayName") or a.get("id"))
        for a in approvers
        if isinstance(a, Mapping)
    ]
    return shown if ordered else sorted(shown, key=str.lower)


def _differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    return [
        Change(key, _show(before.get(key)), _show(value))
        for key, value in after.items()
        if before.get(key) != value
    ]


def _show(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)
