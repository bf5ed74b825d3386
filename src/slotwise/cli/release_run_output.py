"""What ``slotwise release start | status | logs`` print: lines for people, dicts for ``-o json``.

Pure: the values of ``releases.starting`` / ``run_view`` / ``watching`` / ``reading`` in, lines out
(the command makes each line inert before printing it). Must not: print or call anything.
"""

from __future__ import annotations

from typing import Any

from slotwise.releases.agent_log import readable
from slotwise.releases.reading import StageLogs
from slotwise.releases.run_view import ReleaseView, StageState, StageView, shown_time
from slotwise.releases.starting import StagePlan, StartPlan
from slotwise.releases.watching import Event, Kind, Outcome, ending


def _path(plan: StartPlan) -> str:
    folder = plan.path.rstrip("\\")
    return f"{folder}\\{plan.definition}" if folder else plan.definition


def plan_lines(plan: StartPlan, made: ReleaseView) -> list[str]:
    """What ``start`` made: the release, its page, its builds, what each stage will do."""
    lines = [f"Created {made.name} (id {made.id}) of {plan.project}/{_path(plan)}"]
    if made.url:
        lines.append(f"  {made.url}")
    for build in plan.builds:
        lines.append(
            f"  build: {build.pipeline} {build.number} (id {build.build_id}), branch {build.branch or '-'}, "
            f"commit {build.commit[:12] or '-'} (artifact {build.alias})"
        )
    lines += [f"  stage {stage.name}: {stage_words(stage)}" for stage in plan.stages]
    return lines


def stage_words(stage: StagePlan) -> str:
    """What a stage of a new release will do by itself, in words."""
    if stage.made_manual:
        return "manual in this release: deploys only when someone deploys it"
    if stage.manual:
        return "manual: deploys only when someone deploys it"
    when = "deploys now" if stage.on_release else f"deploys after {' and '.join(stage.after)}"
    if stage.approvers:
        when += f", once approved by {' or '.join(stage.approvers)}"
    return when


def start_dict(plan: StartPlan, made: ReleaseView) -> dict[str, Any]:
    return {
        "release": {"id": made.id, "name": made.name, "url": made.url},
        "project": plan.project,
        "definition": {"id": plan.definition_id, "name": plan.definition, "path": plan.path},
        "builds": [b.as_dict() for b in plan.builds],
        "stages": [s.as_dict() for s in plan.stages],
    }


def status_dict(view: ReleaseView, outcome: Outcome | None = None) -> dict[str, Any]:
    """``status -o json``: the view and how it stands (``ending``: null while it moves)."""
    found = outcome if outcome is not None else ending(view)
    return {**view.as_dict(), "ending": found.ending.value if found is not None else None}


def status_lines(view: ReleaseView) -> list[str]:
    """``status``: the release, its builds, then each stage."""
    lines = [f"{view.name} (id {view.id}) of {view.project}/{view.definition}: {view.status}"]
    if view.url:
        lines.append(f"  {view.url}")
    for build in view.builds:
        lines.append(
            f"  build: {build.definition} {build.number}, branch {build.branch or '-'}, "
            f"commit {build.commit or '-'} (artifact {build.alias})"
        )
    if view.created_by:
        lines.append(f"  created by {view.created_by} ({view.reason})")
    for stage in view.stages:
        lines += _stage_lines(stage)
    return lines


def _stage_lines(stage: StageView) -> list[str]:
    attempt = f" (attempt {stage.attempt})" if stage.attempt > 1 else ""
    lines = [f"Stage {stage.name}: {stage.state.words}{attempt}"]
    lines += [f"  {task.status:<18} {task.name}" for task in stage.tasks]
    for pending in stage.waiting:
        times_out = f", times out {pending.times_out}" if pending.times_out else ""
        lines.append(
            f"  approval {pending.id} ({pending.kind} deployment): {pending.who_may}, waiting since "
            f"{pending.waiting_since}{times_out}"
        )
    for decision in stage.decisions:
        by = f" by {decision.by}" if decision.by else ""
        saying = f': "{decision.comment}"' if decision.comment else ""
        lines.append(
            f"  {decision.status} {decision.kind} deployment{by} on {shown_time(decision.on)}{saying}"
        )
    return lines


def event_lines(event: Event) -> list[str]:
    """One change seen while watching."""
    stage = event.stage
    if event.kind is Kind.TASK_FINISHED and event.task is not None:
        return [f"  {stage.name} / {event.task.name}: {event.task.status}"] + [
            f"      | {line}" for line in event.log
        ]
    if event.kind is Kind.APPROVAL_WAITING and event.approval is not None:
        p = event.approval
        times_out = f", times out {p.times_out}" if p.times_out else ""
        return [
            f"Stage {stage.name}: waiting for approval {p.id} ({p.kind} deployment) by {p.who_may}, since "
            f"{p.waiting_since}{times_out}"
        ]
    if event.kind is Kind.APPROVAL_DECIDED and event.decision is not None:
        d = event.decision
        by = f" by {d.by}" if d.by else ""
        saying = f': "{d.comment}"' if d.comment else ""
        return [f"Stage {stage.name}: {d.status} {d.kind} deployment{by}{saying}"]
    if event.kind is Kind.STAGE_DEPLOYING:
        return [f"Stage {stage.name}: deploying (attempt {stage.attempt})"]
    if event.kind is Kind.STAGE_QUEUED:
        return [f"Stage {stage.name}: queued (behind another deployment, or waiting for an agent)"]
    return [f"Stage {stage.name}: {stage.state.words}"]


def log_lines(logs: StageLogs) -> list[str]:
    """``logs``: one stage, headed, then each task headed by its name and result."""
    stage = logs.stage
    if not stage.attempt:
        return [f"=== Stage {stage.name}: never deployed ({stage.state.words}) ==="]
    lines = [f"=== Stage {stage.name} (attempt {stage.attempt}): {stage.state.words} ==="]
    if not logs.tasks:
        lines.append("(no task ran)" if stage.state is not StageState.WAITING else "(waiting for approval)")
    for task in logs.tasks:
        lines.append(f"--- {task.task.name}: {task.task.status} ---")
        lines += [readable(line) for line in task.lines]
    return lines
