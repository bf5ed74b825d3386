"""The guard against overwriting production's previous build: ``check``, then fail, wait or park.

After a swap into production, the slot that took part in it runs production's previous build, the
only instant rollback. The next release that deploys into that slot destroys it. The guard decides
whether a slot is *held* and what to do about it.

Rules of a hold
---------------
- A slot is **held** when it received production's content in a swap and has not been redeployed or
  explicitly released since. This is detected for any swap, made by slotwise, in the portal or by
  any other tool: the slot's ``slotSwapStatus`` says it swapped with production at time T, and the
  content now in the slot (whose Kudu deployment history travels with the content in a swap) has a
  live deployment that ended before T: it is production's previous build. If the live deployment is
  newer than T, the slot was redeployed since: not held. A slot that never had a deployment and
  swapped with production at T is held too (production's previous content, unlabelled). A failed or
  running deployment after T does not end a hold: the slot still serves the held build.
- slotwise also **records** its own holds as the tag ``slotwise-hold`` on the slot (compact JSON of
  at most 256 characters: the build's label, who swapped it out, when, until when, and the swap the
  record is about), written by whoever swaps into production (``holds.record_hold``). A recorded
  hold names who and which build; an inferred one says "swapped by another tool at T". A record is
  about one swap: after a later swap or a redeployment of the slot it no longer counts.
- A hold **expires** (by default 7 days after the swap; ``hold_days``, ``--hold-days``), and is
  **released** explicitly (``holds.release_hold``, ``slotwise slot release-hold``), which removes
  the record and remembers the released swap's time in the tag ``slotwise-released`` so the hold
  inferred from that same swap stays released.
- **Production is never held**: deploying to production is the deploy command's business.
- **Parking** swaps the held build into another slot (``park`` by default), which then carries the
  hold record (the build stays available for rollback there) and frees the slot. A park slot that
  is itself held is refused.

Owns: the decision (``check``, the signature ``slots.deploy`` calls), the message of a refusal, and
the three ways on (``refuse``, ``wait_for_release``, ``park``), dispatched by ``guard``.
Must not: deploy, print, sleep other than through ``services.clock``, or read or write tags itself
(``holds`` owns the records).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NoReturn

from slotwise.azure.models import SlotRef, slot_name
from slotwise.errors import (
    Action,
    HeldSlotError,
    NotFoundError,
    OperationTimeout,
    Remedy,
    RemoteError,
    SlotwiseError,
    UsageError,
)
from slotwise.events import Reporter
from slotwise.services import Services
from slotwise.slots.holds import DEFAULT_HOLD_DAYS, clear_hold, inspect_hold, inspect_slot, record_hold
from slotwise.slots.model import GuardDecision, Hold
from slotwise.slots.swap import SwapRequest, swap

GuardMode = Literal["fail", "wait", "park"]
Outcome = Literal["free", "released", "expired", "parked"]
MODES: tuple[GuardMode, ...] = ("fail", "wait", "park")
DEFAULT_PARK_SLOT = "park"
DEFAULT_WAIT_TIMEOUT = 3600.0
DEFAULT_POLL_INTERVAL = 30.0


def when(moment: datetime | None) -> str:
    """A time for people: UTC, to the minute."""
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "never"


def describe(hold: Hold) -> str:
    """One sentence about a hold: which build, where, since when, by whom, until when."""
    parked = f" (parked here from slot '{hold.parked_from}')" if hold.parked_from else ""
    return (
        f"slot '{hold.slot.slot}' of app '{hold.slot.app}' holds {hold.build}, production's previous "
        f"build{parked}: it was swapped out of production at {when(hold.since)} {hold.swapped_by}; "
        f"the hold lasts until {when(hold.expires)}"
    )


def held_error(hold: Hold) -> HeldSlotError:
    """The refusal: what is held, and the three ways on (each face words them: a command, inputs)."""
    ref = hold.slot
    text = describe(hold)
    return HeldSlotError(
        f"{text[0].upper()}{text[1:]}. Deploying into '{ref.slot}' now would destroy that rollback: "
        "park it in another slot, end the hold, or overwrite it on purpose.",
        remedies=(
            Remedy.at(Action.PARK_HELD_BUILD, ref, DEFAULT_PARK_SLOT),
            Remedy.at(Action.RELEASE_HOLD, ref),
            Remedy.at(Action.ALLOW_OVERWRITE, ref),
        ),
    )


def check(
    services: Services, ref: SlotRef, reporter: Reporter, *, hold_days: float = DEFAULT_HOLD_DAYS
) -> GuardDecision:
    """Whether deploying into ``ref`` is safe now; if not, the hold that forbids it. Never raises
    for a hold (``guard`` and the deploy command decide what to do); a slot that does not exist
    holds nothing (the deployment may create it)."""
    reporter.step(f"Checking whether {ref} holds production's previous build")
    try:
        info = services.web_apps.get(ref)
    except NotFoundError:
        reason = f"slot '{ref.slot}' of app '{ref.app}' does not exist (yet): it holds nothing"
        reporter.detail(reason)
        return GuardDecision(slot=ref, hold=None, reasons=[reason])
    content, found = inspect_slot(services, info, hold_days=hold_days)
    if content is not None:
        reporter.detail(f"{ref.slot} runs {content.label}")
    for reason in found.reasons:
        reporter.detail(reason)
    if found.hold is not None:
        reporter.detail(f"held: {describe(found.hold)}")
    return GuardDecision(slot=ref, hold=found.hold, reasons=list(found.reasons))


@dataclass(frozen=True)
class GuardOptions:
    """How ``guard`` goes on when the slot is held."""

    park_slot: str = DEFAULT_PARK_SLOT
    create_park_slot: bool = False
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT
    poll_interval: float = DEFAULT_POLL_INTERVAL
    hold_days: float = DEFAULT_HOLD_DAYS


@dataclass(frozen=True)
class GuardResult:
    """What the guard found first (``decision``), and how the slot became free (``outcome``)."""

    decision: GuardDecision
    mode: GuardMode
    outcome: Outcome
    parked_in: SlotRef | None = None
    waited: float = 0.0  # seconds, on the services' clock

    @property
    def slot(self) -> SlotRef:
        return self.decision.slot

    def as_dict(self) -> dict[str, Any]:
        hold = self.decision.hold
        return {
            "slot": self.slot.slot,
            "app": self.slot.app,
            "resourceGroup": self.slot.resource_group,
            "mode": self.mode,
            "held": hold.as_dict() if hold else None,
            "outcome": self.outcome,
            "parkedIn": self.parked_in.slot if self.parked_in else None,
            "waitedSeconds": round(self.waited, 3),
            "reasons": list(self.decision.reasons),
        }


Way = Callable[[Services, GuardDecision, GuardOptions, Reporter], GuardResult]


def guard(
    services: Services,
    ref: SlotRef,
    *,
    mode: GuardMode = "fail",
    park_slot: str = DEFAULT_PARK_SLOT,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    create_park_slot: bool = False,
    hold_days: float = DEFAULT_HOLD_DAYS,
    reporter: Reporter,
) -> GuardResult:
    """Make sure deploying into ``ref`` destroys no rollback: free already, or made free by ``mode``
    (``fail`` raises ``HeldSlotError``, ``wait`` waits for the hold to end, ``park`` moves it)."""
    if mode not in WAYS:
        raise UsageError(f"Unknown guard mode '{mode}': use one of {', '.join(MODES)}.")
    options = GuardOptions(park_slot, create_park_slot, wait_timeout, poll_interval, hold_days)
    decision = check(services, ref, reporter, hold_days=hold_days)
    if decision.hold is None:
        reporter.detail(f"{ref.slot} holds no rollback build: deploying into it is safe")
        return GuardResult(decision, mode, "free")
    return WAYS[mode](services, decision, options, reporter)


# ---- fail -------------------------------------------------------------------------------------------
def refuse(
    services: Services, decision: GuardDecision, options: GuardOptions, reporter: Reporter
) -> NoReturn:
    """``fail``: refuse with a message naming the held build and the ways on."""
    if decision.hold is None:
        raise UsageError(f"{decision.slot} is not held: there is nothing to refuse.")
    raise held_error(decision.hold)


# ---- wait -------------------------------------------------------------------------------------------
def wait_for_release(
    services: Services, decision: GuardDecision, options: GuardOptions, reporter: Reporter
) -> GuardResult:
    """``wait``: poll (on the services' clock) until the hold ends, or ``OperationTimeout``."""
    hold = decision.hold
    if hold is None:
        return GuardResult(decision, "wait", "free")
    clock = services.clock
    reporter.step(
        f"Waiting up to {options.wait_timeout:g} s for the hold on {decision.slot} to end "
        f"(released, or expiring at {when(hold.expires)})"
    )
    started = clock.monotonic()
    while True:
        waited = clock.monotonic() - started
        if waited >= options.wait_timeout:
            raise _still_held(hold, options.wait_timeout)
        clock.sleep(max(0.0, min(options.poll_interval, options.wait_timeout - waited)))
        _, _, found = inspect_hold(services, decision.slot, hold_days=options.hold_days)
        waited = clock.monotonic() - started
        if found.hold is None:
            outcome: Outcome = found.lapse or "free"
            reporter.detail(f"the hold ended after {waited:.0f} s: {'; '.join(found.reasons) or outcome}")
            return GuardResult(decision, "wait", outcome, waited=waited)
        reporter.progress(int(waited), int(options.wait_timeout), "seconds")


def _still_held(hold: Hold, timeout: float) -> OperationTimeout:
    ref = hold.slot
    return OperationTimeout(
        f"Slot '{ref.slot}' of app '{ref.app}' still holds {hold.build} after waiting {timeout:g} s "
        f"(the hold lasts until {when(hold.expires)}).",
        remedies=(
            Remedy.at(Action.PARK_HELD_BUILD, ref, DEFAULT_PARK_SLOT),
            Remedy.at(Action.RELEASE_HOLD, ref),
            Remedy.at(Action.WAIT_LONGER, ref),
        ),
    )


# ---- park -------------------------------------------------------------------------------------------
def park(
    services: Services, decision: GuardDecision, options: GuardOptions, reporter: Reporter
) -> GuardResult:
    """``park``: swap the held build into the park slot, which then carries the hold; the slot is free."""
    hold = decision.hold
    if hold is None:
        return GuardResult(decision, "park", "free")
    ref = decision.slot
    target = _park_slot(services, ref, options, reporter)
    _refuse_held_park_slot(services, target, options)
    reporter.step(f"Parking {hold.build}: swapping slot '{ref.slot}' with slot '{target.slot}'")
    swap(services, SwapRequest(ref, target.slot), reporter=reporter)  # followed to its end, as any swap
    try:
        record_hold(
            services, target, hold.build, hold.by, hold.expires, since=hold.since, parked_from=ref.slot
        )
        clear_hold(services, services.web_apps.get(ref))
    except SlotwiseError as error:
        raise RemoteError(
            f"{hold.build} was parked in slot '{target.slot}', but recording its hold there failed: "
            f"{error.message}",
            hint=f"Until it is recorded nothing protects slot '{target.slot}': do not deploy into it. "
            "Check the identity may write tags (Microsoft.Resources/tags/write), then park again.",
        ) from error
    reporter.detail(f"slot '{target.slot}' now holds {hold.build}; slot '{ref.slot}' is free")
    return GuardResult(decision, "park", "parked", parked_in=target)


def _park_slot(services: Services, ref: SlotRef, options: GuardOptions, reporter: Reporter) -> SlotRef:
    target = ref.other(slot_name(options.park_slot))
    if target.is_production or target == ref:
        raise UsageError(
            f"Cannot park into slot '{target.slot}': choose a deployment slot other than '{ref.slot}' "
            "and production.",
            remedies=(Remedy.at(Action.CHOOSE_PARK_SLOT, ref),),
        )
    if services.web_apps.exists(target):
        return target
    if not options.create_park_slot:
        raise NotFoundError(
            f"App '{ref.app}' has no slot '{target.slot}' to park the held build in.",
            remedies=(
                Remedy.at(Action.CREATE_PARK_SLOT, ref, target.slot),
                Remedy.at(Action.CHOOSE_PARK_SLOT, ref),
            ),
        )
    reporter.step(f"Creating slot '{target.slot}' to park the held build in")
    services.web_apps.create_slot(target)
    return target


def _refuse_held_park_slot(services: Services, target: SlotRef, options: GuardOptions) -> None:
    _, _, found = inspect_hold(services, target, hold_days=options.hold_days)
    if found.hold is None:
        return
    raise HeldSlotError(
        f"Cannot park in slot '{target.slot}': {describe(found.hold)}. Parking there would swap that "
        "build out of its slot and leave it unprotected.",
        remedies=(Remedy.at(Action.CHOOSE_PARK_SLOT, target), Remedy.at(Action.RELEASE_HOLD, target)),
    )


WAYS: dict[str, Way] = {"fail": refuse, "wait": wait_for_release, "park": park}
