"""Names in a spec turned into the ids a ReleaseDefinition carries: the ``Resolver`` interface.

A spec names everything by name; a ReleaseDefinition needs ids: the project's id (GUID), the agent
queue's id, the service connection's id (GUID), the build definition's id, each approver's
identity id (GUID), each variable group's id, and the task ids (known from task.json, but the
organization must have the task). Values taken from the environment (``fromEnv``) come through the
resolver too, so rendering never reads the environment itself.

- ``OfflineResolver`` resolves nothing: it answers placeholders (``<queue:Azure Pipelines>``,
  ``<secret:API_KEY>``) for ``release render --offline``.
- A resolver that asks Azure DevOps comes with ``release plan``/``apply``: it should read in bulk
  (``references`` lists every name a definition will ask for, before rendering) and raise a
  ``SpecInvalid`` naming the ``Location`` of a name it cannot find, with its near matches.

Must not: talk to Azure DevOps here, or print.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from slotwise.release.catalogue import TaskDef
from slotwise.release.model import Definition, Variable
from slotwise.release.problems import Location

Id = int | str  # an id, or (offline) a placeholder in its place


class Resolver(Protocol):
    """Names to ids, for one render; ``at`` is where the name was written (for messages)."""

    def project(self, name: str, at: Location) -> str: ...

    def queue(self, project: str, name: str, at: Location) -> Id: ...

    def service_endpoint(self, project: str, name: str, at: Location) -> str: ...

    def build_definition(self, project: str, name: str, at: Location) -> Id: ...

    def identity(self, name: str, at: Location) -> str: ...

    def variable_group(self, project: str, name: str, at: Location) -> Id: ...

    def task(self, task: TaskDef, at: Location) -> str: ...

    def environment(self, variable: Variable) -> str: ...


class OfflineResolver:
    """Placeholders instead of ids (``<kind:name>``); task ids from task.json; environment values
    as ``<env:NAME>`` (``<secret:NAME>`` for secrets): nothing is looked up, nothing is read."""

    def project(self, name: str, at: Location) -> str:
        return f"<project:{name}>"

    def queue(self, project: str, name: str, at: Location) -> Id:
        return f"<queue:{name}>"

    def service_endpoint(self, project: str, name: str, at: Location) -> str:
        return f"<endpoint:{name}>"

    def build_definition(self, project: str, name: str, at: Location) -> Id:
        return f"<build-definition:{name}>"

    def identity(self, name: str, at: Location) -> str:
        return f"<identity:{name}>"

    def variable_group(self, project: str, name: str, at: Location) -> Id:
        return f"<variable-group:{name}>"

    def task(self, task: TaskDef, at: Location) -> str:
        return task.id

    def environment(self, variable: Variable) -> str:
        return f"<{'secret' if variable.secret else 'env'}:{variable.from_env}>"


class Kind(Enum):
    """What a name names."""

    PROJECT = "project"
    QUEUE = "queue"
    SERVICE_ENDPOINT = "service-endpoint"
    BUILD_DEFINITION = "build-definition"
    IDENTITY = "identity"
    VARIABLE_GROUP = "variable-group"
    TASK = "task"
    ENVIRONMENT = "environment"


@dataclass(frozen=True)
class Reference:
    """A name rendering ``Definition`` will resolve: what it names, in which project (or ``""``)."""

    kind: Kind
    project: str
    name: str
    at: Location


def references(definition: Definition) -> list[Reference]:
    """Every name rendering ``definition`` resolves, each once, sorted: what a resolver that talks
    to Azure DevOps reads in bulk before rendering."""
    found: dict[tuple[Kind, str, str], Reference] = {}
    for ref in _references(definition):
        found.setdefault((ref.kind, ref.project.lower(), ref.name.lower()), ref)
    return sorted(found.values(), key=lambda r: (r.kind.value, r.project.lower(), r.name.lower()))


def _references(d: Definition) -> Iterator[Reference]:
    project, artifact = d.project, d.artifact  # the definition's project: named in each lookup in it
    yield Reference(Kind.PROJECT, "", artifact.project, artifact.at)
    yield Reference(Kind.BUILD_DEFINITION, artifact.project, artifact.build, artifact.at)
    yield from (Reference(Kind.VARIABLE_GROUP, project, g.name, g.at) for g in d.variable_groups)
    yield from _environment(d.variables)
    for stage in d.stages:
        yield Reference(Kind.QUEUE, project, stage.queue.name, stage.queue.at)
        yield from (Reference(Kind.VARIABLE_GROUP, project, g.name, g.at) for g in stage.variable_groups)
        yield from _environment(stage.variables)
        for approval in (stage.before, stage.after):
            yield from (
                (Reference(Kind.IDENTITY, "", a.name, a.at) for a in approval.approvers) if approval else ()
            )
        for step in stage.steps:
            yield Reference(Kind.SERVICE_ENDPOINT, project, step.connection, step.at)
            yield Reference(Kind.TASK, "", step.task.reference, step.at)


def _environment(variables: tuple[Variable, ...]) -> Iterator[Reference]:
    for variable in variables:
        if variable.from_env is not None:
            yield Reference(Kind.ENVIRONMENT, "", variable.from_env, variable.at)
