"""The pipeline tasks' words for a ``Remedy``: the task and the inputs that do it, never a CLI option.

``TaskWording(command)`` is the pipeline face's ``errors.Wording`` while the task ``command`` runs:
an input is named as the editor shows it and as YAML spells it (*Allow overwriting the rollback
build*, ``allowOverwrite: true``), "on this task" when it is the running task's, else on the task
that has it (*slotwise: Guard against overwrite*, ``SlotwiseGuardAgainstOverwrite@1``). ``TASKS``
and ``INPUTS`` hold those names and labels, kept equal to tasks/*/task.json by a unit test (each
task ships only its own task.json, so the others' are not there to read at run time).
Must not: decide which remedies an error has (the operation raising it does), or print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slotwise.azure.models import PRODUCTION
from slotwise.errors import Action, Remedy, SlotwiseError
from slotwise.errors import advice as _advice

GUARD, DEPLOY, SWAP, SMOKE = "guard-against-overwrite", "deploy-to-slot", "slot-swap", "smoke-test"

# command -> (task.json name, friendlyName)
TASKS: dict[str, tuple[str, str]] = {
    DEPLOY: ("SlotwiseDeployToSlot", "slotwise: Deploy to slot"),
    SWAP: ("SlotwiseSlotSwap", "slotwise: Swap slots"),
    SMOKE: ("SlotwiseSmokeTest", "slotwise: Smoke test a slot"),
    GUARD: ("SlotwiseGuardAgainstOverwrite", "slotwise: Guard against overwrite"),
}

# (command, input name) -> label, and (command, input name, option) -> the option's label
COMMON = {"appName": "App name", "resourceGroupName": "Resource group"}
SLOT_INPUT = {DEPLOY: "slotName", SMOKE: "slotName", GUARD: "slotName", SWAP: "sourceSlot"}
INPUTS: dict[tuple[str, str], str] = {
    **{(command, name): label for command in TASKS for name, label in COMMON.items()},
    (DEPLOY, "slotName"): "Slot",
    (SMOKE, "slotName"): "Slot",
    (GUARD, "slotName"): "Slot",
    (GUARD, "mode"): "When the slot is held",
    (GUARD, "parkSlot"): "Park slot",
    (GUARD, "createParkSlot"): "Create the park slot if it does not exist",
    (GUARD, "waitTimeoutMinutes"): "Wait at most (minutes)",
    (DEPLOY, "allowOverwrite"): "Allow overwriting the rollback build",
    (DEPLOY, "createSlot"): "Create the slot if it does not exist",
    (DEPLOY, "timeoutMinutes"): "Timeout (minutes)",
    (SWAP, "swapAction"): "Action",
    (SWAP, "sourceSlot"): "Source slot",
    (SWAP, "swapWithProduction"): "Swap with production",
    (SWAP, "targetSlot"): "Target slot",
    (SWAP, "preflight"): "Check what the swap will change in production before swapping",
    (SWAP, "acceptFindings"): "Accept preflight findings",
    (SWAP, "rollbackOnFailure"): "Swap back if a check fails",
    (SWAP, "timeoutMinutes"): "Timeout (minutes)",
    (SMOKE, "timeoutSeconds"): "Request timeout (seconds)",
}
OPTIONS: dict[tuple[str, str, str], str] = {
    (GUARD, "mode", "park"): "Park the held build in another slot",
    (GUARD, "mode", "wait"): "Wait until the hold ends",
    (SWAP, "swapAction", "swap"): "Swap",
    (SWAP, "swapAction", "preview"): "Start swap with preview",
    (SWAP, "swapAction", "complete"): "Complete swap with preview",
    (SWAP, "swapAction", "cancel"): "Cancel swap with preview",
}
TIMEOUTS = {
    DEPLOY: "timeoutMinutes",
    SWAP: "timeoutMinutes",
    GUARD: "waitTimeoutMinutes",
    SMOKE: "timeoutSeconds",
}


@dataclass(frozen=True)
class TaskWording:
    """Remedies worded for a pipeline author while the task ``command`` runs."""

    command: str

    def __call__(self, remedy: Remedy) -> str:
        return _WORDS[remedy.action](self, remedy)

    # ---- the pieces -----------------------------------------------------------------------------------
    def task(self, command: str) -> str:
        """The running task ("this task"), or another by its editor name and YAML name."""
        if command == self.command:
            return "this task"
        name, friendly = TASKS[command]
        return f"the *{friendly}* task (`{name}@1`)"

    def setting(self, command: str, name: str, value: str) -> str:
        """An input of a task set to a value, as the editor shows it and as YAML spells it."""
        return f"{choice(command, name, value)} on {self.task(command)}"

    def field(self, command: str, name: str) -> str:
        """An input of a task, as the editor shows it and as YAML spells it."""
        return f"*{INPUTS[command, name]}* (`{name}`) of {self.task(command)}"


def choice(command: str, name: str, value: str) -> str:
    """``set *Label* to *Option* (`name: value`)``; a checkbox is checked."""
    label = INPUTS[command, name]
    if value == "true":
        return f"check *{label}* (`{name}: true`)"
    return f"set *{label}* to *{OPTIONS.get((command, name, value), value)}* (`{name}: {value}`)"


def _slot(remedy: Remedy) -> str:
    return f"slot '{remedy.slot}'" if remedy.slot else "the slot"


def _park(w: TaskWording, r: Remedy) -> str:
    park = choice(GUARD, "mode", "park")
    moves = "It moves the build to the slot named in"
    if w.command == GUARD:
        return (
            f"Keep it and free the slot: {park} on this task. {moves} {w.field(GUARD, 'parkSlot')} "
            f"(default `park`); to have that slot created, {w.setting(GUARD, 'createParkSlot', 'true')}."
        )
    return (
        f"Keep it and free the slot: run {w.task(GUARD)} for {_slot(r)} before this one and {park}. "
        f"{moves} its *{INPUTS[GUARD, 'parkSlot']}* (`parkSlot`, default `park`)."
    )


def _release(w: TaskWording, r: Remedy) -> str:
    wait = f"; to wait for that, {w.setting(GUARD, 'mode', 'wait')}" if w.command == GUARD else ""
    return (
        f"Not needed any more: the hold on {_slot(r)} ends when it expires or when it is released outside "
        f"the pipeline (slotwise's command line has release-hold){wait}."
    )


def _overwrite(w: TaskWording, r: Remedy) -> str:
    return (
        f"Overwrite it on purpose: {w.setting(DEPLOY, 'allowOverwrite', 'true')}; that destroys the held "
        "build, and the task names it in its OverwroteBuild output."
    )


def _phase(w: TaskWording, r: Remedy, verb: str, action: str) -> str:
    pair = f" for source slot '{r.slot}'" if r.slot else ""
    if r.other and r.other != PRODUCTION:
        pair += f" and target slot '{r.other}'"
    return f"{verb}: {w.setting(SWAP, 'swapAction', action)}{pair}."


def _roll_back(w: TaskWording, r: Remedy) -> str:
    if r.slot:
        which = f"slot '{r.slot}'"
        how = f"{w.task(SWAP)} with `sourceSlot: {r.slot}` and *Action* *Swap* (`swapAction: swap`)"
    else:
        which = "the slot that holds production's previous build (the task's summary names it)"
        how = f"{w.task(SWAP)} with that slot as *Source slot* (`sourceSlot`)"
    return f"Roll back: swap {which} with production again, with {how}."


def _timeout(w: TaskWording, r: Remedy) -> str:
    name = TIMEOUTS[w.command]
    return f"Give it more time: raise {w.field(w.command, name)}."


_WORDS: dict[Action, Callable[[TaskWording, Remedy], str]] = {
    Action.PARK_HELD_BUILD: _park,
    Action.RELEASE_HOLD: _release,
    Action.ALLOW_OVERWRITE: _overwrite,
    Action.WAIT_LONGER: lambda w, r: f"Or wait longer: raise {w.field(GUARD, 'waitTimeoutMinutes')}.",
    Action.CHOOSE_PARK_SLOT: lambda w, r: f"Name another slot in {w.field(GUARD, 'parkSlot')}.",
    Action.CREATE_PARK_SLOT: lambda w, r: (
        f"To have it created (a slot like production, empty), {w.setting(GUARD, 'createParkSlot', 'true')}."
    ),
    Action.CREATE_SLOT: lambda w, r: (
        f"To have it created (like production: same plan), {w.setting(DEPLOY, 'createSlot', 'true')}."
    ),
    Action.PREPARE_SWAP: lambda w, r: (
        f"Prepare it first: {w.setting(SWAP, 'swapAction', 'preview')}, or swap in one go with *Swap* "
        "(`swapAction: swap`)."
    ),
    Action.COMPLETE_SWAP: lambda w, r: _phase(w, r, "Complete it", "complete"),
    Action.CANCEL_SWAP: lambda w, r: _phase(w, r, "Cancel it", "cancel"),
    Action.CHOOSE_SWAP_PAIR: lambda w, r: (
        f"Choose two different slots: {w.field(SWAP, 'sourceSlot')}, and {w.field(SWAP, 'targetSlot')} "
        f"with {w.field(SWAP, 'swapWithProduction')} unchecked."
    ),
    Action.ROLL_BACK: _roll_back,
    Action.ROLLBACK_ON_FAILURE: lambda w, r: (
        f"To swap back at once when checks fail, {w.setting(SWAP, 'rollbackOnFailure', 'true')}."
    ),
    Action.RUN_SMOKE: lambda w, r: f"Run the checks once the cause is fixed: {w.task(SMOKE)} on {_slot(r)}.",
    Action.LOOK_AT_SLOTS: lambda w, r: (
        "The task's summary shows the slots (what each runs and holds), and so does the app's Deployment "
        "slots page in the Azure portal."
    ),
    Action.RAISE_TIMEOUT: _timeout,
    Action.SEE_CHECKS_SCHEMA: lambda w, r: (
        "The README of slotwise describes their format, with an example (the task's help links to it)."
    ),
    Action.CHOOSE_SLOT: lambda w, r: (
        f"Set {w.field(w.command, SLOT_INPUT[w.command])} (e.g. `staging`; `production` for the production "
        "slot)."
    ),
    Action.CHECK_APP: lambda w, r: (
        f"Check {w.field(w.command, 'appName')} and {w.field(w.command, 'resourceGroupName')}, and that the "
        "service connection's subscription is the app's."
    ),
    Action.SEE_USAGE: lambda w, r: "Check this task's inputs: the editor shows what each expects.",
}


def accept_finding(command: str, code: str) -> str:
    """How a pipeline author lets a swap go on despite the error-level preflight finding ``code``."""
    where = TaskWording(command).field(SWAP, "acceptFindings")
    if command == SWAP:
        return f"If the change is meant, accept it: add `{code}` to {where} (`acceptFindings: {code}`)."
    return f"The swap stops on it unless {where} names it (`acceptFindings: {code}`)."


def advice(error: SlotwiseError, command: str) -> str:
    """What to do about ``error``, as the task ``command`` says it to a pipeline author."""
    return _advice(error, TaskWording(command))
