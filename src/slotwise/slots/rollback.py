"""Roll production back to the build it ran before the last swap, by swapping back.

Owns the decision whether swapping back is still a rollback: the last swap is read from
production's ``slotSwapStatus`` (the service's record, so swaps made in the portal or by other tools
count), and the other slot must still hold what production gave it: it must not have taken part in
another swap since, nor been redeployed since (its latest Kudu deployment, which travels with the
content, must be older than the swap). A held build the guard parked in another slot is followed
there through the slots' swap records. If either happened, the previous production build is gone
and swapping back would put something else live: refused, with what happened instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slotwise.azure.models import PRODUCTION, SlotInfo, SlotRef
from slotwise.errors import Action, ConflictError, Remedy, UsageError
from slotwise.events import NullReporter, Reporter
from slotwise.services import Services
from slotwise.slots.swap import DEFAULT_TIMEOUT, SwapRequest, SwapResult, swap

MAX_HOPS = 5
SAME_SWAP = timedelta(milliseconds=1)  # both slots of one swap carry the same timestamp


@dataclass(frozen=True)
class RollbackPlan:
    """Which swap is undone: production and the slot that holds its previous build."""

    production: SlotRef
    holder: SlotRef
    swapped_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"slot": self.holder.slot, "swappedAt": self.swapped_at.isoformat()}


def plan_rollback(services: Services, resource_group: str, app: str) -> RollbackPlan:
    """The swap to undo; UsageError when production was never swapped, ConflictError saying why
    swapping back is no longer a rollback."""
    web = services.web_apps
    production = web.get(SlotRef(resource_group, app, PRODUCTION))
    last = production.swap_status
    if last is None:
        # not a conflict (nothing is in progress, waiting changes nothing) nor a remote failure: the
        # command does not apply to this app, as a wrong argument would not
        raise UsageError(
            f"Nothing to roll back: production of app '{app}' has never been swapped, so no slot holds "
            "a previous production build.",
            hint="Deploy the build you want live to a slot and swap it in.",
        )
    other = last.source if last.destination == PRODUCTION else last.destination
    holder = _follow_parked(services, web.get(production.ref.other(other)), last.timestamp)
    _refuse_if_redeployed(services, holder, last.timestamp)
    return RollbackPlan(production.ref, holder.ref, last.timestamp)


def _follow_parked(services: Services, holder: SlotInfo, swapped_at: datetime) -> SlotInfo:
    """Where production's previous build went after the swap: the slot that got it, or, if that slot
    was swapped again since (the guard parks held builds), the slot it was swapped with, and so on."""
    moment = swapped_at
    for _ in range(MAX_HOPS):
        status = holder.swap_status
        if status is None or status.timestamp < moment - SAME_SWAP:
            raise ConflictError(
                f"Cannot roll back: slot '{holder.ref.slot}' does not show the swap of "
                f"{moment:%Y-%m-%d %H:%M:%S} UTC, so it no longer holds production's previous build.",
                hint="Find the previous build, deploy it to a slot, then swap it in.",
                remedies=(Remedy.at(Action.LOOK_AT_SLOTS, holder.ref),),
            )
        if abs(status.timestamp - moment) <= SAME_SWAP:
            return holder
        if PRODUCTION in (status.source, status.destination):
            raise ConflictError(
                f"Cannot roll back: slot '{holder.ref.slot}' was swapped with production again "
                f"at {status.timestamp:%Y-%m-%d %H:%M:%S} UTC.",
                hint="Check what production runs now.",
                remedies=(Remedy.at(Action.LOOK_AT_SLOTS, holder.ref),),
            )
        partner = status.destination if status.source == holder.ref.slot else status.source
        holder = services.web_apps.get(holder.ref.other(partner))
        moment = status.timestamp
    raise ConflictError(
        "Cannot roll back: the previous production build moved through too many swaps to follow."
    )


def rollback(
    services: Services,
    resource_group: str,
    app: str,
    *,
    reporter: Reporter,
    timeout: float = DEFAULT_TIMEOUT,
    requested_by: str | None = None,
) -> tuple[RollbackPlan, SwapResult]:
    """Swap back the last swap into production, if that still restores production's previous build."""
    plan = plan_rollback(services, resource_group, app)
    reporter.step(
        f"Rolling back app '{app}': swapping production with {plan.holder.slot}, which holds the build "
        f"production ran before {plan.swapped_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    result = swap(services, SwapRequest(plan.holder, PRODUCTION, timeout=timeout), reporter=reporter)
    _release_rolled_back_build(services, plan.holder, by=requested_by, reporter=reporter)
    return plan, result


def _release_rolled_back_build(
    services: Services, holder: SlotRef, *, by: str | None, reporter: Reporter
) -> None:
    """After swapping back, ``holder`` has the build that was just rolled back out of production. It is
    not a rollback for anything: release it so the next deployment (the fix) may replace it."""
    from slotwise.slots.holds import release_hold

    release_hold(services, holder, by=by, reporter=NullReporter())
    reporter.detail(
        f"{holder.slot} now has the build that was rolled back; it is not held, so a fix can be "
        "deployed there"
    )


def _refuse_if_redeployed(services: Services, holder: SlotInfo, swapped_at: datetime) -> None:
    from slotwise.slots.content import read_content

    content = read_content(services, holder)
    if content is None or content.deployed_at is None or content.deployed_at <= swapped_at:
        return
    raise ConflictError(
        f"Cannot roll back: slot '{holder.ref.slot}' was redeployed ({content.label}, "
        f"{content.deployed_at:%Y-%m-%d %H:%M:%S} UTC) after the swap into production, which destroyed "
        "production's previous build.",
        hint="Deploy the previous build to a slot and swap it in. slotwise's guard, run before each "
        "deployment, prevents this.",
    )
