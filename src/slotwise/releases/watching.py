"""Following a release live (``release start --watch``, ``release status --watch``).

``changes`` is what happened between two polls (two ``ReleaseView`` of the same release): a stage
queued or deploying, each task's result as it finishes, an approval waiting or decided, a stage that
ended; each is told once. ``ending`` says whether the release stopped moving and how: succeeded
(partially succeeded stages named), failed, rejected (or canceled), or waiting for a person (an
approval pending, or a stage that deploys only when someone starts it; or a stage queued behind an
older release whose same stage waits for approval: ``queued_behind``). A stage about to start by
itself (its conditions are met) is waited for a few polls: the service starts it a moment later.

``watch`` polls with one ``get_release`` per poll, reads each finished task's last log lines once
(the task log API), tells each event, sleeps on the injected ``Clock`` and gives up after
``timeout`` (``OperationTimeout``; the release goes on). ``conclude`` turns an ending into the
command's result: nothing (succeeded), or ``ReleaseWaiting`` / ``ReleaseFailed`` / ``ReleaseRejected``.
Ctrl-C while watching is ``Cancelled``, saying the release goes on.

Must not: print (it tells events), read the environment, or sleep other than on the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from enum import Enum

from slotwise.errors import (
    Cancelled,
    OperationTimeout,
    ReleaseFailed,
    ReleaseRejected,
    ReleaseWaiting,
    RemoteError,
)
from slotwise.releases.agent_log import noteworthy, readable
from slotwise.releases.approvals import Pending
from slotwise.releases.run_gateway import ReleasesGateway
from slotwise.releases.run_view import (
    STATUS_BITS,
    Decision,
    ReleaseView,
    StageState,
    StageView,
    TaskRun,
    view_of,
)
from slotwise.text import remote
from slotwise.timing import Clock

LOG_LINES = 5  # the last lines of a finished task's log shown while watching
LOG_FRAMING = 3  # more lines read, for the agent's framing lines ("Finishing: ...") left out
SETTLE_POLLS = 3  # polls a stage whose conditions are met is given to start
QUEUE_LOOKBACK = 10  # the definition's newest releases looked at for what a queued stage waits behind


class Kind(Enum):
    """What happened to a stage."""

    STAGE_QUEUED = "stageQueued"
    STAGE_DEPLOYING = "stageDeploying"
    TASK_FINISHED = "taskFinished"
    APPROVAL_DECIDED = "approvalDecided"
    APPROVAL_WAITING = "approvalWaiting"
    STAGE_ENDED = "stageEnded"


@dataclass(frozen=True)
class Event:
    """One change, about one stage (and one of its tasks or approvals)."""

    kind: Kind
    stage: StageView
    task: TaskRun | None = None
    approval: Pending | None = None
    decision: Decision | None = None
    log: tuple[str, ...] = ()  # a finished task's last log lines (read by ``watch``)


class Ending(Enum):
    """How a release stopped moving; the exit code follows from it."""

    SUCCEEDED = "succeeded"
    WAITING = "waiting"
    FAILED = "failed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Outcome:
    """How it ended, the stage that decided it (None: every stage succeeded), the partial ones."""

    ending: Ending
    stage: StageView | None = None
    partial: tuple[str, ...] = ()
    behind: str = ""  # a queued stage: the older release it waits behind, and for whom that one waits


def changes(before: ReleaseView | None, after: ReleaseView) -> list[Event]:
    """Every change from ``before`` (None: nothing seen yet) to ``after``, stage by stage in order."""
    events: list[Event] = []
    for stage in after.stages:
        prev = next((s for s in before.stages if s.id == stage.id), None) if before else None
        same = prev is not None and prev.attempt == stage.attempt
        if prev is None or prev.state is not stage.state or not same:
            if stage.state is StageState.QUEUED:
                events.append(Event(Kind.STAGE_QUEUED, stage))
            elif stage.state is StageState.DEPLOYING:
                events.append(Event(Kind.STAGE_DEPLOYING, stage))
        done = {t.id for t in prev.tasks if t.finished} if prev is not None and same else set()
        events += [
            Event(Kind.TASK_FINISHED, stage, task=t) for t in stage.tasks if t.finished and t.id not in done
        ]
        decided = {d.id for d in prev.decisions} if prev is not None else set()
        events += [
            Event(Kind.APPROVAL_DECIDED, stage, decision=d) for d in stage.decisions if d.id not in decided
        ]
        seen = {p.id for p in prev.waiting} if prev is not None else set()
        events += [Event(Kind.APPROVAL_WAITING, stage, approval=p) for p in stage.waiting if p.id not in seen]
        if stage.state.finished and (prev is None or not prev.state.finished or not same):
            events.append(Event(Kind.STAGE_ENDED, stage))
    return events


def ending(
    view: ReleaseView, scope: Collection[str] | None = None, *, patient: bool = True
) -> Outcome | None:
    """How the release stopped moving, or None while it moves. ``scope``: the stages that count
    (lower-case names; None: every stage). ``patient``: a stage whose conditions are met but that
    has not started yet counts as moving."""
    counted = [s for s in view.stages if scope is None or s.name.lower() in scope]
    if any(s.state.moving for s in view.stages):
        return None
    if patient and any(_about_to_start(view, s) for s in counted):
        return None
    for state, result in (
        (StageState.FAILED, Ending.FAILED),
        (StageState.REJECTED, Ending.REJECTED),
        (StageState.CANCELED, Ending.REJECTED),
        (StageState.WAITING, Ending.WAITING),
        (StageState.NOT_STARTED, Ending.WAITING),
    ):
        found = next((s for s in counted if s.state is state), None)
        if found is not None:
            return Outcome(result, found)
    partial = tuple(s.name for s in counted if s.state is StageState.PARTIALLY_SUCCEEDED)
    return Outcome(Ending.SUCCEEDED, None, partial)


def _about_to_start(view: ReleaseView, stage: StageView) -> bool:
    """Not started, but its automated conditions are met: the service starts it in a moment."""
    if stage.state is not StageState.NOT_STARTED or stage.attempt or not stage.condition.automated:
        return False
    if view.status != "active":
        return False
    for name, mask in stage.condition.after:
        other = view.stage(name)
        if other is None or not STATUS_BITS.get(other.status, 0) & mask:
            return False
    return True


Tell = Callable[[Event], None]


def watch(
    gateway: ReleasesGateway,
    project: str,
    release_id: int,
    clock: Clock,
    *,
    poll: float,
    timeout: float,
    tell: Tell,
    scope: Collection[str] | None = None,
    log_lines: int = LOG_LINES,
) -> tuple[ReleaseView, Outcome]:
    """Follow the release until it stops moving (its last view and how), telling each change."""
    deadline = clock.monotonic() + timeout
    before: ReleaseView | None = None
    restless = 0  # polls in a row where only stages about to start kept it going
    name = f"release {release_id}"
    try:
        while True:
            view = view_of(gateway.release(project, release_id), project)
            name = view.name or name
            for event in changes(before, view):
                tell(_with_log(gateway, view, event, log_lines))
            outcome = ending(view, scope, patient=restless < SETTLE_POLLS) or queued_behind(
                gateway, view, scope
            )
            if outcome is not None:
                return view, outcome
            restless = restless + 1 if ending(view, scope, patient=False) is not None else 0
            left = deadline - clock.monotonic()
            if left <= 0:
                raise OperationTimeout(
                    f"Stopped watching {name} after {timeout:g} s: it is still going on in Azure DevOps.",
                    hint="Look at it again later (its status), or watch it with a longer timeout.",
                )
            clock.sleep(min(poll, left))
            before = view
    except KeyboardInterrupt:
        raise Cancelled(f"Stopped watching {name} (Ctrl-C): the release goes on in Azure DevOps.") from None


def queued_behind(
    gateway: ReleasesGateway, view: ReleaseView, scope: Collection[str] | None = None
) -> Outcome | None:
    """A release that only moves because a stage is queued (one deployment at a time) behind an older
    release whose same stage waits for a person: it waits for that person too. None otherwise (then
    the queue moves by itself). Reads the definition's releases, then the older ones', only when
    nothing of this release is deploying."""
    queued = [
        s for s in view.stages if s.state is StageState.QUEUED and (scope is None or s.name.lower() in scope)
    ]
    if not queued or any(s.state is StageState.DEPLOYING for s in view.stages) or not view.definition_id:
        return None
    listed = gateway.releases(view.project, view.definition_id, top=QUEUE_LOOKBACK)
    older = sorted((int(r["id"]) for r in listed if int(r.get("id") or 0) < view.id), reverse=True)
    for release_id in older:
        other = view_of(gateway.release(view.project, release_id), view.project)
        for stage in queued:
            ahead = other.stage(stage.name)
            if ahead is not None and ahead.state is StageState.WAITING and ahead.waiting:
                who = " or ".join(p.who_may for p in ahead.waiting)
                behind = (
                    f"{other.name}, whose stage {ahead.name} waits for approval by {who} "
                    f"(since {ahead.waiting[0].waiting_since})"
                )
                return Outcome(Ending.WAITING, stage, behind=behind)
    return None


def _with_log(gateway: ReleasesGateway, view: ReleaseView, event: Event, count: int) -> Event:
    """A finished task's event with its last ``count`` noteworthy log lines, readable (read once,
    here: the last ``count + LOG_FRAMING`` lines, as the agent's own framing lines are left out)."""
    task = event.task
    if event.kind is not Kind.TASK_FINISHED or task is None or count <= 0:
        return event
    wanted = count + LOG_FRAMING
    start = task.line_count - wanted + 1 if task.line_count > wanted else None
    end = task.line_count if start is not None else None
    try:
        lines = gateway.task_log(
            view.project, view.id, event.stage.id, task.phase_id, task.id, start=start, end=end
        )
    except RemoteError as error:
        return replace(event, log=(f"(its log could not be read: {error.message})",))
    kept = [readable(line) for line in lines if noteworthy(line)]
    return replace(event, log=tuple(remote(line, 500) for line in kept[-count:]))


def conclude(view: ReleaseView, outcome: Outcome) -> None:
    """Nothing when the release succeeded; else the error whose exit code says how it ended."""
    stage = outcome.stage
    if outcome.ending is Ending.SUCCEEDED or stage is None:
        return
    if outcome.ending is Ending.FAILED:
        failed = [t.name for t in stage.tasks if t.status == "failed"]
        which = f": task {failed[0]!r} failed" if failed else ""
        raise ReleaseFailed(f"{view.name} failed: stage {stage.name}'s deployment failed{which}.")
    if outcome.ending is Ending.REJECTED:
        raise ReleaseRejected(f"{view.name} stopped: stage {stage.name} was {_why_stopped(stage)}.")
    if outcome.behind:
        raise ReleaseWaiting(
            f"{view.name} waits for a person: stage {stage.name} is queued (one deployment at a time) "
            f"behind {outcome.behind}.",
            hint=f"Once {outcome.behind.split(',')[0]} is approved or rejected, {view.name} goes on by "
            "itself; watch it again then (release status --watch).",
        )
    if stage.waiting:
        who = " or ".join(p.who_may for p in stage.waiting)
        first = stage.waiting[0]
        times_out = f", times out {first.times_out}" if first.times_out else ""
        raise ReleaseWaiting(
            f"{view.name} waits for a person: stage {stage.name} waits for approval by {who} "
            f"(since {first.waiting_since}{times_out})."
        )
    raise ReleaseWaiting(
        f"{view.name} waits for a person: stage {stage.name} has not started; it deploys when someone "
        "deploys it (a manual stage, or one whose earlier stage was not deployed).",
        hint="Deploy the stage in the portal (or through the release API) when it should go on.",
    )


def _why_stopped(stage: StageView) -> str:
    rejected = [d for d in stage.decisions if d.status == "rejected"]
    if rejected:
        d = rejected[0]
        saying = f', saying "{d.comment}"' if d.comment else ""
        by = f" by {d.by}" if d.by else ""
        return f"rejected {d.kind} its deployment{by}{saying}"
    if stage.state is StageState.CANCELED:
        return "canceled"
    return "rejected (an approval timed out, or was rejected)"
