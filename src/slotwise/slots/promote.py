"""What follows a swap into place: record the hold, smoke-check the target, swap back if they fail.

The second half of the two phases that swap (``Phase.SWAP`` and ``Phase.COMPLETE`` of
``slots.swap_phases``, which sends the swap and then calls ``follow_up``): after a swap into
production the source slot holds production's previous build, and slotwise records that hold (who,
which build, until when) so the guard can protect it; with smoke checks, the target is checked right
after the swap, and with ``rollback_on_failure`` a failing check, or checks that cannot be run, swap
back at once, so a broken or unchecked build does not stay live. Once the swap has completed, a
failure of one step (recording the hold) does not skip the next (the checks, the swap-back): it is
raised at the end.

Does not: choose the phase or send the first swap (``slots.swap_phases``), or print (a ``Reporter``
is told).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from slotwise.azure.models import SlotRef
from slotwise.errors import Action, Cancelled, Remedy, SlotwiseError, SmokeFailed
from slotwise.events import Reporter
from slotwise.services import Services
from slotwise.slots.holds import UNLABELLED  # the hold's build when production's cannot be named
from slotwise.slots.smoke import SmokePlan, SmokeReport
from slotwise.slots.swap import SwapRequest, swap

if TYPE_CHECKING:  # swap_phases imports this module: its types only for annotations
    from slotwise.slots.swap_phases import SwapOrder, SwapOutcome


def production_build(services: Services, request: SwapRequest) -> str | None:
    """Read before a swap into (or out of) production: the label of the build production runs now,
    which the other slot holds after the swap; None when production has no deployment to name it by,
    and for a swap between two deployment slots (nothing is read then)."""
    from slotwise.slots.content import read_content

    if _holder(request) is None:
        return None
    leaving = request.source if request.source.is_production else request.target_ref
    content = read_content(services, services.web_apps.get(leaving))
    return content.label if content else None


def follow_up(
    services: Services, order: SwapOrder, outcome: SwapOutcome, previous: str | None, *, reporter: Reporter
) -> None:
    """After ``outcome.swap`` swapped ``order.request``'s pair: record the hold on the slot that got
    production's ``previous`` build, run the smoke checks, swap back if they fail and it was asked;
    ``outcome`` is filled in as each step is done."""
    request = order.request
    unrecorded: SlotwiseError | None = None
    holder = _holder(request)
    if holder is not None:
        outcome.held, outcome.held_build = holder, previous or UNLABELLED
        unrecorded = _record_hold(services, holder, outcome.held_build, order, reporter)
    if order.smoke_plan is not None:
        outcome.smoke = _check(services, order, order.smoke_plan, outcome, reporter)
    if unrecorded is not None:
        raise _told(
            unrecorded,
            f"The swap completed, but recording the hold on {outcome.held} failed: ",
            hint="Do not run the swap again: it would swap back. The slots show the hold anyway "
            "(inferred from the swap); only who and which build are not recorded. Check that the "
            "identity may write tags (Microsoft.Resources/tags/write).",
            remedies=(Remedy.at(Action.LOOK_AT_SLOTS, request.source),),
        )


def _holder(request: SwapRequest) -> SlotRef | None:
    """The slot that holds production's previous build after this swap; None unless production swaps."""
    if request.target_ref.is_production:
        return request.source
    return request.target_ref if request.source.is_production else None


def _check(
    services: Services, order: SwapOrder, plan: SmokePlan, outcome: SwapOutcome, reporter: Reporter
) -> SmokeReport:
    """Smoke-check the target; when the checks fail (or cannot be run) swap back if asked, and raise."""
    from slotwise.slots.smoke import run_smoke

    request = order.request
    target = request.target_ref.slot
    try:
        report = run_smoke(services, request.target_ref, plan, reporter=reporter)
    except Cancelled:
        raise
    except SlotwiseError as error:
        if not order.rollback_on_failure:
            raise _told(
                error,
                f"The swap completed, but the smoke checks on {target} could not be run: ",
                hint="Do not run the swap again: it would swap back.",
                remedies=(
                    Remedy.at(Action.RUN_SMOKE, request.target_ref),
                    Remedy.at(Action.ROLL_BACK, _rollback_place(request)),
                ),
            ) from None
        reporter.warning(f"the smoke checks on {target} could not be run ({error.message}): swapping back")
        _swap_back(services, order, outcome, reporter, why="its smoke checks could not be run")
        raise SmokeFailed(
            f"The smoke checks on {target} could not be run after the swap ({error.message}), so it was "
            f"swapped back: {target} runs what it ran before, {request.source.slot} has the unchecked build.",
            hint="Fix what stopped the checks, then swap again.",
        ) from error
    if report.passed:
        return report
    if not order.rollback_on_failure:
        raise SmokeFailed(
            f"Smoke checks failed on {target} after the swap ({report.failed_count} failed).",
            remedies=(
                Remedy.at(Action.ROLL_BACK, _rollback_place(request)),
                Remedy.at(Action.ROLLBACK_ON_FAILURE, request.source, request.target_ref.slot),
            ),
            report=report,
        )
    reporter.warning(f"smoke checks failed on {target}: swapping back")
    _swap_back(services, order, outcome, reporter, why="its smoke checks failed")
    raise SmokeFailed(
        f"Smoke checks failed on {target} after the swap, so it was swapped back: "
        f"{target} runs what it ran before, {request.source.slot} has the failing build.",
        hint="Fix the build, deploy it again to the slot, and swap again.",
        report=report,
    )


def _swap_back(
    services: Services, order: SwapOrder, outcome: SwapOutcome, reporter: Reporter, *, why: str
) -> None:
    """Swap the pair back (the same follow-up as any swap), then end the hold: the slot that held
    production's previous build now has the build that failed, which is no rollback."""
    from slotwise.slots.holds import release_hold

    request = order.request
    try:
        outcome.rolled_back = swap(services, request, reporter=reporter)
    except SlotwiseError as error:
        raise _told(
            error,
            f"The build swapped into {request.target_ref.slot} may still be live although {why}: "
            "swapping back failed: ",
            hint=f"Look at the slots first; if {request.target_ref.slot} still runs that build, roll back. "
            "Do not run the swap again.",
            remedies=(
                Remedy.at(Action.LOOK_AT_SLOTS, request.source),
                Remedy.at(Action.ROLL_BACK, _rollback_place(request)),
            ),
        ) from None
    if outcome.held is None:
        return
    try:
        release_hold(services, outcome.held, by=order.requested_by, reporter=reporter)
    except SlotwiseError as error:
        reporter.warning(
            f"swapped back, but ending the hold on {outcome.held.slot} failed ({error.message}): release "
            "it before deploying the fix there"
        )


def _told(error: SlotwiseError, prefix: str, *, hint: str, remedies: tuple[Remedy, ...]) -> SlotwiseError:
    """``error`` (its class and exit code kept) with what had happened before it said first, and
    advice that fits: after a completed swap, running the same swap again would swap back."""
    error.message = f"{prefix}{error.message}"
    error.args = (error.message,)
    error.hint, error.remedies = hint, remedies
    return error


def _rollback_place(request: SwapRequest) -> SlotRef:
    """The slot that holds production's previous build after the swap (a rollback swaps it back)."""
    return request.target_ref if request.source.is_production else request.source


def _record_hold(
    services: Services, holder: SlotRef, build: str, order: SwapOrder, reporter: Reporter
) -> SlotwiseError | None:
    """Record the hold; the error if that failed (the checks and swap-back still follow)."""
    from slotwise.slots.holds import record_hold

    expires = services.clock.now() + timedelta(days=order.hold_days)
    try:
        record_hold(services, holder, build=build, by=order.requested_by, expires=expires)
    except Cancelled:
        raise
    except SlotwiseError as error:
        reporter.warning(
            f"the swap completed, but recording the hold on {holder.slot} failed: {error.message}"
        )
        return error
    reporter.detail(
        f"{holder.slot} now holds {build} (production's previous build) until {expires:%Y-%m-%d %H:%M} UTC"
    )
    return None
