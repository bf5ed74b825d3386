"""Swap two slots of an app, in one go or with preview, as the service runs it.

Owns the swap operations: ``swap`` (checks the pair, sends the swap and follows it to its end within
an overall timeout on the injected clock), the two phases of a swap with preview (``prepare`` applies
the target's slot settings to the source; ``complete`` swaps; ``cancel`` undoes the preparation), and
telling the truth when interrupted: a swap Azure accepted cannot be stopped, so Ctrl-C reports where
each slot stands. How a swap is sent and how its outcome is found out (the poller, then the slots'
own state; never a second swap sent blindly) is ``slots.swap_follow``, the one mechanism for every
swap slotwise makes.

Does not: decide holds (``slots.holds`` records one after a swap into production), run smoke checks
or roll back (``slots.promote`` follows a swap up with those), choose the phase (the faces call
``slots.swap_phases.run_swap``, which calls these), or print (a ``Reporter`` is told).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slotwise.azure.models import PRODUCTION, SlotInfo, SlotRef, slot_name
from slotwise.errors import Action, Cancelled, ConflictError, Remedy, SlotwiseError, UsageError
from slotwise.events import Reporter
from slotwise.services import Services
from slotwise.slots.swap_follow import Baseline, Seen, apply_once, busy, follow, observe, start

DEFAULT_TIMEOUT = 30 * 60.0  # the service's own swaps can take many minutes on big apps


@dataclass(frozen=True)
class SwapRequest:
    """Swap ``source`` with ``target`` (a slot name; production by default)."""

    source: SlotRef
    target: str = PRODUCTION
    preserve_vnet: bool = True
    timeout: float = DEFAULT_TIMEOUT

    @property
    def target_ref(self) -> SlotRef:
        return self.source.other(self.target)

    def validate(self) -> None:
        if self.source.slot == slot_name(self.target):
            raise UsageError(
                f"Cannot swap slot '{self.source.slot}' with itself.",
                remedies=(Remedy(Action.CHOOSE_SWAP_PAIR),),
            )


@dataclass(frozen=True)
class SwapResult:
    """What a swap (or one phase of a swap with preview) did."""

    source: SlotRef
    target: SlotRef
    phase: str  # swapped | prepared | cancelled
    started: datetime
    finished: datetime
    completed_at: datetime | None  # the service's own timestamp (slotSwapStatus), when swapped

    @property
    def seconds(self) -> float:
        return (self.finished - self.started).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return {
            "app": self.source.app,
            "resourceGroup": self.source.resource_group,
            "source": self.source.slot,
            "target": self.target.slot,
            "phase": self.phase,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "seconds": round(self.seconds, 3),
            "completedAt": self.completed_at.isoformat() if self.completed_at else None,
        }


def swap(services: Services, request: SwapRequest, *, reporter: Reporter) -> SwapResult:
    """Swap ``request.source`` with its target and wait until the service has finished."""
    request.validate()
    web = services.web_apps
    source, target = web.get(request.source), web.get(request.target_ref)
    _refuse_if_other_swap_prepared(source, target)
    started = services.clock.now()
    reporter.step(
        f"Swapping {request.source.slot} with {request.target_ref.slot} on app '{request.source.app}'"
    )
    _run(services, request, Baseline.of(source), reporter)
    finished = services.clock.now()
    reporter.detail(f"swap complete after {(finished - started).total_seconds():.1f} s")
    return SwapResult(
        source=request.source,
        target=request.target_ref,
        phase="swapped",
        started=started,
        finished=finished,
        completed_at=_completed_at(services, request),
    )


def prepare(services: Services, request: SwapRequest, *, reporter: Reporter) -> SwapResult:
    """Phase one of a swap with preview: the source takes the target's slot settings and restarts,
    so it can be checked with production's configuration before anything changes in production."""
    request.validate()
    web = services.web_apps
    source = web.get(request.source)
    if source.in_progress_operation_id:
        raise busy(services, request, None, doing="prepare a swap of")
    if source.target_swap_slot:
        raise ConflictError(
            f"Slot '{request.source.slot}' is already prepared for a swap with '{source.target_swap_slot}'.",
            remedies=_phases(request.source, source.target_swap_slot),
        )
    started = services.clock.now()
    reporter.step(
        f"Preparing the swap of {request.source.slot} with {request.target_ref.slot} (swap with preview)"
    )
    try:
        apply_once(
            services,
            request,
            lambda: web.apply_swap_preview(
                request.source, request.target_ref.slot, preserve_vnet=request.preserve_vnet
            ),
            lambda info: _prepared_with(info, request.target_ref.slot),
            doing=f"preparing the swap of {request.source.slot} with {request.target_ref.slot}",
            reporter=reporter,
        )
    except ConflictError as error:
        raise busy(services, request, error, doing="prepare a swap of") from None
    reporter.detail(
        f"{request.source.slot} now runs with {request.target_ref.slot}'s slot settings; check it at "
        f"{source.url}, then complete the swap (or cancel it)"
    )
    return SwapResult(request.source, request.target_ref, "prepared", started, services.clock.now(), None)


def complete(services: Services, request: SwapRequest, *, reporter: Reporter) -> SwapResult:
    """Phase two of a swap with preview: swap the prepared slots."""
    check_prepared(services, request)
    return swap_prepared(services, request, reporter=reporter)


def check_prepared(services: Services, request: SwapRequest) -> None:
    """ConflictError unless ``request.source`` is prepared (phase one) for a swap with its target."""
    source = services.web_apps.get(request.source)
    if not source.target_swap_slot:
        raise ConflictError(
            f"Slot '{request.source.slot}' is not prepared for a swap.",
            remedies=(Remedy.at(Action.PREPARE_SWAP, request.source, request.target_ref.slot),),
        )
    if slot_name(source.target_swap_slot) != request.target_ref.slot:
        raise ConflictError(
            f"Slot '{request.source.slot}' is prepared for a swap with '{source.target_swap_slot}', "
            f"not with '{request.target_ref.slot}'.",
            remedies=_phases(request.source, source.target_swap_slot),
        )


def swap_prepared(services: Services, request: SwapRequest, *, reporter: Reporter) -> SwapResult:
    """Swap without the check for a prepared swap (the second phase is a plain swap call)."""
    started = services.clock.now()
    reporter.step(f"Completing the prepared swap of {request.source.slot} with {request.target_ref.slot}")
    before = services.web_apps.get(request.source)
    _run(services, request, Baseline.of(before), reporter)
    return SwapResult(
        request.source,
        request.target_ref,
        "swapped",
        started,
        services.clock.now(),
        _completed_at(services, request),
    )


def cancel(services: Services, source: SlotRef, *, reporter: Reporter) -> SwapResult:
    """Undo phase one of a swap with preview: the source gets its own settings back."""
    info = services.web_apps.get(source)
    if not info.target_swap_slot:
        raise ConflictError(f"Slot '{source.slot}' is not prepared for a swap: nothing to cancel.", hint="")
    started = services.clock.now()
    reporter.step(f"Cancelling the prepared swap of {source.slot} with {info.target_swap_slot}")
    request = SwapRequest(source, slot_name(info.target_swap_slot))
    try:
        apply_once(
            services,
            request,
            lambda: services.web_apps.reset_swap_preview(source),
            lambda now: not now.target_swap_slot,
            doing=f"cancelling the prepared swap of {source.slot}",
            reporter=reporter,
        )
    except ConflictError as error:
        raise busy(services, request, error, doing="cancel the prepared swap of") from None
    return SwapResult(
        source, source.other(info.target_swap_slot), "cancelled", started, services.clock.now(), None
    )


def _prepared_with(info: SlotInfo, target: str) -> bool:
    """Whether ``info`` is prepared (phase one done) for a swap with slot ``target``."""
    return bool(info.target_swap_slot) and slot_name(info.target_swap_slot or "") == target


def _refuse_if_other_swap_prepared(source: SlotInfo, target: SlotInfo) -> None:
    for info, other in ((source, target), (target, source)):
        prepared = info.target_swap_slot
        if prepared and slot_name(prepared) != other.ref.slot and info.in_progress_operation_id:
            raise ConflictError(
                f"A swap of slot '{info.ref.slot}' with '{slot_name(prepared)}' is in progress.",
                hint="Wait until it has finished, then swap again.",
                remedies=(Remedy.at(Action.LOOK_AT_SLOTS, info.ref),),
            )
        if prepared and slot_name(prepared) != other.ref.slot:
            raise ConflictError(
                f"Slot '{info.ref.slot}' is prepared for a swap with '{prepared}'.",
                hint="Complete or cancel that swap first.",
                remedies=_phases(info.ref, prepared),
            )


def _run(services: Services, request: SwapRequest, baseline: Baseline, reporter: Reporter) -> None:
    """Send the swap and follow it to its end (``swap_follow``); Ctrl-C says where things stand."""
    deadline = services.clock.monotonic() + request.timeout
    try:
        poller = start(services, request, baseline, deadline, reporter)
        follow(services, request, poller, baseline, deadline, reporter)
    except KeyboardInterrupt:
        raise Cancelled(
            _where_things_stand(services, request, baseline),
            remedies=(Remedy.at(Action.LOOK_AT_SLOTS, request.source),),
        ) from None


def _completed_at(services: Services, request: SwapRequest) -> datetime | None:
    """The service's own time of the swap (the target's slotSwapStatus); None if it cannot be read
    now: the swap has completed, and a failing read must not hide that."""
    try:
        after = services.web_apps.get(request.target_ref)
    except SlotwiseError:
        return None
    return after.swap_status.timestamp if after.swap_status else None


def _where_things_stand(services: Services, request: SwapRequest, baseline: Baseline) -> str:
    """A sentence for Ctrl-C during a swap: the swap runs on; where it stands now."""
    prefix = (
        f"Interrupted while swapping {request.source.slot} with {request.target_ref.slot}. Azure had "
        "accepted the swap and finishes it on its own; it cannot be stopped from here."
    )
    try:
        seen = observe(services, request, baseline)
    except Exception:  # interrupted: say what we know without a second failure
        return f"{prefix} Look at the slots."
    if seen is Seen.RUNNING:
        return f"{prefix} It is still in progress. Look at the slots in a minute."
    if seen is Seen.SWAPPED:
        return f"{prefix} It has already completed. Look at the slots."
    return f"{prefix} The slots show no swap (yet). Look at the slots in a minute."


def _phases(ref: SlotRef, target: str | None) -> tuple[Remedy, ...]:
    """Complete or cancel the swap with preview ``ref`` is prepared for (with ``target``)."""
    other = slot_name(target or PRODUCTION)
    return (Remedy.at(Action.COMPLETE_SWAP, ref, other), Remedy.at(Action.CANCEL_SWAP, ref, other))
