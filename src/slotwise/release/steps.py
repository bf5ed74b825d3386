"""A stage's steps: the presets (``deploy``, ``swap``), the app's values bound into each task, and
each step's inputs checked against its task.json.

Presets give the article's flow with one word:

- ``deploy``: guard-against-overwrite → deploy-to-slot → smoke-test (``tasks: builtin``:
  deploy-to-slot, i.e. AzureFunctionApp@2 to the slot; there is no built-in guard or smoke test);
- ``swap``: slot-swap with the smoke checks run against production after the swap and a swap back
  when they fail (``tasks: builtin``: AzureAppServiceManage@0 "Swap Slots", without checks).

Whatever the steps, the app's service connection, name and resource group are bound into the
task's inputs (``BINDINGS``: those inputs may not be given by hand), and so, unless the step gives
them, are the slot, the package and the smoke checks file (paths inside the build artifact).

Must not: resolve names (the service connection stays a name until rendering).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slotwise.release.catalogue import TaskDef, TaskSet, all_step_keys, catalogue
from slotwise.release.inputs import check_inputs
from slotwise.release.model import App, Step
from slotwise.release.problems import Pointer, listed, suggest
from slotwise.release.source import Reading

WORKDIR = "$(System.DefaultWorkingDirectory)"
DEPLOY, SWAP = "deploy", "swap"


@dataclass(frozen=True)
class Binding:
    """Which inputs of a task take the app's values. ``constants`` are set and may not be given."""

    connection: str
    app: str
    group: str
    slot: str | None = None
    package: str | None = None
    checks: str | None = None
    app_type: str | None = None
    constants: Mapping[str, str] = field(default_factory=dict)


_SLOTWISE = Binding("azureSubscription", "appName", "resourceGroupName", slot="slotName")
BINDINGS: Mapping[TaskSet, Mapping[str, Binding]] = {
    TaskSet.SLOTWISE: {
        "guard-against-overwrite": _SLOTWISE,
        "deploy-to-slot": Binding("azureSubscription", "appName", "resourceGroupName", "slotName", "package"),
        "smoke-test": Binding(
            "azureSubscription", "appName", "resourceGroupName", "slotName", checks="checksFile"
        ),
        "slot-swap": Binding(
            "azureSubscription", "appName", "resourceGroupName", "sourceSlot", checks="smokeChecksFile"
        ),
    },
    TaskSet.BUILTIN: {
        "deploy-to-slot": Binding(
            "azureSubscription",
            "appName",
            "resourceGroupName",
            "slotName",
            "package",
            app_type="appType",
            constants={"deployToSlotOrASE": "true"},
        ),
        "slot-swap": Binding("ConnectedServiceName", "WebAppName", "ResourceGroupName", "SourceSlot"),
    },
}
PRESETS: Mapping[TaskSet, Mapping[str, tuple[tuple[str, Mapping[str, str]], ...]]] = {
    TaskSet.SLOTWISE: {
        DEPLOY: (("guard-against-overwrite", {}), ("deploy-to-slot", {}), ("smoke-test", {})),
        SWAP: (("slot-swap", {"smokeChecks": "file", "rollbackOnFailure": "true"}),),
    },
    TaskSet.BUILTIN: {
        DEPLOY: (("deploy-to-slot", {}),),
        SWAP: (("slot-swap", {"Action": "Swap Slots"}),),
    },
}
_MACRO = re.compile(r"\$\(([A-Za-z0-9_.]+)\)")


@dataclass(frozen=True)
class StepContext:
    """What the steps of one stage take from the rest of the spec."""

    tasks: TaskSet
    app: App
    alias: str  # the build artifact's alias: its folder under the working directory


def build_steps(reading: Reading, at: Pointer, raw: str | list[Any], ctx: StepContext) -> tuple[Step, ...]:
    """The steps at ``at`` (a preset name or a list of steps), each checked."""
    if isinstance(raw, str):
        preset = PRESETS[ctx.tasks][raw]
        made = (_step(reading, at, key, {}, ctx, dict(values)) for key, values in preset)
    else:
        made = (_from_raw(reading, (*at, index), item, ctx) for index, item in enumerate(raw))
    return tuple(step for step in made if step is not None)


def _from_raw(reading: Reading, at: Pointer, item: str | dict[str, Any], ctx: StepContext) -> Step | None:
    if isinstance(item, str):
        return _step(reading, at, item, {}, ctx, {})
    return _step(reading, at, str(item["task"]), item, ctx, {}, task_at=(*at, "task"))


def _step(
    reading: Reading,
    at: Pointer,
    key: str,
    raw: Mapping[str, Any],
    ctx: StepContext,
    preset: dict[str, str],
    *,
    task_at: Pointer | None = None,
) -> Step | None:
    task = _task(reading, task_at or at, key, ctx.tasks)
    if task is None:
        return None
    binding = BINDINGS[ctx.tasks][task.key]
    bound, reserved = _bound(binding, ctx)
    values = check_inputs(
        task,
        raw.get("inputs", {}),
        bound=bound,
        reserved=reserved,
        preset=preset,
        at=(*at, "inputs") if "inputs" in raw else at,
        where=reading.where,
        problems=reading.problems,
    )
    return Step(
        task=task,
        name=str(raw.get("name") or _display_name(task, values)),
        inputs=values,
        connection_input=binding.connection,
        connection=ctx.app.service_connection,
        enabled=bool(raw.get("enabled", True)),
        continue_on_error=bool(raw.get("continueOnError", False)),
        condition=str(raw.get("condition", "succeeded()")),
        timeout_minutes=int(raw.get("timeoutMinutes", 0)),
        retries=int(raw.get("retries", 0)),
        at=reading.where(at),
    )


def _task(reading: Reading, at: Pointer, key: str, tasks: TaskSet) -> TaskDef | None:
    known = catalogue(tasks)
    if key in known:
        return known[key]
    if key in all_step_keys():
        reading.add(
            at,
            f"{key} has no built-in equivalent (tasks: builtin runs Microsoft's tasks for "
            f"{listed(sorted(known))}); remove the step or use tasks: slotwise",
        )
    else:
        reading.add(
            at, f"unknown task {key!r}{suggest(key, known)}; tasks ({tasks.value}): {listed(sorted(known))}"
        )
    return None


def _bound(binding: Binding, ctx: StepContext) -> tuple[dict[str, str], dict[str, str]]:
    """(values bound from the app, {input: the spec field that sets it} for those not to be given)."""
    app = ctx.app
    reserved = {
        binding.connection: "app.serviceConnection",
        binding.app: "app.name",
        binding.group: "app.resourceGroup",
    }
    bound = {
        binding.connection: app.service_connection,
        binding.app: app.name,
        binding.group: app.resource_group,
    }
    if binding.app_type is not None:
        bound[binding.app_type] = app.app_type
        reserved[binding.app_type] = "app.appType"
    for name, value in binding.constants.items():
        bound[name] = value
        reserved[name] = f"slotwise (always {value} here)"
    optional = {
        binding.slot: app.slot,
        binding.package: f"{WORKDIR}/{ctx.alias}/{app.package}",
        binding.checks: f"{WORKDIR}/{ctx.alias}/{app.checks}",
    }
    bound.update({name: value for name, value in optional.items() if name is not None})
    return bound, reserved


def _display_name(task: TaskDef, values: Mapping[str, str]) -> str:
    """The task's ``instanceNameFormat`` with its ``$(input)`` references filled in."""
    return _MACRO.sub(lambda m: values.get(m.group(1), m.group(0)), task.instance_name_format)
