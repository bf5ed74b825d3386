"""The release spec, typed: what ``build`` makes of a validated spec file and ``render`` turns into
ReleaseDefinition documents.

Every value is final (defaults applied, presets expanded, task inputs checked against task.json);
``verbatim`` holds what a spec cannot express, as a merge patch on the rendered document (the
escape hatch, ``release.verbatim``); names stay names (project, build definition, queue, service
connection, people and groups, variable groups): a ``Resolver`` turns them into ids when rendering.
Each part keeps the ``Location`` it came from, so a name that cannot be resolved later is reported
by file, line and field too.

Must not: parse, validate, resolve or render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from slotwise.release.catalogue import TaskDef, TaskSet
from slotwise.release.problems import Location


class DefaultVersion(Enum):
    """Which build a release takes by default (the artifact's ``defaultVersionType``)."""

    LATEST = "latest"
    LATEST_WITH_BRANCH_AND_TAGS = "latestWithBranchAndTags"
    LATEST_WITH_BUILD_DEFINITION_BRANCH_AND_TAGS = "latestWithBuildDefinitionBranchAndTags"
    SELECT_DURING_RELEASE_CREATION = "selectDuringReleaseCreation"


@dataclass(frozen=True)
class Variable:
    """A release variable: a literal value, or (``from_env``) a value taken from the environment of
    the command that applies the spec; secret ones are always the latter."""

    name: str
    value: str | None
    from_env: str | None
    secret: bool
    settable_at_release: bool
    at: Location


@dataclass(frozen=True)
class Named:
    """A name slotwise resolves to an id (a variable group, an approver...), and where it was written."""

    name: str
    at: Location


@dataclass(frozen=True)
class Retention:
    days: int = 30
    releases_to_keep: int = 3
    retain_build: bool = True


@dataclass(frozen=True)
class Trigger:
    """Continuous deployment: a release for every new build of these branches, with these tags
    (none: every build)."""

    branches: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Artifact:
    build: str  # the build definition's name
    project: str
    alias: str
    default_version: DefaultVersion
    default_branch: str
    default_tags: tuple[str, ...]
    trigger: Trigger | None
    at: Location


@dataclass(frozen=True)
class App:
    service_connection: str
    resource_group: str
    name: str
    slot: str
    app_type: str
    package: str
    checks: str
    at: Location


@dataclass(frozen=True)
class Approval:
    """Approvals before or after a stage deploys."""

    approvers: tuple[Named, ...]
    required: int | None  # None: all of them
    sequential: bool
    timeout_minutes: int
    creator_can_approve: bool
    revalidate_identity: bool


@dataclass(frozen=True)
class Step:
    """A task the stage's agent job runs, with every input as text. ``connection_input`` is the input
    that takes the service connection's id (resolved from ``connection`` when rendering)."""

    task: TaskDef
    name: str
    inputs: dict[str, str]
    connection_input: str
    connection: str
    enabled: bool
    continue_on_error: bool
    condition: str
    timeout_minutes: int
    retries: int
    at: Location


@dataclass(frozen=True)
class AfterRelease:
    """The stage starts as soon as a release is created."""


@dataclass(frozen=True)
class Manual:
    """The stage starts only when someone deploys it."""


@dataclass(frozen=True)
class AfterStages:
    """The stage starts once each of these stages succeeded."""

    stages: tuple[str, ...]


StageStart = AfterRelease | Manual | AfterStages


@dataclass(frozen=True)
class Stage:
    name: str
    rank: int
    start: StageStart
    queue: Named
    vm_image: str | None
    app: App
    before: Approval | None
    after: Approval | None
    steps: tuple[Step, ...]
    variables: tuple[Variable, ...]
    variable_groups: tuple[Named, ...]
    retention: Retention
    max_concurrent: int
    deploy_latest_only: bool
    job_timeout_minutes: int
    at: Location
    verbatim: Mapping[str, Any] = field(default_factory=dict, hash=False)  # a merge patch (release.verbatim)


@dataclass(frozen=True)
class Definition:
    """One release definition, as the spec describes it."""

    name: str
    project: str
    folder: str  # \\ or \\A\\B
    description: str
    release_name_format: str
    tags: tuple[str, ...]
    tasks: TaskSet
    variables: tuple[Variable, ...]
    variable_groups: tuple[Named, ...]
    artifact: Artifact
    stages: tuple[Stage, ...]
    at: Location
    verbatim: Mapping[str, Any] = field(default_factory=dict, hash=False)  # a merge patch (release.verbatim)

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies it in Azure DevOps: project, folder and name (case-insensitively)."""
        return (self.project.lower(), self.folder.lower(), self.name.lower())


@dataclass(frozen=True)
class SpecSet:
    """Every definition of the spec files given to a command, in file order."""

    definitions: tuple[Definition, ...] = field(default_factory=tuple)
    files: tuple[str, ...] = field(default_factory=tuple)
