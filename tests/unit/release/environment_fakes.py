"""An in-memory organization for ``release plan|apply --as yaml``: environments and check
configurations stored as the service answers them (ids, settings kept whole), every call counted,
and a portal to change things behind slotwise's back. Implements
``slotwise.release.environments.EnvironmentOrganization``."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slotwise.release.resolve import Reference
from tests.fakes import FakeDirectory, FakeResolver
from tests.unit.release.orgs import fabrikam

Document = dict[str, Any]


@dataclass
class Calls:
    made: list[tuple[str, str]] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return sum(1 for verb, _ in self.made if verb != "list")


class FakeEnvironments:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.stored: dict[int, Document] = {}

    def list(self, project: str) -> list[Document]:
        self.calls.made.append(("list", f"environments of {project}"))
        return [copy.deepcopy(e) for e in self.stored.values() if e["project"]["name"] == project]

    def create(self, project: str, name: str, description: str) -> Document:
        self.calls.made.append(("create", f"environment {name}"))
        if any(e["name"].lower() == name.lower() for e in self.stored.values()):
            raise AssertionError(f"environment {name} exists")
        made = {
            "id": len(self.stored) + 1,
            "name": name,
            "description": description,
            "project": {"name": project},
        }
        self.stored[made["id"]] = made
        return copy.deepcopy(made)

    def update(self, project: str, environment_id: int, name: str, description: str) -> Document:
        self.calls.made.append(("update", f"environment {environment_id}"))
        self.stored[environment_id].update(name=name, description=description)
        return copy.deepcopy(self.stored[environment_id])


class FakeChecks:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.stored: dict[int, Document] = {}
        self.next_id = 100

    def list(self, project: str, environment_id: int) -> list[Document]:
        self.calls.made.append(("list", f"checks of {environment_id}"))
        return [copy.deepcopy(c) for c in self.stored.values() if c["resource"]["id"] == str(environment_id)]

    def create(self, project: str, document: Document) -> Document:
        self.calls.made.append(("create", f"{document['type']['name']} check"))
        self.next_id += 1
        made = {**copy.deepcopy(document), "id": self.next_id, "createdBy": {"id": "me"}}
        self.stored[self.next_id] = made
        return copy.deepcopy(made)

    def update(self, project: str, check_id: int, document: Document) -> Document:
        self.calls.made.append(("update", f"check {check_id}"))
        self.stored[check_id].update(copy.deepcopy(document))
        return copy.deepcopy(self.stored[check_id])

    def on(self, environment_id: int) -> list[Document]:
        return [c for c in self.stored.values() if c["resource"]["id"] == str(environment_id)]


class FakeEnvironmentOrganization:
    def __init__(self, directory: FakeDirectory) -> None:
        self.directory = directory
        self.calls = Calls()
        self._environments = FakeEnvironments(self.calls)
        self._checks = FakeChecks(self.calls)

    @property
    def environments(self) -> FakeEnvironments:
        return self._environments

    @property
    def checks(self) -> FakeChecks:
        return self._checks

    def resolver(self, references: Sequence[Reference]) -> FakeResolver:
        self.calls.made.append(("list", "identities"))
        return FakeResolver(self.directory)

    def environment(self, name: str) -> Document:
        return next(e for e in self._environments.stored.values() if e["name"] == name)

    def add_portal_check(self, environment: str, type_id: str, type_name: str, settings: Document) -> int:
        """A check someone made in the portal (no marker)."""
        env = self.environment(environment)
        self._checks.next_id += 1
        check_id = self._checks.next_id
        self._checks.stored[check_id] = {
            "id": check_id,
            "type": {"id": type_id, "name": type_name},
            "resource": {"type": "environment", "id": str(env["id"]), "name": env["name"]},
            "settings": settings,
            "timeout": 60,
        }
        return check_id


def organization() -> FakeEnvironmentOrganization:
    """Fabrikam's names (the templates' approvers), no environments yet."""
    return FakeEnvironmentOrganization(fabrikam().directory)
