"""guard-against-overwrite: make sure deploying into a slot destroys no rollback build.

Inputs (docs/tasks-contract.md): ``slotName``, ``mode`` (``fail``, ``wait``, ``park``), ``parkSlot``,
``createParkSlot``, ``waitTimeoutMinutes``, ``holdDays``. Calls ``slots.guard.guard``. Outputs
``HoldStatus`` (``free``, ``held``, ``parked``; ``held`` is set before the task fails on a held slot,
so a later step with ``condition: failed()`` can read it), ``HeldBuild``, ``ParkedIn``.
"""

from __future__ import annotations

from slotwise.agent.runtime import TaskContext
from slotwise.errors import HeldSlotError, OperationTimeout
from slotwise.slots.guard import MODES, GuardMode, describe, guard

MODE_OF: dict[str, GuardMode] = {mode: mode for mode in MODES}
HOLD_STATUS = {"free": "free", "released": "free", "expired": "free", "parked": "parked"}


def run(ctx: TaskContext) -> str:
    inputs = ctx.inputs
    app = ctx.app_ref()
    ref = app.other(inputs.string("slotName", "staging") or "staging")
    mode = MODE_OF[inputs.choice("mode", MODES, "fail")]
    park_slot = inputs.string("parkSlot", "park") or "park"
    create_park_slot = inputs.boolean("createParkSlot")
    wait_timeout = inputs.number("waitTimeoutMinutes", default=60, minimum=0, maximum=7 * 24 * 60) * 60
    hold_days = inputs.number("holdDays", default=7, minimum=0, maximum=3650)
    ctx.summary.title = f"guard slot {ref.slot} against overwrite ({mode})"
    ctx.summary.fact("Slot", ref.slot)
    ctx.summary.fact("Mode", mode)
    services = ctx.connect()
    try:
        result = guard(
            services,
            ref,
            mode=mode,
            park_slot=park_slot,
            wait_timeout=wait_timeout,
            create_park_slot=create_park_slot,
            hold_days=hold_days,
            reporter=ctx.reporter,
        )
    except (HeldSlotError, OperationTimeout):
        ctx.output("HoldStatus", "held")
        raise
    hold = result.decision.hold
    status = HOLD_STATUS[result.outcome]
    ctx.output("HoldStatus", status)
    ctx.output("HeldBuild", hold.build if hold else None)
    ctx.output("ParkedIn", result.parked_in.slot if result.parked_in else None)
    ctx.summary.fact("Outcome", result.outcome)
    if hold is None:
        return f"Slot '{ref.slot}' holds no rollback build: deploying into it is safe."
    ctx.summary.fact("Was held", describe(hold))
    if result.parked_in is not None:
        ctx.summary.fact("Parked in", result.parked_in.slot)
        return (
            f"Parked {hold.build} from slot '{ref.slot}' in slot '{result.parked_in.slot}', which now holds "
            f"it for rollback. Slot '{ref.slot}' is free."
        )
    waited = f"{result.waited:.0f} s"
    return f"The hold on {hold.build} ended ({result.outcome}) after {waited}: slot '{ref.slot}' is free."
