"""How a release's stages move: conditions, the queueing policy, approvals, the deployment job, the end.

A stage is triggered by its conditions (``ReleaseStarted`` event: when the release is made;
``environmentState`` with a mask of ``EnvironmentStatus`` bits: when every named stage has finished
in one of those statuses; none: manual only) or by a person (``PATCH`` of the environment). Then:

    queued (the queueing policy holds it) -> preApproval -> deploying (the job on the agent pool)
    -> postApproval -> succeeded | partiallySucceeded; rejected (an approval rejected or timed out,
    or the job failed); canceled (abandoned, or a newer release took its place in the queue)

``executionPolicy``: ``concurrencyCount`` (1: one deployment of the stage at a time across the
definition's releases; 0: unlimited), ``queueDepthCount`` (0: the waiting ones deploy in order;
n: only the newest n wait, older waiting ones are canceled). A stage occupies its slot from
preApproval to the end. ``advance`` is called after every change and on each clock tick; it is
idempotent. Stage statuses while waiting: ``queued`` (held by the policy), ``inProgress`` (approvals,
deploying): the emulator's choice where the public contract says nothing, see emulator/README.md.

Must not: know HTTP or render; call a pool other than through ``Runtime.start_job``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from slotwise_emulator.backends import devops_approvals as approvals
from slotwise_emulator.backends.devops_jobs import JobOutcome
from slotwise_emulator.backends.devops_release_model import (
    ENVIRONMENT_STATUS_BITS,
    FINISHED,
    POST,
    PRE,
    Deployment,
    Release,
    Stage,
)

_RESULT_STATUS = {  # the job's result -> (stage status, deployment status, operation status)
    "succeeded": ("succeeded", "succeeded", "phaseSucceeded"),
    "succeededWithIssues": ("partiallySucceeded", "partiallySucceeded", "phasePartiallySucceeded"),
    "failed": ("rejected", "failed", "phaseFailed"),
    "canceled": ("canceled", "failed", "phaseCanceled"),
    "skipped": ("canceled", "failed", "phaseCanceled"),
}


class Runtime(Protocol):
    """What the flow needs of the releases backend."""

    def now(self) -> float: ...

    def next_id(self, release: Release) -> int: ...

    def identity(self, release: Release, identity_id: str) -> dict[str, Any] | None: ...

    def start_job(self, release: Release, stage: Stage) -> None: ...

    def cancel_job(self, job_id: str) -> None: ...

    def releases_of(self, release: Release) -> list[Release]: ...


def _conditions(stage: Stage) -> list[dict[str, Any]]:
    return [c for c in stage.snapshot.get("conditions") or [] if isinstance(c, dict)]


def _condition_type(condition: dict[str, Any]) -> str:
    kind = condition.get("conditionType")
    return (
        {1: "event", 2: "environmentState", 4: "artifact"}.get(kind, str(kind))
        if isinstance(kind, int)
        else str(kind)
    )


def on_release_start(stage: Stage) -> bool:
    return not stage.manual and any(_condition_type(c) == "event" for c in _conditions(stage))


def _after_stages_met(release: Release, stage: Stage) -> bool:
    states = [c for c in _conditions(stage) if _condition_type(c) == "environmentState"]
    if not states or stage.manual:
        return False
    for condition in states:
        other = next(
            (s for s in release.stages if s.name.lower() == str(condition.get("name", "")).lower()), None
        )
        mask = int(str(condition.get("value") or "4")) if str(condition.get("value") or "4").isdigit() else 4
        if other is None or other.status not in FINISHED or not ENVIRONMENT_STATUS_BITS[other.status] & mask:
            return False
    return True


def trigger(rt: Runtime, release: Release, stage: Stage, reason: str, who: dict[str, Any]) -> None:
    """Start a deployment of the stage (a new attempt): it waits in the queue, then for approvals."""
    now = rt.now()
    attempt = len(stage.deployments) + 1
    phase_id = rt.next_id(release)
    stage.deployments.append(
        Deployment(
            id=rt.next_id(release),
            attempt=attempt,
            phase_id=phase_id,
            job_id="",
            plan_id="",
            requested_by=who,
            queued_on=now,
            last_modified=now,
        )
    )
    stage.status, stage.step, stage.trigger_reason = "queued", "queued", reason
    stage.step_since = stage.modified_on = now


def _policy(stage: Stage) -> tuple[int, int]:
    policy = stage.snapshot.get("executionPolicy") or {}
    return int(policy.get("concurrencyCount") or 0), int(policy.get("queueDepthCount") or 0)


def _occupying(rt: Runtime, release: Release, stage: Stage) -> int:
    busy = 0
    for other in rt.releases_of(release):
        for s in other.stages:
            if s.definition_environment_id == stage.definition_environment_id and s.step in (
                "preApproval",
                "deploying",
                "postApproval",
            ):
                busy += 1
    return busy


def _admit_queued(rt: Runtime, release: Release) -> None:
    """Move queued stages of this definition on as the queueing policy allows, oldest first."""
    waiting = [
        (r, s)
        for r in rt.releases_of(release)
        if r.status == "active"
        for s in r.stages
        if s.step == "queued"
    ]
    waiting.sort(key=lambda rs: (rs[1].step_since, rs[0].id))
    for other, stage in waiting:
        concurrency, depth = _policy(stage)
        same = [
            (r, s)
            for r, s in waiting
            if s.definition_environment_id == stage.definition_environment_id and s.step == "queued"
        ]
        if depth and len(same) > depth and (other, stage) in same[: len(same) - depth]:
            _finish(rt, other, stage, "canceled", "notDeployed", "canceled")
            continue
        if concurrency and _occupying(rt, other, stage) >= concurrency:
            continue
        _enter(rt, other, stage, "preApproval")


def _enter(rt: Runtime, release: Release, stage: Stage, step: str) -> None:
    now = rt.now()
    stage.step, stage.step_since, stage.modified_on = step, now, now
    stage.status = "inProgress"
    deployment = stage.deployment
    assert deployment is not None
    deployment.last_modified = now
    if step in ("preApproval", "postApproval"):
        kind = PRE if step == "preApproval" else POST
        deployment.operation = "pending"
        if not approvals.required(stage, kind):
            _after_approvals(rt, release, stage, kind)
            return
        approvals.open_next_rank(
            release,
            stage,
            kind,
            deployment.attempt,
            now,
            lambda: rt.next_id(release),
            lambda i: rt.identity(release, i),
        )
    elif step == "deploying":
        deployment.status, deployment.operation, deployment.started = "inProgress", "queuedForAgent", now
        rt.start_job(release, stage)


def _after_approvals(rt: Runtime, release: Release, stage: Stage, kind: str) -> None:
    deployment = stage.deployment
    assert deployment is not None
    if kind == PRE:
        deployment.operation = "approved"
        _enter(rt, release, stage, "deploying")
        return
    status, dep_status, op = _RESULT_STATUS[deployment.outcome.result if deployment.outcome else "succeeded"]
    _finish(rt, release, stage, status, dep_status, op)


def _finish(
    rt: Runtime, release: Release, stage: Stage, status: str, dep_status: str, operation: str
) -> None:
    now = rt.now()
    stage.status, stage.step, stage.modified_on = status, "", now
    deployment = stage.deployment
    if deployment is not None:
        deployment.status, deployment.operation, deployment.last_modified = dep_status, operation, now
        deployment.finished = deployment.finished or now
        for kind in (PRE, POST):
            approvals.close_step(
                stage, kind, deployment.attempt, "canceled" if status == "canceled" else "skipped", now
            )


def job_done(rt: Runtime, release: Release, stage: Stage, outcome: JobOutcome) -> None:
    """The pool's callback: the job ended; post-deployment approvals follow a job that did not fail."""
    deployment = stage.deployment
    if deployment is None or stage.step != "deploying":
        return  # canceled meanwhile
    deployment.outcome, deployment.finished = outcome, rt.now()
    status, dep_status, op = _RESULT_STATUS[outcome.result]
    deployment.status, deployment.operation = dep_status, op
    if status in ("rejected", "canceled"):
        _finish(rt, release, stage, status, dep_status, op)
    else:
        _enter(rt, release, stage, "postApproval")
    advance(rt, release)


def cancel(rt: Runtime, release: Release, stage: Stage) -> None:
    """Stop the stage's deployment where it is (abandon, a person's cancel)."""
    if stage.step == "deploying" and stage.deployment is not None:
        rt.cancel_job(stage.deployment.job_id)
    if stage.step:
        dep_status = stage.deployment.status if stage.deployment else "notDeployed"
        _finish(
            rt, release, stage, "canceled", "failed" if dep_status == "inProgress" else dep_status, "canceled"
        )


def advance(rt: Runtime, release: Release) -> None:
    """Everything that can happen now, in this release and the definition's queue: approval steps
    decided or timed out, stages whose conditions are met triggered, queued ones admitted."""
    now = rt.now()
    changed = True
    while changed:
        changed = False
        for other in rt.releases_of(release):
            changed |= _step_approvals(rt, other, now)
        if release.status == "active":
            for stage in release.stages:
                if (
                    stage.status == "notStarted"
                    and not stage.deployments
                    and _after_stages_met(release, stage)
                ):
                    trigger(rt, release, stage, "AfterSuccessfulEnvironmentDeployment", release.created_by)
                    changed = True
        before = [(s.id, s.step) for r in rt.releases_of(release) for s in r.stages]
        _admit_queued(rt, release)
        changed |= before != [(s.id, s.step) for r in rt.releases_of(release) for s in r.stages]


def _step_approvals(rt: Runtime, release: Release, now: float) -> bool:
    changed = False
    for stage in release.stages:
        if stage.step not in ("preApproval", "postApproval") or stage.deployment is None:
            continue
        kind, attempt = (PRE if stage.step == "preApproval" else POST), stage.deployment.attempt
        approvals.expire(stage, kind, attempt, now)
        state = approvals.step_state(stage, kind, attempt)
        if state == "rejected":
            approvals.close_step(stage, kind, attempt, "skipped", now)
            dep_status = "notDeployed" if kind == PRE else stage.deployment.status
            _finish(rt, release, stage, "rejected", dep_status, "rejected")
            changed = True
        elif state == "enough" or (state == "approved" and not _open(rt, release, stage, kind, attempt, now)):
            approvals.close_step(stage, kind, attempt, "skipped", now)
            _after_approvals(rt, release, stage, kind)
            changed = True
    return changed


def _open(rt: Runtime, release: Release, stage: Stage, kind: str, attempt: int, now: float) -> bool:
    next_id: Callable[[], int] = lambda: rt.next_id(release)  # noqa: E731
    return approvals.open_next_rank(
        release, stage, kind, attempt, now, next_id, lambda i: rt.identity(release, i)
    )
