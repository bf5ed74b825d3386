"""Resolvers for the tests: fixed ids for names (what Azure DevOps would answer, deterministically),
and one that records what it was asked. Implementations of ``slotwise.release.resolve.Resolver``."""

from __future__ import annotations

import uuid
import zlib

from slotwise.release.catalogue import TaskDef
from slotwise.release.model import Variable
from slotwise.release.problems import Location
from slotwise.release.resolve import Id, Kind

NAMESPACE = uuid.UUID("6f0a8a55-34c1-4d9b-9a44-51f1c2d2b7a1")


def guid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name.lower()}"))


def number(kind: str, name: str) -> int:
    return zlib.crc32(f"{kind}:{name.lower()}".encode()) % 100_000 + 1


class FixedResolver:
    """Ids as Azure DevOps types them: GUIDs for projects, endpoints and identities, integers for
    queues, build definitions and variable groups; environment values from ``env``."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = env or {}

    def project(self, name: str, at: Location) -> str:
        return guid("project", name)

    def queue(self, project: str, name: str, at: Location) -> Id:
        return number("queue", f"{project}/{name}")

    def service_endpoint(self, project: str, name: str, at: Location) -> str:
        return guid("endpoint", f"{project}/{name}")

    def build_definition(self, project: str, name: str, at: Location) -> Id:
        return number("build", f"{project}/{name}")

    def identity(self, name: str, at: Location) -> str:
        return guid("identity", name)

    def variable_group(self, project: str, name: str, at: Location) -> Id:
        return number("group", f"{project}/{name}")

    def task(self, task: TaskDef, at: Location) -> str:
        return task.id

    def environment(self, variable: Variable) -> str:
        return self.env[str(variable.from_env)]


class RecordingResolver(FixedResolver):
    """``FixedResolver`` that notes each (kind, project, name) it is asked for."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.asked: set[tuple[Kind, str, str]] = set()

    def project(self, name: str, at: Location) -> str:
        self.asked.add((Kind.PROJECT, "", name))
        return super().project(name, at)

    def queue(self, project: str, name: str, at: Location) -> Id:
        self.asked.add((Kind.QUEUE, project, name))
        return super().queue(project, name, at)

    def service_endpoint(self, project: str, name: str, at: Location) -> str:
        self.asked.add((Kind.SERVICE_ENDPOINT, project, name))
        return super().service_endpoint(project, name, at)

    def build_definition(self, project: str, name: str, at: Location) -> Id:
        self.asked.add((Kind.BUILD_DEFINITION, project, name))
        return super().build_definition(project, name, at)

    def identity(self, name: str, at: Location) -> str:
        self.asked.add((Kind.IDENTITY, "", name))
        return super().identity(name, at)

    def variable_group(self, project: str, name: str, at: Location) -> Id:
        self.asked.add((Kind.VARIABLE_GROUP, project, name))
        return super().variable_group(project, name, at)

    def task(self, task: TaskDef, at: Location) -> str:
        self.asked.add((Kind.TASK, "", task.reference))
        return super().task(task, at)

    def environment(self, variable: Variable) -> str:
        self.asked.add((Kind.ENVIRONMENT, "", str(variable.from_env)))
        return super().environment(variable)
