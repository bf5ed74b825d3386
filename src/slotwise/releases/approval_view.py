"""What an approver is about to let through (``slotwise approvals show``): ``ApprovalView``.

From the approval and its release (``Release`` document): the build the release carries (its
number, branch and commit, per artifact), the stage the approval gates and the tasks that stage
will run, and each earlier stage with its status, its tasks' results and the summaries those tasks
uploaded (``##vso[task.uploadsummary]``: the smoke-test table, what each slot holds, how to roll
back), read through an ``ApprovalsGateway``. Only what the release API offers.

Must not: print, or decide anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slotwise.releases.approvals import Pending, pending_of, stage_of, timeout_of
from slotwise.releases.deciding import ApprovalsGateway, locate
from slotwise.text import remote

Document = dict[str, Any]


@dataclass(frozen=True)
class Build:
    """One artifact of the release: the build it takes."""

    alias: str
    definition: str
    number: str
    branch: str
    commit: str
    primary: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "definition": self.definition,
            "number": self.number,
            "branch": self.branch,
            "commit": self.commit,
            "primary": self.primary,
        }


@dataclass(frozen=True)
class StageRun:
    """An earlier stage: its status, its tasks' results, the summaries its tasks uploaded."""

    name: str
    status: str
    tasks: tuple[tuple[str, str], ...] = ()  # (task name, status)
    summaries: tuple[tuple[str, str], ...] = ()  # (name, markdown)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "tasks": [{"name": n, "status": s} for n, s in self.tasks],
            "summaries": [{"name": n, "markdown": m} for n, m in self.summaries],
        }


@dataclass(frozen=True)
class ApprovalView:
    """The approval, the release's builds, the gated stage's tasks, the earlier stages' runs."""

    approval: Pending
    release_status: str
    created_by: str
    reason: str
    builds: tuple[Build, ...]
    stage_tasks: tuple[str, ...]
    earlier: tuple[StageRun, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "approval": self.approval.as_dict(),
            "releaseStatus": self.release_status,
            "createdBy": self.created_by,
            "reason": self.reason,
            "builds": [b.as_dict() for b in self.builds],
            "stageTasks": list(self.stage_tasks),
            "earlierStages": [s.as_dict() for s in self.earlier],
        }


def view(gateway: ApprovalsGateway, approval_id: int, project: str | None) -> ApprovalView:
    """Everything ``show`` prints about approval ``approval_id`` (in ``project``, else found)."""
    where, document = locate(gateway, approval_id, project)
    first = pending_of(document, where)
    release = gateway.release(where, first.release_id)
    pending = pending_of(document, where, timeout_of(release, first.stage_id, first.kind))
    stage = dict(stage_of(release, pending.stage_id) or {})
    rank = int(stage.get("rank") or 0)
    earlier = sorted(
        (e for e in release.get("environments") or [] if int(e.get("rank") or 0) < rank),
        key=lambda e: int(e.get("rank") or 0),
    )
    creator = release.get("createdBy") or {}
    return ApprovalView(
        approval=pending,
        release_status=str(release.get("status") or ""),
        created_by=remote(str(creator.get("uniqueName") or creator.get("displayName") or ""), 200),
        reason=str(release.get("reason") or ""),
        builds=tuple(build_of(a) for a in release.get("artifacts") or []),
        stage_tasks=_planned_tasks(stage),
        earlier=tuple(_run(gateway, where, pending.release_id, e) for e in earlier),
    )


def _value(reference: Document, key: str) -> str:
    item = reference.get(key) or {}
    return remote(str(item.get("name") or item.get("id") or ""), 200)


def build_of(artifact: Document) -> Build:
    """The build one artifact of a release document takes."""
    reference = artifact.get("definitionReference") or {}
    return Build(
        alias=remote(str(artifact.get("alias") or ""), 100),
        definition=_value(reference, "definition"),
        number=_value(reference, "version"),
        branch=_value(reference, "branch"),
        commit=_value(reference, "sourceVersion"),
        primary=bool(artifact.get("isPrimary")),
    )


def _planned_tasks(stage: Document) -> tuple[str, ...]:
    """The enabled tasks of the stage's agent jobs, in order."""
    names: list[str] = []
    for phase in stage.get("deployPhasesSnapshot") or []:
        for task in phase.get("workflowTasks") or []:
            if task.get("enabled", True):
                names.append(remote(str(task.get("name") or task.get("refName") or "task"), 200))
    return tuple(names)


def _run(gateway: ApprovalsGateway, project: str, release_id: int, stage: Document) -> StageRun:
    """An earlier stage's latest deployment attempt: its tasks and the summaries they uploaded."""
    steps = sorted(stage.get("deploySteps") or [], key=lambda s: int(s.get("attempt") or 0))
    name, status = remote(str(stage.get("name") or ""), 200), str(stage.get("status") or "")
    if not steps:
        return StageRun(name, status)
    step = steps[-1]
    tasks = tuple(
        (remote(str(t.get("name") or ""), 200), str(t.get("status") or ""))
        for phase in step.get("releaseDeployPhases") or []
        for job in phase.get("deploymentJobs") or []
        for t in job.get("tasks") or []
    )
    plan = str(step.get("runPlanId") or "")
    summaries: list[tuple[str, str]] = []
    if plan:
        attempt, stage_id = int(step.get("attempt") or 1), int(stage.get("id") or 0)
        for attachment in gateway.summaries(project, release_id, stage_id, attempt, plan):
            text = gateway.summary_text(project, release_id, stage_id, attempt, plan, attachment)
            summaries.append((remote(str(attachment.get("name") or ""), 200), text))
    return StageRun(name, status, tasks, tuple(summaries))
