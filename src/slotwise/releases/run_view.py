"""A release as a person follows it (``slotwise release status``, ``--watch``): ``ReleaseView``.

From one ``Release`` document of the release API: its name and status, the builds it carries, and
each stage (release environment) with what it is doing (``StageState``), its latest deployment
attempt's tasks, the approvals waiting (who may approve, since when, the timeout) and the decisions
taken (who rejected it, saying what). A failed deployment is a stage the service marks
``rejected`` whose deploy step ``failed``: told apart here from a rejection by an approver.

``as_dict`` is the documented JSON shape of ``status -o json`` (README), not the service's document.

Pure: must not call Azure DevOps, print, or read the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from slotwise.releases.approval_view import Build, build_of
from slotwise.releases.approvals import KINDS, Pending, identity_label, parse_time, pending_of, timeout_of
from slotwise.text import remote

Document = dict[str, Any]

FINISHED_TASK = frozenset({"succeeded", "partiallySucceeded", "failed", "canceled", "skipped"})
# EnvironmentStatus bits: a stage condition's value is a mask of the statuses that let it start
STATUS_BITS = {"succeeded": 4, "canceled": 8, "rejected": 16, "partiallySucceeded": 128}


class StageState(Enum):
    """What a stage is doing, in a person's words."""

    NOT_STARTED = "notStarted"
    QUEUED = "queued"  # waiting for a deployment slot (the stage's queueing policy) or for an agent
    WAITING = "waitingForApproval"
    DEPLOYING = "deploying"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partiallySucceeded"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELED = "canceled"

    @property
    def finished(self) -> bool:
        return self in _FINISHED

    @property
    def moving(self) -> bool:
        return self in (StageState.QUEUED, StageState.DEPLOYING)

    @property
    def words(self) -> str:
        return _WORDS[self]


_FINISHED = frozenset(
    {
        StageState.SUCCEEDED,
        StageState.PARTIALLY_SUCCEEDED,
        StageState.FAILED,
        StageState.REJECTED,
        StageState.CANCELED,
    }
)
_WORDS = {
    StageState.NOT_STARTED: "not started",
    StageState.QUEUED: "queued",
    StageState.WAITING: "waiting for approval",
    StageState.DEPLOYING: "deploying",
    StageState.SUCCEEDED: "succeeded",
    StageState.PARTIALLY_SUCCEEDED: "partially succeeded",
    StageState.FAILED: "failed",
    StageState.REJECTED: "rejected",
    StageState.CANCELED: "canceled",
}


@dataclass(frozen=True)
class TaskRun:
    """One task of a stage's latest deployment attempt."""

    id: int
    name: str
    status: str  # pending, inProgress, succeeded, partiallySucceeded, failed, canceled, skipped
    phase_id: int
    line_count: int

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_TASK

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "status": self.status}


@dataclass(frozen=True)
class Decision:
    """An approval decided by a person (not an automatic one): approved or rejected, by whom."""

    id: int
    kind: str  # "before" or "after" the deployment
    status: str  # approved, rejected, canceled, ...
    by: str
    comment: str
    on: str  # ISO 8601, as the service wrote it

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "when": self.kind,
            "status": self.status,
            "by": self.by,
            "comment": self.comment,
            "on": self.on,
        }


@dataclass(frozen=True)
class Condition:
    """When a stage starts by itself: when the release is created, or after stages end so."""

    on_release: bool
    after: tuple[tuple[str, int], ...] = ()  # (stage name, EnvironmentStatus mask)

    @property
    def automated(self) -> bool:
        return self.on_release or bool(self.after)


@dataclass(frozen=True)
class StageView:
    """One stage: its state, its latest attempt's tasks, approvals waiting and decided."""

    id: int
    name: str
    rank: int
    status: str  # the service's EnvironmentStatus
    state: StageState
    attempt: int
    tasks: tuple[TaskRun, ...] = ()
    waiting: tuple[Pending, ...] = ()
    decisions: tuple[Decision, ...] = ()
    condition: Condition = Condition(on_release=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state.value,
            "status": self.status,
            "attempt": self.attempt,
            "tasks": [t.as_dict() for t in self.tasks],
            "approvalsPending": [_waiting_dict(p) for p in self.waiting],
            "decisions": [d.as_dict() for d in self.decisions],
        }


def _waiting_dict(pending: Pending) -> dict[str, Any]:
    return {
        "id": pending.id,
        "when": pending.kind,
        "approver": pending.approver,
        "approverIsGroup": pending.group,
        "whoMayApprove": pending.who_may,
        "waitingSince": pending.since,
        "timeoutMinutes": pending.timeout_minutes,
        "timesOut": pending.times_out or None,
    }


@dataclass(frozen=True)
class ReleaseView:
    """A release: its builds and its stages, in rank order."""

    id: int
    name: str
    project: str
    definition: str
    definition_id: int
    status: str  # active, abandoned, draft
    url: str
    created_by: str
    reason: str
    builds: tuple[Build, ...]
    stages: tuple[StageView, ...]

    def stage(self, name: str) -> StageView | None:
        return next((s for s in self.stages if s.name.lower() == name.lower()), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "project": self.project,
            "definition": {"id": self.definition_id, "name": self.definition},
            "status": self.status,
            "url": self.url,
            "createdBy": self.created_by,
            "reason": self.reason,
            "builds": [b.as_dict() for b in self.builds],
            "stages": [s.as_dict() for s in self.stages],
        }


def web_url(release: Document) -> str:
    """The release's page in the portal (``_links.web.href``), or "" when the service gave none."""
    links = release.get("_links") or {}
    return str(((links.get("web") or {}).get("href")) or "")


def view_of(release: Document, project: str) -> ReleaseView:
    """The ``ReleaseView`` of one ``Release`` document (as ``get_release`` answers it)."""
    definition = release.get("releaseDefinition") or {}
    creator = release.get("createdBy") or {}
    stages = sorted(release.get("environments") or [], key=lambda e: int(e.get("rank") or 0))
    return ReleaseView(
        id=int(release.get("id") or 0),
        name=remote(str(release.get("name") or ""), 200),
        project=project,
        definition=remote(str(definition.get("name") or ""), 200),
        definition_id=int(definition.get("id") or 0),
        status=str(release.get("status") or ""),
        url=remote(web_url(release), 500),
        created_by=identity_label(creator) if creator else "",
        reason=str(release.get("reason") or ""),
        builds=tuple(build_of(a) for a in release.get("artifacts") or []),
        stages=tuple(_stage(release, e, project) for e in stages),
    )


def latest_step(stage: Document) -> Document | None:
    """The stage's latest deployment attempt (``deploySteps``), or None when never deployed."""
    steps = sorted(stage.get("deploySteps") or [], key=lambda s: int(s.get("attempt") or 0))
    return steps[-1] if steps else None


def _stage(release: Document, stage: Document, project: str) -> StageView:
    step = latest_step(stage)
    attempt = int((step or {}).get("attempt") or 0)
    approvals = [
        a
        for key in ("preDeployApprovals", "postDeployApprovals")
        for a in stage.get(key) or []
        if isinstance(a, dict)
    ]
    current = [a for a in approvals if not attempt or int(a.get("attempt") or attempt) == attempt]
    people = [a for a in current if not a.get("isAutomated")]
    stage_id = int(stage.get("id") or 0)
    waiting = tuple(
        pending_of(a, project, timeout_of(release, stage_id, KINDS.get(str(a.get("approvalType")), "before")))
        for a in people
        if a.get("status") == "pending"
    )
    decisions = tuple(_decision(a) for a in people if a.get("status") not in ("pending", "skipped", None))
    status = str(stage.get("status") or "")
    return StageView(
        id=stage_id,
        name=remote(str(stage.get("name") or ""), 200),
        rank=int(stage.get("rank") or 0),
        status=status,
        state=_state(status, step, waiting, decisions),
        attempt=attempt,
        tasks=_tasks(step),
        waiting=waiting,
        decisions=decisions,
        condition=_condition(stage),
    )


def _state(
    status: str, step: Document | None, waiting: tuple[Pending, ...], decisions: tuple[Decision, ...]
) -> StageState:
    if status == "rejected":
        deployed = str((step or {}).get("status") or "")
        refused = any(d.status == "rejected" for d in decisions)
        return StageState.FAILED if deployed == "failed" and not refused else StageState.REJECTED
    finished = {
        "succeeded": StageState.SUCCEEDED,
        "partiallySucceeded": StageState.PARTIALLY_SUCCEEDED,
        "canceled": StageState.CANCELED,
    }
    if status in finished:
        return finished[status]
    if waiting:
        return StageState.WAITING
    if status in ("queued", "scheduled"):
        return StageState.QUEUED
    if status == "inProgress":
        phases = [p for p in (step or {}).get("releaseDeployPhases") or [] if isinstance(p, dict)]
        started = any(p.get("status") not in (None, "notStarted", "undefined") for p in phases)
        return StageState.DEPLOYING if started or (step or {}).get("hasStarted") else StageState.QUEUED
    return StageState.NOT_STARTED


def _tasks(step: Document | None) -> tuple[TaskRun, ...]:
    found: list[TaskRun] = []
    for phase in (step or {}).get("releaseDeployPhases") or []:
        phase_id = int(phase.get("id") or 0)
        for job in phase.get("deploymentJobs") or []:
            for task in job.get("tasks") or []:
                found.append(
                    TaskRun(
                        id=int(task.get("id") or 0),
                        name=remote(str(task.get("name") or "task"), 200),
                        status=str(task.get("status") or ""),
                        phase_id=phase_id,
                        line_count=int(task.get("lineCount") or 0),
                    )
                )
    return tuple(found)


def _decision(approval: Document) -> Decision:
    by = approval.get("approvedBy") or {}
    history = approval.get("history") or []
    if not by and history:
        by = (history[-1] or {}).get("changedBy") or {}
    return Decision(
        id=int(approval.get("id") or 0),
        kind=KINDS.get(str(approval.get("approvalType")), "before"),
        status=str(approval.get("status") or ""),
        by=identity_label(by) if by else "",
        comment=remote(str(approval.get("comments") or ""), 300),
        on=str(approval.get("modifiedOn") or ""),
    )


def _condition(stage: Document) -> Condition:
    on_release, after = False, []
    for condition in stage.get("conditions") or []:
        kind = condition.get("conditionType")
        kind = (
            {1: "event", 2: "environmentState", 4: "artifact"}.get(kind, kind)
            if isinstance(kind, int)
            else kind
        )
        if kind == "event":
            on_release = True
        elif kind == "environmentState":
            value = str(condition.get("value") or "4")
            after.append((str(condition.get("name") or ""), int(value) if value.isdigit() else 4))
    return Condition(on_release, tuple(after))


def shown_time(text: str) -> str:
    """An ISO time of the service as a person reads it (``2026-12-02 12:12 UTC``)."""
    moment = parse_time(text)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else text
