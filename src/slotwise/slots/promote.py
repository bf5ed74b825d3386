"""A swap as a release step: swap, record the hold, smoke-check the target, swap back if they fail.

Composes ``swap``, ``holds`` and ``smoke``: after a swap into production the source slot holds
production's previous build, and slotwise records that hold (who, which build, until when) so the
guard can protect it; with smoke checks, the target is checked right after the swap, and with
``rollback_on_failure`` a failing check, or checks that cannot be run, swap back at once, so a broken
or unchecked build does not stay live. Takes the smoke plan parsed and validated (``load_checks``):
a broken checks file fails before anything is swapped. Once the swap has completed, a failure of one
step (recording the hold) does not skip the next (the checks, the swap-back): it is raised at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slotwise.azure.models import PRODUCTION, SlotRef
from slotwise.errors import Action, Cancelled, Remedy, SlotwiseError, SmokeFailed
from slotwise.factory import Services
from slotwise.slots.events import Reporter
from slotwise.slots.smoke import SmokePlan, SmokeReport
from slotwise.slots.swap import SwapRequest, SwapResult, swap, swap_prepared


@dataclass(frozen=True)
class PromoteOptions:
    smoke_plan: SmokePlan | None = None  # parsed and validated before anything is swapped
    rollback_on_failure: bool = False
    hold_days: float = 7.0
    requested_by: str | None = None
    completing_preview: bool = False


@dataclass
class PromoteResult:
    swap: SwapResult
    held: SlotRef | None = None
    held_build: str | None = None
    smoke: SmokeReport | None = None
    rolled_back: SwapResult | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.swap.as_dict(),
            "hold": {"slot": self.held.slot, "build": self.held_build} if self.held else None,
            "smoke": self.smoke.as_dict() if self.smoke is not None else None,
            "rolledBack": self.rolled_back.as_dict() if self.rolled_back else None,
        }


def promote(
    services: Services, request: SwapRequest, options: PromoteOptions, *, reporter: Reporter
) -> PromoteResult:
    """Swap ``request.source`` into its target, then record, check and (if asked) roll back."""
    from slotwise.slots.content import read_content

    into_production = request.target_ref.is_production or request.source.is_production
    leaving = request.source if request.source.is_production else request.target_ref  # production
    previous = read_content(services, services.web_apps.get(leaving)) if into_production else None
    do_swap = swap_prepared if options.completing_preview else swap
    result = PromoteResult(swap=do_swap(services, request, reporter=reporter))
    unrecorded: SlotwiseError | None = None
    if into_production:
        holder = request.source if request.target_ref.is_production else request.target_ref
        result.held, result.held_build = holder, previous.label if previous else "production's previous build"
        unrecorded = _record_hold(services, holder, result.held_build, options, reporter)
    if options.smoke_plan is not None:
        result.smoke = _check(services, request, options.smoke_plan, result, options, reporter)
    if unrecorded is not None:
        raise _told(
            unrecorded,
            f"The swap completed, but recording the hold on {result.held} failed: ",
            hint="Do not run the swap again: it would swap back. The slots show the hold anyway "
            "(inferred from the swap); only who and which build are not recorded. Check that the "
            "identity may write tags (Microsoft.Resources/tags/write).",
            remedies=(Remedy.at(Action.LOOK_AT_SLOTS, request.source),),
        )
    return result


def _check(
    services: Services,
    request: SwapRequest,
    plan: SmokePlan,
    result: PromoteResult,
    options: PromoteOptions,
    reporter: Reporter,
) -> SmokeReport:
    """Smoke-check the target; when the checks fail (or cannot be run) swap back if asked, and raise."""
    from slotwise.slots.smoke import run_smoke

    target = request.target_ref.slot
    try:
        report = run_smoke(services, request.target_ref, plan, reporter=reporter)
    except Cancelled:
        raise
    except SlotwiseError as error:
        if not options.rollback_on_failure:
            raise _told(
                error,
                f"The swap completed, but the smoke checks on {target} could not be run: ",
                hint="Do not run the swap again: it would swap back.",
                remedies=(
                    Remedy.at(Action.RUN_SMOKE, request.target_ref),
                    Remedy.at(Action.ROLL_BACK, _holder(request)),
                ),
            ) from None
        reporter.warning(f"the smoke checks on {target} could not be run ({error.message}): swapping back")
        _swap_back(services, request, result, options, reporter, why="its smoke checks could not be run")
        raise SmokeFailed(
            f"The smoke checks on {target} could not be run after the swap ({error.message}), so it was "
            f"swapped back: {target} runs what it ran before, {request.source.slot} has the unchecked build.",
            hint="Fix what stopped the checks, then swap again.",
        ) from error
    if report.passed:
        return report
    if not options.rollback_on_failure:
        raise SmokeFailed(
            f"Smoke checks failed on {target} after the swap ({report.failed_count} failed).",
            remedies=(
                Remedy.at(Action.ROLL_BACK, _holder(request)),
                Remedy.at(Action.ROLLBACK_ON_FAILURE, request.source, request.target_ref.slot),
            ),
            report=report,
        )
    reporter.warning(f"smoke checks failed on {target}: swapping back")
    _swap_back(services, request, result, options, reporter, why="its smoke checks failed")
    raise SmokeFailed(
        f"Smoke checks failed on {target} after the swap, so it was swapped back: "
        f"{target} runs what it ran before, {request.source.slot} has the failing build.",
        hint="Fix the build, deploy it again to the slot, and swap again.",
        report=report,
    )


def _swap_back(
    services: Services,
    request: SwapRequest,
    result: PromoteResult,
    options: PromoteOptions,
    reporter: Reporter,
    *,
    why: str,
) -> None:
    """Swap the pair back (the same follow-up as any swap), then end the hold: the slot that held
    production's previous build now has the build that failed, which is no rollback."""
    from slotwise.slots.holds import release_hold

    try:
        result.rolled_back = swap(services, request, reporter=reporter)
    except SlotwiseError as error:
        raise _told(
            error,
            f"The build swapped into {request.target_ref.slot} may still be live although {why}: "
            "swapping back failed: ",
            hint=f"Look at the slots first; if {request.target_ref.slot} still runs that build, roll back. "
            "Do not run the swap again.",
            remedies=(
                Remedy.at(Action.LOOK_AT_SLOTS, request.source),
                Remedy.at(Action.ROLL_BACK, _holder(request)),
            ),
        ) from None
    if result.held is None:
        return
    try:
        release_hold(services, result.held, by=options.requested_by, reporter=reporter)
    except SlotwiseError as error:
        reporter.warning(
            f"swapped back, but ending the hold on {result.held.slot} failed ({error.message}): release "
            "it before deploying the fix there"
        )


def _told(error: SlotwiseError, prefix: str, *, hint: str, remedies: tuple[Remedy, ...]) -> SlotwiseError:
    """``error`` (its class and exit code kept) with what had happened before it said first, and
    advice that fits: after a completed swap, running the same swap again would swap back."""
    error.message = f"{prefix}{error.message}"
    error.args = (error.message,)
    error.hint, error.remedies = hint, remedies
    return error


def _holder(request: SwapRequest) -> SlotRef:
    """The slot that holds production's previous build after the swap (a rollback swaps it back)."""
    return request.target_ref if request.source.is_production else request.source


def _record_hold(
    services: Services, holder: SlotRef, build: str, options: PromoteOptions, reporter: Reporter
) -> SlotwiseError | None:
    """Record the hold; the error if that failed (the checks and swap-back still follow)."""
    from slotwise.slots.holds import record_hold

    expires = services.clock.now() + timedelta(days=options.hold_days)
    try:
        record_hold(services, holder, build=build, by=options.requested_by, expires=expires)
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


__all__ = ["PRODUCTION", "PromoteOptions", "PromoteResult", "promote"]
