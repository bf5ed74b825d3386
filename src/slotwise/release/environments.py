"""What a spec asks of a YAML pipeline's environments: one per stage, with its checks, and the
interface to the organization's environments and check configurations.

Per stage (``release.pipeline_yaml.environment_name``): the environment, and on it

- an **Approval** check when the stage has approvals before it: the approvers (identity ids, resolved
  by name like the classic path), ``minRequiredApprovers`` from ``required`` (0: every approver, as
  the service counts), ``executionOrder`` ``inSequence`` for ``order: sequence`` (else ``anyOrder``),
  ``requesterCannotBeApprover`` from ``creatorCanApprove: false``, instructions, and the spec's
  timeout as the check's (at most 30 days: the service's limit);
- an **Exclusive Lock** check when the stage deploys one release at a time (``queueing.maxConcurrent:
  1``, the default): one run at a time on the environment, so two runs never deploy to its slot
  together (which waiting run goes next is the stage's ``lockBehavior`` in the YAML).

Ownership: what slotwise makes carries ``MARKER`` ("managed by slotwise") where a person sees it and
the service keeps it: the environment's description, the Approval check's instructions (approvers
read that the spec is where approvals change), the Exclusive Lock check's ``settings.displayName``
(the field the lock's settings carry, as terraform-provider-azuredevops sets it). Check configurations
have no description or properties of their own, and the server keeps only the settings a check type
knows, so a marker must live in a field the type has. A check without the marker is someone else's:
slotwise leaves it alone.

Must not: read or write Azure DevOps (``devops.environments`` does), decide what to change
(``release.environments_plan``), or print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from slotwise.errors import SpecInvalid
from slotwise.release.model import Approval, Definition, Stage
from slotwise.release.pipeline_yaml import environment_name
from slotwise.release.problems import Problem, Problems
from slotwise.release.resolve import Kind, Reference, Resolver

MARKER = "managed by slotwise"
ENVIRONMENT = "environment"  # a check's resource type
MAX_CHECK_MINUTES = 30 * 24 * 60  # the longest a check may wait (43200 minutes)
LOCK_TIMEOUT = MAX_CHECK_MINUTES  # how long a run waits for the lock
Document = dict[str, Any]


class CheckKind(Enum):
    """The check types slotwise makes: (type id, type name as the service names it)."""

    APPROVAL = ("8c6f20a7-a545-4486-9777-f762fafe0d4d", "Approval")
    EXCLUSIVE_LOCK = ("2ef31ad6-baa0-403a-8b45-2cbc9b4e5563", "ExclusiveLock")

    @property
    def type_id(self) -> str:
        return self.value[0]

    @property
    def label(self) -> str:
        return self.value[1]

    @property
    def type(self) -> Document:
        return {"id": self.type_id, "name": self.label}

    @classmethod
    def of(cls, check: Document) -> CheckKind | None:
        """The kind of a check configuration as read, None for other types."""
        type_id = str((check.get("type") or {}).get("id") or "").lower()
        return next((kind for kind in cls if kind.type_id == type_id), None)


@dataclass(frozen=True)
class DesiredCheck:
    """A check as the spec wants it: its settings (what slotwise sets) and timeout (minutes).
    ``names`` shows approver ids as the spec named them."""

    kind: CheckKind
    timeout: int
    settings: Document
    names: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class DesiredEnvironment:
    """A stage's environment: by name in the spec's project, its description and checks."""

    project: str
    name: str
    stage: str
    definition: str
    description: str
    checks: tuple[DesiredCheck, ...]
    source: str = ""  # where the spec's stage is: file:line


def owned_text(text: object) -> bool:
    """Whether a description, instructions or display name carries slotwise's marker."""
    return isinstance(text, str) and MARKER in text.lower()


def owned_check(check: Document) -> bool:
    """Whether slotwise made this check (its marker field says so)."""
    settings = check.get("settings") or {}
    kind = CheckKind.of(check)
    if kind is CheckKind.APPROVAL:
        return owned_text(settings.get("instructions"))
    if kind is CheckKind.EXCLUSIVE_LOCK:
        return owned_text(settings.get("displayName"))
    return False


def identity_references(definitions: Sequence[Definition]) -> list[Reference]:
    """The names the environments' checks resolve: each approver before a stage, and the projects."""
    found: dict[tuple[Kind, str], Reference] = {}
    for d in definitions:
        found.setdefault((Kind.PROJECT, d.project.lower()), Reference(Kind.PROJECT, "", d.project, d.at))
        for stage in d.stages:
            for approver in stage.before.approvers if stage.before else ():
                key = (Kind.IDENTITY, approver.name.lower())
                found.setdefault(key, Reference(Kind.IDENTITY, "", approver.name, approver.at))
    return list(found.values())


def desired_environments(
    definition: Definition, resolver: Resolver, problems: Problems
) -> list[DesiredEnvironment]:
    """The environments of ``definition``'s stages; a name not found or a timeout a check cannot
    have goes to ``problems`` (the caller raises them all together)."""
    d = definition
    folder = d.folder if d.folder.endswith("\\") else d.folder + "\\"
    found = []
    for stage in d.stages:
        checks = []
        if stage.before is not None:
            approval = _approval(d, stage, stage.before, resolver, problems)
            if approval is not None:
                checks.append(approval)
        if stage.max_concurrent == 1:
            checks.append(_lock(d, stage))
        found.append(
            DesiredEnvironment(
                project=d.project,
                name=environment_name(d, stage),
                stage=stage.name,
                definition=d.name,
                description=f"Stage {stage.name} of the release spec {d.name} ({d.project}{folder}); "
                f"{MARKER}: change the spec, then run slotwise release apply --as yaml.",
                checks=tuple(checks),
                source=f"{stage.at.file}:{stage.at.line}",
            )
        )
    return found


def _approval(
    definition: Definition, stage: Stage, approval: Approval, resolver: Resolver, problems: Problems
) -> DesiredCheck | None:
    before = len(problems)
    if approval.timeout_minutes > MAX_CHECK_MINUTES:
        problems.add(
            stage.at,
            f"the approval before {stage.name} waits {approval.timeout_minutes:,} minutes; an environment's "
            f"approval check waits at most 30 days (30d): shorten the timeout",
        )
    names: dict[str, str] = {}
    for approver in approval.approvers:
        try:
            names[resolver.identity(approver.name, approver.at)] = approver.name
        except SpecInvalid as error:
            if not error.problems:
                raise
            problems.extend(p for p in error.problems if isinstance(p, Problem))
    if len(problems) > before:
        return None
    settings: Document = {
        "approvers": [{"id": identity, "displayName": name} for identity, name in names.items()],
        "executionOrder": "inSequence" if approval.sequential else "anyOrder",
        "minRequiredApprovers": approval.required or 0,
        "requesterCannotBeApprover": not approval.creator_can_approve,
        "instructions": f"Approve to let {stage.name} of {definition.name} deploy. Approvals are "
        f"{MARKER}: change them in the release spec, not here.",
        "blockedApprovers": [],
    }
    return DesiredCheck(CheckKind.APPROVAL, approval.timeout_minutes, settings, names)


def _lock(definition: Definition, stage: Stage) -> DesiredCheck:
    settings = {"displayName": f"One run at a time deploys {stage.name} of {definition.name} ({MARKER})"}
    return DesiredCheck(CheckKind.EXCLUSIVE_LOCK, LOCK_TIMEOUT, settings)


# ---- the organization ----------------------------------------------------------------------------------
class Environments(Protocol):
    """A project's pipeline environments, as raw documents."""

    def list(self, project: str) -> list[Document]:
        """Every environment of ``project`` (every page)."""
        ...

    def create(self, project: str, name: str, description: str) -> Document:
        """Create it; answers the stored environment (with its ``id``)."""
        ...

    def update(self, project: str, environment_id: int, name: str, description: str) -> Document: ...


class Checks(Protocol):
    """The check configurations on a project's environments, as raw documents."""

    def list(self, project: str, environment_id: int) -> list[Document]:
        """Every check on the environment, with its settings."""
        ...

    def create(self, project: str, document: Document) -> Document: ...

    def update(self, project: str, check_id: int, document: Document) -> Document: ...


class EnvironmentOrganization(Protocol):
    """What ``release plan|apply --as yaml`` need of an organization."""

    @property
    def environments(self) -> Environments: ...

    @property
    def checks(self) -> Checks: ...

    def resolver(self, references: Sequence[Reference]) -> Resolver: ...
