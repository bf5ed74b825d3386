"""A swap as a release step: swap, record the hold, smoke-check the target, swap back if they fail.

Composes ``swap``, ``holds`` and ``smoke``: after a swap into production the source slot holds
production's previous build, and slotwise records that hold (who, which build, until when) so the
guard can protect it; with smoke checks, the target is checked right after the swap, and with
``rollback_on_failure`` a failing check swaps back at once, so a broken build does not stay live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from slotwise.azure.models import PRODUCTION, SlotRef
from slotwise.errors import SmokeFailed
from slotwise.factory import Services
from slotwise.slots.events import Reporter
from slotwise.slots.swap import SwapRequest, SwapResult, swap, swap_prepared


@dataclass(frozen=True)
class PromoteOptions:
    smoke_checks: Path | None = None
    rollback_on_failure: bool = False
    hold_days: float = 7.0
    requested_by: str | None = None
    completing_preview: bool = False


@dataclass
class PromoteResult:
    swap: SwapResult
    held: SlotRef | None = None
    held_build: str | None = None
    smoke: Any = None  # slots.smoke.SmokeReport when checks ran
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
    from slotwise.slots.holds import read_content

    into_production = request.target_ref.is_production or request.source.is_production
    leaving = request.source if request.source.is_production else request.target_ref  # production
    previous = read_content(services, services.web_apps.get(leaving)) if into_production else None
    do_swap = swap_prepared if options.completing_preview else swap
    result = PromoteResult(swap=do_swap(services, request, reporter=reporter))
    if into_production:
        holder = request.source if request.target_ref.is_production else request.target_ref
        result.held, result.held_build = holder, previous.label if previous else "production's previous build"
        _record_hold(services, holder, result.held_build, options, reporter)
    if options.smoke_checks is None:
        return result
    result.smoke = _smoke(services, request.target_ref, options.smoke_checks, reporter)
    if result.smoke.passed:
        return result
    if not options.rollback_on_failure:
        raise SmokeFailed(
            f"Smoke checks failed on {request.target_ref.slot} after the swap "
            f"({result.smoke.failed_count} failed).",
            hint="Roll back with `slotwise slot rollback`, or pass --rollback-on-failure to do it at once.",
            report=result.smoke,
        )
    reporter.warning(f"smoke checks failed on {request.target_ref.slot}: swapping back")
    result.rolled_back = swap(services, request, reporter=reporter)
    if result.held is not None:
        from slotwise.slots.holds import release_hold

        release_hold(services, result.held, by=options.requested_by, reporter=reporter)
    raise SmokeFailed(
        f"Smoke checks failed on {request.target_ref.slot} after the swap, so it was swapped back: "
        f"{request.target_ref.slot} runs what it ran before, {request.source.slot} has the failing build.",
        hint="Fix the build, deploy it again to the slot, and swap again.",
        report=result.smoke,
    )


def _record_hold(
    services: Services, holder: SlotRef, build: str, options: PromoteOptions, reporter: Reporter
) -> None:
    from slotwise.slots.holds import record_hold

    expires = services.clock.now() + timedelta(days=options.hold_days)
    record_hold(services, holder, build=build, by=options.requested_by, expires=expires)
    reporter.detail(
        f"{holder.slot} now holds {build} (production's previous build) until {expires:%Y-%m-%d %H:%M} UTC"
    )


def _smoke(services: Services, target: SlotRef, checks: Path, reporter: Reporter) -> Any:
    from slotwise.slots.smoke import load_checks, run_smoke

    plan = load_checks(checks)
    return run_smoke(services, target, plan, reporter=reporter)


__all__ = ["PRODUCTION", "PromoteOptions", "PromoteResult", "promote"]
