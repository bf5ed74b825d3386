"""Starting a swap and finding out how it ended: the poller is an optimisation, the slots are the truth.

Owns the one mechanism every swap of slotwise goes through (``slot swap``, the swap-back of
``--rollback-on-failure``, ``rollback``, the guard's park): ``start`` sends the swap and ``follow``
waits for its end. Once Azure has accepted a swap (its POST answered 202) the outcome is found out,
never guessed: azure-core's poller is followed while it answers; when it fails (an error status after
its retries, a dropped connection) the slots' own state is read instead until the swap is over:
``slotSwapStatus`` newer than before, naming this pair = swapped; ``inProgressOperationId``, or
``targetSwapSlot`` on a slot that was not prepared before = still running; neither, seen twice a poll
interval apart = it did not take place. A POST whose answer was lost is resolved the same way, and
started again only when the slots show no sign of it. Only when nothing can be read until the
deadline is the outcome unknown (``OutcomeUnknown``), said as such with what to look at.
``apply_once`` sends the two steps of a swap with preview that are not a swap (prepare, cancel) the
same way: a lost answer is resolved from the source slot's own state before anything is sent again.

Does not: check the request, record holds, run checks (``swap``, ``promote`` do), or print (a
``Reporter`` is told). Sleeps only through ``services.clock``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from azure.core.polling import LROPoller

from slotwise.azure.arm import boundary
from slotwise.azure.models import SlotInfo, SlotRef, slot_name
from slotwise.errors import (
    Action,
    Cancelled,
    ConflictError,
    OperationTimeout,
    OutcomeUnknown,
    Remedy,
    RemoteError,
    SlotwiseError,
)
from slotwise.events import Reporter
from slotwise.services import Services

if TYPE_CHECKING:
    from slotwise.slots.swap import SwapRequest

WAIT_SLICE = 0.5  # how often (real seconds) the waiting thread looks at the poller and the clock
REPORT_EVERY = 5.0  # seconds between "in progress" lines
CONFIRM_NOT_SWAPPED = 2  # reads showing no swap, a poll interval apart, before saying it did not happen
MAX_READ_PAUSE = 30.0  # seconds between reads of the slots while they cannot be read
MAX_STARTS = 2  # a start whose answer was lost and that the slots show no sign of is sent once more


class Seen(enum.Enum):
    """How a swap stands, as the source slot shows it."""

    RUNNING = "running"
    SWAPPED = "swapped"
    NOT_SWAPPED = "not swapped"


@dataclass(frozen=True)
class Baseline:
    """What the source slot showed just before the swap was sent."""

    swapped_at: datetime | None  # its last swap (slotSwapStatus), if any
    prepared: bool  # prepared for a swap with preview (targetSwapSlot was set already)

    @classmethod
    def of(cls, info: SlotInfo) -> Baseline:
        return cls(info.swap_status.timestamp if info.swap_status else None, bool(info.target_swap_slot))


def observe(services: Services, request: SwapRequest, baseline: Baseline) -> Seen:
    """How the swap of ``request`` stands, read from the source slot (raises if it cannot be read)."""
    info = services.web_apps.get(request.source)
    done = info.swap_status
    pair = {request.source.slot, request.target_ref.slot}
    if (
        done is not None
        and (baseline.swapped_at is None or done.timestamp > baseline.swapped_at)
        and {slot_name(done.source), slot_name(done.destination)} == pair
    ):
        return Seen.SWAPPED
    if info.in_progress_operation_id or (info.target_swap_slot and not baseline.prepared):
        return Seen.RUNNING
    return Seen.NOT_SWAPPED


def start(
    services: Services, request: SwapRequest, baseline: Baseline, deadline: float, reporter: Reporter
) -> LROPoller[None] | None:
    """Send the swap; the poller to follow it, or None when it has already ended (it had started
    although the answer to the start was lost). Never sends a second swap while one may be running."""
    for attempt in range(1, MAX_STARTS + 1):
        try:
            return services.web_apps.begin_swap(
                request.source, request.target_ref.slot, preserve_vnet=request.preserve_vnet
            )
        except ConflictError as error:
            if attempt == 1:
                raise busy(services, request, error) from None
            # the pair is busy now: with the swap whose start was lost, if the slots show it running
            seen, _ = wait_for_end(services, request, baseline, deadline, reporter, accepted=False)
            if seen is Seen.SWAPPED:
                return None
            raise busy(services, request, error) from None
        except RemoteError as error:
            if error.status is not None:
                raise
            lost = error
        reporter.warning(
            f"lost the connection while starting the swap ({lost.message}); reading the slots to find "
            "out whether Azure started it"
        )
        seen, ran = wait_for_end(services, request, baseline, deadline, reporter, accepted=False)
        if seen is Seen.SWAPPED:
            reporter.detail("Azure had started the swap, and it has completed")
            return None
        if ran:
            raise not_swapped(request, lost)
        if attempt == MAX_STARTS:
            raise RemoteError(
                f"{lost.message.rstrip('.')}. The slots show that Azure did not start the swap: nothing "
                "changed.",
                hint=lost.hint,
                remedies=lost.remedies,
            )
        reporter.detail("the slots show no sign of the swap: sending it again")
    raise AssertionError("unreachable")  # pragma: no cover  (the last attempt returns or raises)


def apply_once(
    services: Services,
    request: SwapRequest,
    send: Callable[[], None],
    shows: Callable[[SlotInfo], bool],
    *,
    doing: str,
    reporter: Reporter,
) -> None:
    """Send a change the source slot itself shows once made (``shows``: phase one of a swap with
    preview sets its ``targetSwapSlot``, a cancel clears it), as ``start`` sends a swap: when the
    answer was lost (the request may have reached Azure), the slot is read first; showing the change
    = done, not showing it = sent once more (``MAX_STARTS`` in all); unreadable = ``OutcomeUnknown``.
    A refusal of the second try counts as done too when the slot shows the change (the first try
    landed meanwhile). Any other refusal is raised as it came."""
    for attempt in range(1, MAX_STARTS + 1):
        try:
            send()
            return
        except RemoteError as error:
            if error.status is not None and (attempt == 1 or not _shown(services, request, shows, doing)):
                raise
            if error.status is not None:
                reporter.detail(f"Azure had done it on the first try ({doing})")
                return
            lost = error
        reporter.warning(
            f"lost the connection while {doing} ({lost.message}); reading slot '{request.source.slot}' to "
            "find out whether Azure did it"
        )
        if _shown(services, request, shows, doing, lost=lost):
            reporter.detail(f"the slot shows Azure did it ({doing})")
            return
        if attempt == MAX_STARTS:
            raise RemoteError(
                f"{lost.message.rstrip('.')}. Slot '{request.source.slot}' shows that Azure did not do it: "
                "nothing changed.",
                hint=lost.hint,
                remedies=lost.remedies,
            )
        reporter.detail("the slot shows no sign of it: sending it again")


def _shown(
    services: Services,
    request: SwapRequest,
    shows: Callable[[SlotInfo], bool],
    doing: str,
    *,
    lost: SlotwiseError | None = None,
) -> bool:
    """Whether the source slot shows the change; after a lost answer (``lost``), a slot that cannot
    be read is ``OutcomeUnknown``, otherwise it counts as not shown."""
    try:
        return shows(services.web_apps.get(request.source))
    except SlotwiseError as error:
        if lost is None:
            return False
        raise OutcomeUnknown(
            f"The connection was lost while {doing} ({lost.message.rstrip('.')}), and whether Azure did it "
            f"could not be found out: slot '{request.source.slot}' could not be read ({error.message}).",
            hint="Look at the slots (a prepared swap shows there) before doing anything else, then complete "
            "or cancel the prepared swap, or prepare it again.",
            remedies=(Remedy.at(Action.LOOK_AT_SLOTS, request.source),),
        ) from error


def follow(
    services: Services,
    request: SwapRequest,
    poller: LROPoller[None] | None,
    baseline: Baseline,
    deadline: float,
    reporter: Reporter,
) -> None:
    """Wait until the swap has ended: return when the slots are swapped; raise when it failed
    (``RemoteError`` with the service's words), timed out, or its outcome cannot be found out."""
    if poller is None:
        return
    clock = services.clock
    began = reported = clock.monotonic()
    doing = f"swapping {request.source.slot} with {request.target_ref.slot}"
    try:
        while not poller.done():
            with boundary(doing):
                poller.wait(timeout=WAIT_SLICE)
            if clock.monotonic() - reported >= REPORT_EVERY:
                reported = clock.monotonic()
                reporter.detail(f"swap in progress ({reported - began:.0f} s)")
            if clock.monotonic() > deadline and not poller.done():
                raise timed_out(request)
        with boundary(doing):
            poller.result()
        return
    except (OperationTimeout, Cancelled):
        raise
    except SlotwiseError as error:
        poll_error = error
    reporter.warning(
        f"the swap's status could not be read ({poll_error.message}); reading the slots to find out "
        "how the swap ended"
    )
    seen, _ = wait_for_end(services, request, baseline, deadline, reporter)
    if seen is Seen.NOT_SWAPPED:
        raise not_swapped(request, poll_error)
    reporter.detail("the slots show the swap completed")


def wait_for_end(
    services: Services,
    request: SwapRequest,
    baseline: Baseline,
    deadline: float,
    reporter: Reporter,
    *,
    accepted: bool = True,
) -> tuple[Seen, bool]:
    """Read the source slot until the swap is over: ``SWAPPED``, or ``NOT_SWAPPED`` seen
    ``CONFIRM_NOT_SWAPPED`` times in a row; and whether it was seen running meanwhile.
    ``OperationTimeout`` if it still runs at the deadline; ``OutcomeUnknown`` if the slot could not
    be read (``accepted``: Azure had accepted the swap)."""
    clock = services.clock
    pause = services.web_apps.poll_interval
    misses, reported, ran = 0, clock.monotonic(), False
    while True:
        try:
            seen: Seen | None = observe(services, request, baseline)
            read_error: SlotwiseError | None = None
        except Cancelled:
            raise
        except SlotwiseError as error:
            seen, read_error = None, error
        if seen is Seen.SWAPPED:
            return seen, ran
        ran = ran or seen is Seen.RUNNING
        misses = misses + 1 if seen is Seen.NOT_SWAPPED else 0
        if misses >= CONFIRM_NOT_SWAPPED:
            return Seen.NOT_SWAPPED, ran
        if seen is Seen.RUNNING and clock.monotonic() - reported >= REPORT_EVERY:
            reported = clock.monotonic()
            reporter.detail("swap in progress (read from the slots)")
        left = deadline - clock.monotonic()
        if left <= 0:
            if read_error is not None:
                raise unknown(request, read_error, accepted=accepted)
            raise timed_out(request)
        if read_error is None:
            pause = services.web_apps.poll_interval
        clock.sleep(min(pause, left))
        if read_error is not None:
            pause = min(pause * 2, MAX_READ_PAUSE)  # back off while the slots cannot be read


def busy(
    services: Services, request: SwapRequest, error: ConflictError | None, *, doing: str = "swap"
) -> ConflictError:
    """A 409 to a swap (or its preparation), told as what it is: a swap running, or prepared, on one
    of the slots (read from them), with Azure's words."""
    what = "another operation is in progress on one of the slots"
    prepared: SlotRef | None = None  # the slot prepared for a swap with preview, and its partner
    partner = ""
    for ref in (request.source, request.target_ref):
        try:
            info = services.web_apps.get(ref)
        except SlotwiseError:
            continue
        if info.in_progress_operation_id:
            partner = f" with '{slot_name(info.target_swap_slot)}'" if info.target_swap_slot else ""
            what = f"a swap of slot '{ref.slot}'{partner} is in progress"
            break
        if info.target_swap_slot:
            what = f"slot '{ref.slot}' is prepared for a swap with '{slot_name(info.target_swap_slot)}'"
            prepared, partner = ref, slot_name(info.target_swap_slot)
            break
    return ConflictError(
        f"Cannot {doing} {request.source.slot} with {request.target_ref.slot} of app '{request.source.app}' "
        f"now: {what}." + (f" Azure said: {error.message}" if error else ""),
        status=error.status if error else 409,
        code=error.code if error else None,
        hint=(
            "Complete or cancel the prepared swap, then swap again."
            if prepared
            else "Wait until it has finished, then swap again."
        ),
        remedies=(
            Remedy.at(Action.LOOK_AT_SLOTS, request.source),
            *(
                (
                    Remedy.at(Action.COMPLETE_SWAP, prepared, partner),
                    Remedy.at(Action.CANCEL_SWAP, prepared, partner),
                )
                if prepared
                else ()
            ),
        ),
    )


def not_swapped(request: SwapRequest, poll_error: SlotwiseError) -> RemoteError:
    """The swap ended without swapping: the slots show no new swap and no swap running."""
    return RemoteError(
        f"{poll_error.message.rstrip('.')}. The swap of {request.source.slot} with "
        f"{request.target_ref.slot} did not take place: Azure no longer runs it and neither slot shows "
        "it, so both run what they ran before.",
        status=getattr(poll_error, "status", None),
        code=getattr(poll_error, "code", None),
        hint="Look at the reason above (the app's activity log in the Azure portal has the details), "
        "fix it, then swap again.",
    )


def timed_out(request: SwapRequest) -> OperationTimeout:
    return OperationTimeout(
        f"The swap of {request.source.slot} with {request.target_ref.slot} did not finish within "
        f"{request.timeout:.0f} s. It continues on the service.",
        hint="Look at the slots to see how it ends.",
        remedies=(Remedy.at(Action.LOOK_AT_SLOTS, request.source),),
    )


def unknown(request: SwapRequest, error: SlotwiseError, *, accepted: bool) -> OutcomeUnknown:
    """Neither the swap's status nor the slots could be read until the deadline."""
    pair = f"the swap of {request.source.slot} with {request.target_ref.slot}"
    opening = (
        f"Azure accepted {pair}, but its outcome could not be found out"
        if accepted
        else f"The connection was lost while starting {pair}, and whether Azure started it could not be "
        "found out"
    )
    return OutcomeUnknown(
        f"{opening}: neither the swap's status nor the slots could be read within {request.timeout:.0f} s "
        f"(last answer: {error.message}). It may have completed, may still run, or may have failed.",
        hint="Look at the slots (what each serves and its last swap) and at the app's activity log in the "
        "Azure portal before doing anything else; smoke checks, the hold record and any swap-back were not "
        "done.",
        remedies=(Remedy.at(Action.LOOK_AT_SLOTS, request.source),),
    )
