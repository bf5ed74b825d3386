"""Finding a release and reading its logs (``slotwise release status | logs``).

``find_release``: a release by its id (in one project, or looked for in every project), or the
newest release of a definition (named as ``release start`` names one). ``stage_logs``: each task's
log of a stage's latest deployment attempt, read through the task log API, one request per task.

Must not: print, read the environment, or build requests (the gateway does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slotwise.errors import NotFoundError, UsageError
from slotwise.release.problems import suggest
from slotwise.releases.run_gateway import Document, ReleasesGateway
from slotwise.releases.run_view import ReleaseView, StageView, TaskRun
from slotwise.releases.starting import find_definition

FIND_HINT = "Give the release's id (its page's releaseId) and, when you see several projects, its project."


def find_release(
    gateway: ReleasesGateway, release_id: int | None, definition: str | None, project: str | None
) -> tuple[str, Document]:
    """The project and the release document: release ``release_id``, or ``definition``'s newest."""
    if (release_id is None) == (definition is None):
        raise UsageError("Give a release id, or a definition (its newest release), not both and not neither.")
    if definition is not None:
        where, document = find_definition(gateway, definition, project)
        newest = gateway.releases(where, int(document.get("id") or 0), top=1)
        if not newest:
            raise NotFoundError(
                f"Release definition {document.get('name')!r} has no release yet.",
                hint="Start one, or wait for a build to trigger one.",
            )
        return where, gateway.release(where, int(newest[0].get("id") or 0))
    assert release_id is not None
    found: list[tuple[str, Document]] = []
    for where in [project] if project else gateway.projects():
        try:
            found.append((where, gateway.release(where, release_id)))
        except NotFoundError:
            continue
    if not found:
        where_words = f"project {project!r}" if project else "any project you can see"
        raise NotFoundError(f"There is no release {release_id} in {where_words}.", hint=FIND_HINT)
    if len(found) > 1:
        raise UsageError(
            f"Release id {release_id} exists in several projects ({', '.join(w for w, _ in found)}).",
            hint="Name the project too.",
        )
    return found[0]


@dataclass(frozen=True)
class TaskLog:
    """One task's log."""

    task: TaskRun
    lines: tuple[str, ...]


@dataclass(frozen=True)
class StageLogs:
    """A stage and its tasks' logs (none when it was never deployed)."""

    stage: StageView
    tasks: tuple[TaskLog, ...]


def chosen_stages(view: ReleaseView, names: Sequence[str]) -> tuple[StageView, ...]:
    """The stages named (every stage when none is); UsageError naming the stages that exist."""
    if not names:
        return view.stages
    chosen = []
    for name in names:
        stage = view.stage(name)
        if stage is None:
            known = [s.name for s in view.stages]
            raise UsageError(
                f"{view.name} has no stage {name!r}{suggest(name, known)}; "
                f"its stages are {', '.join(known)}.",
                hint="Name stages as the release names them.",
            )
        chosen.append(stage)
    return tuple(chosen)


def stage_logs(gateway: ReleasesGateway, view: ReleaseView, stage: StageView) -> StageLogs:
    """Every task's log of the stage's latest attempt, as the service sent it (the caller makes each
    line inert before showing it)."""
    tasks = tuple(
        TaskLog(
            task,
            tuple(gateway.task_log(view.project, view.id, stage.id, task.phase_id, task.id)),
        )
        for task in stage.tasks
    )
    return StageLogs(stage, tasks)
