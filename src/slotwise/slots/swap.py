"""Swap two slots of an app, in one go or with preview, as the service runs it.

Owns: starting a swap and following it to the end (azure-core's poller, ``poll_interval`` between
polls, an overall timeout on the injected clock), the two phases of a swap with preview
(``prepare`` applies the target's slot settings to the source; ``complete`` swaps; ``cancel`` undoes
the preparation), and telling the truth when interrupted: a swap Azure accepted cannot be stopped,
so Ctrl-C reports where each slot stands. A dropped connection while starting a swap is resolved by
asking the service whether the swap started, never by starting a second one blindly.

Does not: decide holds (``slots.holds`` records one after a swap into production), run smoke checks
or roll back (``slots.release`` composes those), or print (a ``Reporter`` is told).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core.polling import LROPoller

from slotwise.azure.arm import boundary
from slotwise.azure.models import PRODUCTION, SlotInfo, SlotRef, slot_name
from slotwise.errors import Cancelled, ConflictError, OperationTimeout, RemoteError, UsageError
from slotwise.factory import Services
from slotwise.slots.events import Reporter

DEFAULT_TIMEOUT = 30 * 60.0  # the service's own swaps can take many minutes on big apps
WAIT_SLICE = 0.5  # how often (real seconds) the waiting thread looks at the poller and the clock
REPORT_EVERY = 5.0  # seconds between "in progress" lines


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
                hint="Give the slot to swap with -s and the other one with --target (default: production).",
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
    poller = _start(
        services,
        request,
        before=source.swap_status.timestamp if source.swap_status else None,
        reporter=reporter,
    )
    _follow(services, request, poller, reporter)
    after = web.get(request.target_ref)
    finished = services.clock.now()
    reporter.detail(f"swap complete after {(finished - started).total_seconds():.1f} s")
    return SwapResult(
        source=request.source,
        target=request.target_ref,
        phase="swapped",
        started=started,
        finished=finished,
        completed_at=after.swap_status.timestamp if after.swap_status else None,
    )


def prepare(services: Services, request: SwapRequest, *, reporter: Reporter) -> SwapResult:
    """Phase one of a swap with preview: the source takes the target's slot settings and restarts,
    so it can be checked with production's configuration before anything changes in production."""
    request.validate()
    web = services.web_apps
    source = web.get(request.source)
    if source.target_swap_slot:
        raise ConflictError(
            f"Slot '{request.source.slot}' is already prepared for a swap with '{source.target_swap_slot}'.",
            hint="Complete it with --complete, or cancel it with --cancel.",
        )
    started = services.clock.now()
    reporter.step(
        f"Preparing the swap of {request.source.slot} with {request.target_ref.slot} (swap with preview)"
    )
    web.apply_swap_preview(request.source, request.target_ref.slot, preserve_vnet=request.preserve_vnet)
    reporter.detail(
        f"{request.source.slot} now runs with {request.target_ref.slot}'s slot settings; check it at "
        f"{source.url}, then run with --complete (or --cancel)"
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
            hint="Prepare it first with --preview (or swap in one go without --complete).",
        )
    if slot_name(source.target_swap_slot) != request.target_ref.slot:
        raise ConflictError(
            f"Slot '{request.source.slot}' is prepared for a swap with '{source.target_swap_slot}', "
            f"not with '{request.target_ref.slot}'.",
            hint=f"Complete with --target {source.target_swap_slot}, or cancel with --cancel.",
        )


def swap_prepared(services: Services, request: SwapRequest, *, reporter: Reporter) -> SwapResult:
    """Swap without the check for a prepared swap (the second phase is a plain swap call)."""
    started = services.clock.now()
    reporter.step(f"Completing the prepared swap of {request.source.slot} with {request.target_ref.slot}")
    before = services.web_apps.get(request.source)
    poller = _start(
        services,
        request,
        before=before.swap_status.timestamp if before.swap_status else None,
        reporter=reporter,
    )
    _follow(services, request, poller, reporter)
    after = services.web_apps.get(request.target_ref)
    return SwapResult(
        request.source,
        request.target_ref,
        "swapped",
        started,
        services.clock.now(),
        after.swap_status.timestamp if after.swap_status else None,
    )


def cancel(services: Services, source: SlotRef, *, reporter: Reporter) -> SwapResult:
    """Undo phase one of a swap with preview: the source gets its own settings back."""
    info = services.web_apps.get(source)
    if not info.target_swap_slot:
        raise ConflictError(f"Slot '{source.slot}' is not prepared for a swap: nothing to cancel.", hint="")
    started = services.clock.now()
    reporter.step(f"Cancelling the prepared swap of {source.slot} with {info.target_swap_slot}")
    services.web_apps.reset_swap_preview(source)
    return SwapResult(
        source, source.other(info.target_swap_slot), "cancelled", started, services.clock.now(), None
    )


def _refuse_if_other_swap_prepared(source: SlotInfo, target: SlotInfo) -> None:
    for info, other in ((source, target), (target, source)):
        prepared = info.target_swap_slot
        if prepared and slot_name(prepared) != other.ref.slot:
            raise ConflictError(
                f"Slot '{info.ref.slot}' is prepared for a swap with '{prepared}'.",
                hint=f"Complete or cancel that swap first (slotwise slot swap -s {info.ref.slot} --cancel).",
            )


def _start(
    services: Services, request: SwapRequest, *, before: datetime | None, reporter: Reporter
) -> LROPoller[None] | None:
    """Start the swap; None when the service had already started it (a retried start)."""
    try:
        return services.web_apps.begin_swap(
            request.source, request.target_ref.slot, preserve_vnet=request.preserve_vnet
        )
    except RemoteError as error:
        if error.status is not None:
            raise
        # the connection broke after the request went out: did the service start the swap?
        reporter.warning(
            f"lost the connection while starting the swap ({error.message}); asking Azure whether it started"
        )
        info = services.web_apps.get(request.source)
        swapped_since = info.swap_status is not None and (
            before is None or info.swap_status.timestamp > before
        )
        if info.target_swap_slot or swapped_since:
            reporter.detail("the swap had started; following it")
            return None
        return services.web_apps.begin_swap(
            request.source, request.target_ref.slot, preserve_vnet=request.preserve_vnet
        )


def _follow(
    services: Services, request: SwapRequest, poller: LROPoller[None] | None, reporter: Reporter
) -> None:
    """Wait for the swap to finish, reporting every few seconds; Ctrl-C says where things stand."""
    clock = services.clock
    deadline = clock.monotonic() + request.timeout
    began = clock.monotonic()
    try:
        if poller is None:
            _follow_by_reading(services, request, deadline, reporter)
            return
        reported = began
        while True:
            with boundary(f"swapping {request.source.slot} with {request.target_ref.slot}"):
                poller.wait(timeout=WAIT_SLICE)
            if poller.done():
                with boundary(f"swapping {request.source.slot} with {request.target_ref.slot}"):
                    poller.result()
                return
            if clock.monotonic() - reported >= REPORT_EVERY:
                reported = clock.monotonic()
                reporter.detail(f"swap in progress ({reported - began:.0f} s)")
            if clock.monotonic() > deadline:
                raise OperationTimeout(
                    f"The swap of {request.source.slot} with {request.target_ref.slot} did not finish within "
                    f"{request.timeout:.0f} s. It continues on the service.",
                    hint=f"Check it with `slotwise slot status -g {request.source.resource_group} "
                    f"-n {request.source.app}`.",
                )
    except KeyboardInterrupt:
        raise Cancelled(_where_things_stand(services, request)) from None


def _follow_by_reading(services: Services, request: SwapRequest, deadline: float, reporter: Reporter) -> None:
    """Follow a swap we have no poller for, by reading the slot until it is no longer being swapped."""
    while services.clock.monotonic() < deadline:
        info = services.web_apps.get(request.source)
        if not info.target_swap_slot:
            return
        reporter.detail("swap in progress")
        services.clock.sleep(services.web_apps.poll_interval)
    raise OperationTimeout(
        f"The swap of {request.source.slot} did not finish within {request.timeout:.0f} s."
    )


def _where_things_stand(services: Services, request: SwapRequest) -> str:
    """A sentence for Ctrl-C during a swap: the swap runs on; where each slot is now."""
    prefix = (
        f"Interrupted while swapping {request.source.slot} with {request.target_ref.slot}. Azure had "
        "accepted the swap and finishes it on its own; it cannot be stopped from here."
    )
    try:
        source = services.web_apps.get(request.source)
    except Exception:  # interrupted: say what we know without a second failure
        return f"{prefix} Check the slots with `slotwise slot status`."
    if source.target_swap_slot:
        return f"{prefix} It is still in progress. Check with `slotwise slot status` in a minute."
    return f"{prefix} It has already completed. Check with `slotwise slot status`."
