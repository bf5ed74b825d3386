"""A definition's stages: their order (``after``), approvals, app, queue, retention, queueing and steps.

``after`` chains stages: ``release`` (start when a release is created), ``manual`` (only when
someone deploys), or one or more stage names (start once they succeeded); by default the first
stage starts after the release and each other one after the previous stage. Checked here: stage
names are unique (as Azure DevOps compares them: ignoring case), ``after`` names stages that exist
(near matches suggested), and no stage waits for itself, directly or around a circle. Approvals:
approvers listed once, ``required`` no more than the approvers (``all`` for a sequence), timeout
from 1 minute to 365 days. Presets' slot is not ``production``: production is what a swap makes
live, never where a build is deployed.

Must not: resolve names or know the REST shapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from slotwise.release.catalogue import TaskSet
from slotwise.release.model import (
    AfterRelease,
    AfterStages,
    App,
    Approval,
    Manual,
    Named,
    Retention,
    Stage,
    StageStart,
)
from slotwise.release.problems import Pointer, listed, suggest
from slotwise.release.source import Reading
from slotwise.release.steps import DEPLOY, SWAP, StepContext, build_steps
from slotwise.release.variables import build_groups, build_variables
from slotwise.release.verbatim import checked_verbatim

KEYWORDS = ("release", "manual")
MAX_APPROVAL_MINUTES = 365 * 24 * 60
DEFAULT_APPROVAL_MINUTES = 30 * 24 * 60
HOSTED_QUEUE = "Azure Pipelines"
HOSTED_IMAGE = "ubuntu-latest"
_UNITS = {"m": 1, "h": 60, "d": 24 * 60}
_APP_FIELDS = {
    "serviceConnection": "service_connection",
    "resourceGroup": "resource_group",
    "name": "name",
    "slot": "slot",
    "appType": "app_type",
    "package": "package",
    "checks": "checks",
}


@dataclass(frozen=True)
class StageDefaults:
    """What stages take from their definition unless they say otherwise."""

    tasks: TaskSet
    app: App
    alias: str
    queue: str
    vm_image: str | None
    retention: Mapping[str, Any]


def build_stages(
    reading: Reading, raw: Sequence[Mapping[str, Any]], defaults: StageDefaults
) -> tuple[Stage, ...]:
    """The stages of ``raw`` (the spec's ``stages``), checked."""
    names = _unique_names(reading, raw)
    starts = [_start(reading, index, stage, raw, names) for index, stage in enumerate(raw)]
    if len(names) == len(raw):  # with a name repeated (a problem already), "after" is ambiguous
        _refuse_circles(reading, raw, starts)
    last = len(raw) - 1
    return tuple(
        _stage(reading, index, stage, start, defaults, SWAP if index == last and last > 0 else DEPLOY)
        for index, (stage, start) in enumerate(zip(raw, starts, strict=True))
    )


def _unique_names(reading: Reading, raw: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """{lower-cased name: name} of the stages; repeats and keywords are problems."""
    names: dict[str, str] = {}
    for index, stage in enumerate(raw):
        name = str(stage["name"])
        lower = name.lower()
        if lower in KEYWORDS:
            reading.add(
                ("stages", index, "name"),
                f"{name!r} is a word 'after' reserves (release, manual); rename the stage",
            )
        elif lower in names:
            first = next(i for i, s in enumerate(raw) if str(s["name"]).lower() == lower)
            reading.add(
                ("stages", index, "name"),
                f"a second stage named {name!r} (also stages[{first}]); names are unique, ignoring case",
            )
        else:
            names[lower] = name
    return names


def _start(
    reading: Reading,
    index: int,
    stage: Mapping[str, Any],
    raw: Sequence[Mapping[str, Any]],
    names: dict[str, str],
) -> StageStart:
    after = stage.get("after")
    at: Pointer = ("stages", index, "after")
    if after is None:
        return AfterRelease() if index == 0 else AfterStages((str(raw[index - 1]["name"]),))
    if after == "release":
        return AfterRelease()
    if after == "manual":
        return Manual()
    listed_names = [after] if isinstance(after, str) else list(after)
    found: list[str] = []
    for position, name in enumerate(listed_names):
        where = at if isinstance(after, str) else (*at, position)
        if name in KEYWORDS:
            reading.add(where, f"{name!r} cannot be combined with stage names; use it alone")
        elif name.lower() == str(stage["name"]).lower():
            reading.add(where, f"the stage {name!r} cannot wait for itself")
        elif name.lower() not in names:
            choices = [*names.values(), *KEYWORDS]
            reading.add(
                where,
                f"no stage named {name!r}{suggest(name, choices)}; "
                f"after takes release, manual or a stage: {listed(names.values())}",
            )
        else:
            found.append(names[name.lower()])
    return AfterStages(tuple(found))


def _refuse_circles(reading: Reading, raw: Sequence[Mapping[str, Any]], starts: list[StageStart]) -> None:
    """A problem for each circle of stages waiting for each other (none of them would ever start)."""
    index_of = {str(stage["name"]).lower(): i for i, stage in enumerate(raw)}
    waits = {
        i: [index_of[n.lower()] for n in start.stages] if isinstance(start, AfterStages) else []
        for i, start in enumerate(starts)
    }
    state: dict[int, int] = {}  # 1: being visited, 2: done
    reported: set[frozenset[int]] = set()

    def visit(node: int, path: list[int]) -> None:
        state[node] = 1
        for nxt in waits[node]:
            if state.get(nxt) == 1:
                circle = path[path.index(nxt) :]
                if frozenset(circle) not in reported:
                    reported.add(frozenset(circle))
                    first = min(circle)
                    order = circle[circle.index(first) :] + circle[: circle.index(first)]
                    pairs = zip(order, [*order[1:], order[0]], strict=True)
                    shown = ", ".join(f"{raw[a]['name']} waits for {raw[b]['name']}" for a, b in pairs)
                    message = (
                        f"the stages wait for each other in a circle ({shown}): none of them would ever start"
                    )
                    reading.add(("stages", first, "after"), message)
            elif state.get(nxt) is None:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in waits:
        if node not in state:
            visit(node, [node])


def _stage(
    reading: Reading,
    index: int,
    raw: Mapping[str, Any],
    start: StageStart,
    defaults: StageDefaults,
    preset: str,
) -> Stage:
    at: Pointer = ("stages", index)
    app = _app(reading, (*at, "app"), raw.get("app", {}), defaults.app)
    steps = raw.get("steps", preset)
    if isinstance(steps, str) and app.slot.lower() == "production":
        origin = (*at, "app", "slot") if "slot" in raw.get("app", {}) else ("app", "slot")
        reading.add(
            origin,
            "the slot is 'production': the deploy and swap steps deploy to a slot that a swap then makes "
            "live; name a slot such as staging",
        )
    if steps != [] and not (app.service_connection and app.resource_group and app.name):
        reading.add(
            (), "missing field 'app'; the stages' steps deploy to it (serviceConnection, resourceGroup, name)"
        )
        steps = []
    queue = str(raw.get("queue", defaults.queue))
    vm_image = raw.get("vmImage", defaults.vm_image if "queue" not in raw else None)
    queueing = raw.get("queueing", {})
    approvals = raw.get("approvals", {})
    return Stage(
        name=str(raw["name"]),
        rank=index + 1,
        start=start,
        queue=Named(queue, reading.at(*at, "queue") if "queue" in raw else reading.at("queue")),
        vm_image=str(vm_image) if vm_image else (HOSTED_IMAGE if queue == HOSTED_QUEUE else None),
        app=app,
        before=_approval(reading, (*at, "approvals", "before"), approvals.get("before")),
        after=_approval(reading, (*at, "approvals", "after"), approvals.get("after")),
        steps=build_steps(reading, (*at, "steps"), steps, StepContext(defaults.tasks, app, defaults.alias)),
        variables=build_variables(reading, (*at, "variables"), raw.get("variables", {})),
        variable_groups=build_groups(reading, (*at, "variableGroups"), raw.get("variableGroups", [])),
        retention=_retention({**defaults.retention, **raw.get("retention", {})}),
        max_concurrent=int(queueing.get("maxConcurrent", 1)),
        deploy_latest_only=queueing.get("subsequent", "deployAll") == "deployLatest",
        job_timeout_minutes=int(raw.get("jobTimeoutMinutes", 0)),
        at=reading.at(*at),
        verbatim=checked_verbatim(reading, (*at, "verbatim"), raw.get("verbatim", {}), stage=True),
    )


def _app(reading: Reading, at: Pointer, override: Mapping[str, Any], app: App) -> App:
    if not override:
        return app
    changes = {_APP_FIELDS[key]: str(value) for key, value in override.items()}
    return replace(app, at=reading.where(at), **changes)


def _retention(raw: Mapping[str, Any]) -> Retention:
    default = Retention()
    return Retention(
        days=int(raw.get("days", default.days)),
        releases_to_keep=int(raw.get("releasesToKeep", default.releases_to_keep)),
        retain_build=bool(raw.get("retainBuild", default.retain_build)),
    )


def _approval(reading: Reading, at: Pointer, raw: Mapping[str, Any] | None) -> Approval | None:
    if raw is None:
        return None
    approvers: list[Named] = []
    seen: set[str] = set()
    for index, name in enumerate(raw["approvers"]):
        if name.lower() in seen:
            reading.add((*at, "approvers", index), f"the approver {name!r} is listed twice")
        seen.add(name.lower())
        approvers.append(Named(name, reading.where((*at, "approvers", index))))
    required = raw.get("required", "all")
    sequential = raw.get("order", "any") == "sequence"
    if isinstance(required, int) and required > len(approvers):
        reading.add(
            (*at, "required"),
            f"requires {required} approvals but names {len(approvers)} approver"
            f"{'s' if len(approvers) != 1 else ''}; give at most {len(approvers)}, or all",
        )
    if sequential and required != "all":
        reading.add((*at, "required"), "approvals in sequence need every approver: use required: all")
    return Approval(
        approvers=tuple(approvers),
        required=required if isinstance(required, int) else None,
        sequential=sequential,
        timeout_minutes=_timeout(reading, (*at, "timeout"), raw.get("timeout")),
        creator_can_approve=bool(raw.get("creatorCanApprove", False)),
        revalidate_identity=bool(raw.get("revalidateIdentity", False)),
    )


def _timeout(reading: Reading, at: Pointer, raw: int | str | None) -> int:
    if raw is None:
        return DEFAULT_APPROVAL_MINUTES
    minutes = raw if isinstance(raw, int) else _minutes(raw)
    if not 1 <= minutes <= MAX_APPROVAL_MINUTES:
        reading.add(at, f"{raw} is {minutes:,} minutes; an approval waits from 1 minute to 365 days (365d)")
    return minutes


def _minutes(duration: str) -> int:
    match = re.fullmatch(r"([0-9]+)([mhd])", duration)
    return int(match.group(1)) * _UNITS[match.group(2)] if match else 0
