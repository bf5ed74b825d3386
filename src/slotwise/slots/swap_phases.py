"""The swap phases as one API: what both faces call to swap, in one go or with preview.

A face (the CLI's ``slot swap``, the slot-swap task) maps its input to a ``SwapOrder`` (which
``Phase``, the slot pair, the parsed smoke plan, whether to swap back when the checks fail, how long
to hold production's previous build, who asked) and calls ``run_swap``; it renders the
``SwapOutcome`` (what the phase did, the hold recorded, the smoke report). The phases:

    SWAP      swap in one go, then record the hold, smoke-check the target, swap back if asked
    PREPARE   swap with preview, phase one: the source takes the target's slot settings
    COMPLETE  phase two: refuse unless the pair is prepared, swap, then as SWAP
    CANCEL    undo phase one: the source gets its own settings back

Which combinations make sense is decided here, once, when the order is made (before anything is
read or changed in Azure): smoke checks run after a swap, so they go with SWAP and COMPLETE only,
rolling back on failure needs checks that can fail, and a slot is not swapped with itself. What the
slots' state does not allow (a slot already prepared, a pair not prepared) is refused by the phase
itself (``slots.swap``), before it changes anything.

Does not: parse files or inputs (the faces hand over a parsed ``SmokePlan``), send or follow a swap
(``slots.swap``), record holds, run checks or swap back (``slots.promote``), or print (a
``Reporter`` is told). Errors are raised, never returned: a failed check raises ``SmokeFailed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from slotwise.azure.models import SlotRef
from slotwise.errors import UsageError
from slotwise.events import Reporter
from slotwise.services import Services
from slotwise.slots.holds import DEFAULT_HOLD_DAYS
from slotwise.slots.promote import follow_up, production_build
from slotwise.slots.smoke import SmokePlan, SmokeReport
from slotwise.slots.swap import SwapRequest, SwapResult, cancel, check_prepared, prepare, swap, swap_prepared


class Phase(Enum):
    """One step of a swap; the values are the words both faces use (``--preview``, ``swapAction``)."""

    SWAP = "swap"
    PREPARE = "preview"
    COMPLETE = "complete"
    CANCEL = "cancel"

    @property
    def swaps(self) -> bool:
        """Whether this phase swaps the slots (and so is followed by the hold and the checks)."""
        return self in (Phase.SWAP, Phase.COMPLETE)


@dataclass(frozen=True)
class SwapOrder:
    """What a face asks of a swap, parsed and validated: refused on construction when the
    combination makes no sense, so nothing is read or changed for an order that could not run."""

    phase: Phase
    request: SwapRequest  # the pair, preserve-vnet, the overall timeout of the swap
    smoke_plan: SmokePlan | None = None  # checks on the target after the swap (SWAP, COMPLETE)
    rollback_on_failure: bool = False  # swap back when the checks fail or cannot be run
    hold_days: float = DEFAULT_HOLD_DAYS  # how long production's previous build is held
    requested_by: str | None = None  # who asked (recorded with the hold)

    def __post_init__(self) -> None:
        if self.rollback_on_failure and self.smoke_plan is None:
            raise UsageError(
                "Swapping back on failure needs smoke checks: there is nothing to fail otherwise."
            )
        if self.smoke_plan is not None and not self.phase.swaps:
            raise UsageError(f"Smoke checks run after a swap; a {self.phase.value} swaps nothing to check.")
        if self.phase is not Phase.CANCEL:  # a cancel's pair is the one its slot is prepared with
            self.request.validate()


@dataclass
class SwapOutcome:
    """What ``run_swap`` did. ``swap`` is the phase's own result (swapped, prepared or cancelled);
    after a phase that swaps into production, ``held`` is the slot now holding production's previous
    build (``held_build``, its label); ``smoke`` is the passing report when checks ran;
    ``rolled_back`` is set only on the way to a ``SmokeFailed``."""

    phase: Phase
    swap: SwapResult
    held: SlotRef | None = None
    held_build: str | None = None
    smoke: SmokeReport | None = None
    rolled_back: SwapResult | None = None

    def as_dict(self) -> dict[str, Any]:
        if not self.phase.swaps:
            return self.swap.as_dict()
        return {
            **self.swap.as_dict(),
            "hold": {"slot": self.held.slot, "build": self.held_build} if self.held else None,
            "smoke": self.smoke.as_dict() if self.smoke is not None else None,
            "rolledBack": self.rolled_back.as_dict() if self.rolled_back else None,
        }


def run_swap(services: Services, order: SwapOrder, *, reporter: Reporter) -> SwapOutcome:
    """Run ``order.phase`` of the swap of ``order.request``'s pair; the outcome, or an error from
    ``slotwise.errors`` (``SmokeFailed`` when the checks after the swap failed)."""
    return _PHASES[order.phase](services, order, reporter)


def _swap(services: Services, order: SwapOrder, reporter: Reporter) -> SwapOutcome:
    """Swap in one go, then follow up (hold, checks, swap-back)."""
    previous = production_build(services, order.request)
    swapped = swap(services, order.request, reporter=reporter)
    return _followed_up(services, order, swapped, previous, reporter)


def _complete(services: Services, order: SwapOrder, reporter: Reporter) -> SwapOutcome:
    """Phase two of a swap with preview: refuse unless prepared for this pair, swap, follow up."""
    check_prepared(services, order.request)
    previous = production_build(services, order.request)
    swapped = swap_prepared(services, order.request, reporter=reporter)
    return _followed_up(services, order, swapped, previous, reporter)


def _prepare(services: Services, order: SwapOrder, reporter: Reporter) -> SwapOutcome:
    """Phase one of a swap with preview."""
    return SwapOutcome(order.phase, prepare(services, order.request, reporter=reporter))


def _cancel(services: Services, order: SwapOrder, reporter: Reporter) -> SwapOutcome:
    """Undo phase one; the pair is the one the source slot is prepared for (its target is read)."""
    return SwapOutcome(order.phase, cancel(services, order.request.source, reporter=reporter))


def _followed_up(
    services: Services, order: SwapOrder, swapped: SwapResult, previous: str | None, reporter: Reporter
) -> SwapOutcome:
    outcome = SwapOutcome(order.phase, swapped)
    follow_up(services, order, outcome, previous, reporter=reporter)
    return outcome


_PHASES: dict[Phase, Callable[[Services, SwapOrder, Reporter], SwapOutcome]] = {
    Phase.SWAP: _swap,
    Phase.PREPARE: _prepare,
    Phase.COMPLETE: _complete,
    Phase.CANCEL: _cancel,
}
