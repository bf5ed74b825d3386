"""slot-swap: swap a slot with production (or another slot), in one go or with preview.

Inputs (docs/tasks-contract.md): ``swapAction`` (``swap``, ``preview``, ``complete``, ``cancel``),
``sourceSlot``, ``swapWithProduction`` / ``targetSlot``, ``preserveVnet``, ``smokeChecks`` (``none``,
``file``, ``inline``) with ``smokeChecksFile`` / ``smokeChecksInline`` and ``rollbackOnFailure``,
``holdDays``, ``timeoutMinutes``. One function per action, chosen from ``ACTIONS``: ``swap`` and
``complete`` call ``slots.promote.promote`` (swap, record the hold, smoke-check the target, swap back
if asked), ``complete`` after ``slots.swap.check_prepared``; ``preview`` calls ``slots.swap.prepare``;
``cancel`` calls ``slots.swap.cancel``. Smoke checks are loaded before anything is swapped, so a
broken checks file fails the task while production is untouched. Outputs ``SwapSource``,
``SwapTarget``, ``SwapPhase``, ``HeldSlot``, ``HeldBuild``, ``SmokeResult``, ``SmokeReportPath``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from slotwise.agent.files import smoke_plan, write_report
from slotwise.agent.runtime import TaskContext
from slotwise.azure.models import PRODUCTION, slot_name
from slotwise.errors import OutcomeUnknown, SmokeFailed
from slotwise.services import Services
from slotwise.slots.metadata import from_environment
from slotwise.slots.promote import PromoteOptions, promote
from slotwise.slots.smoke import SmokePlan
from slotwise.slots.smoke_report import SmokeReport, junit_xml, summary_line
from slotwise.slots.swap import SwapRequest, cancel, check_prepared, prepare

SMOKE_SOURCES = ("none", "file", "inline")
SMOKE_UNAVAILABLE = (
    "The smoke checks could not be run after the swap, so there is no per-check report; the error "
    "above says why."
)


def run(ctx: TaskContext) -> str:
    inputs = ctx.inputs
    action = inputs.choice("swapAction", list(ACTIONS), "swap")
    app = ctx.app_ref()
    source = app.other(inputs.string("sourceSlot", "staging") or "staging")
    target = PRODUCTION if inputs.boolean("swapWithProduction", True) else inputs.required("targetSlot")
    request = SwapRequest(
        source,
        slot_name(target),
        inputs.boolean("preserveVnet", True),
        inputs.number("timeoutMinutes", default=30, minimum=1, maximum=24 * 60) * 60,
    )
    ctx.summary.title = f"{action} {source.slot} with {request.target_ref.slot}"
    ctx.summary.fact("Swap", f"{source.slot} with {request.target_ref.slot} ({action})")
    ctx.output("SwapSource", source.slot)
    ctx.output("SwapTarget", request.target_ref.slot)
    return ACTIONS[action](ctx, request)


def _smoke_plan(ctx: TaskContext) -> SmokePlan | None:
    """The checks to run after the swap, parsed and validated here, before anything is swapped."""
    source = ctx.inputs.choice("smokeChecks", SMOKE_SOURCES, "none")
    if source == "none":
        return None
    return smoke_plan(ctx.inputs, source, "smokeChecksFile", "smokeChecksInline")


def _promote(ctx: TaskContext, request: SwapRequest, *, completing: bool) -> str:
    inputs = ctx.inputs
    plan = _smoke_plan(ctx)
    rollback = plan is not None and inputs.boolean("rollbackOnFailure", True)
    options = PromoteOptions(
        smoke_plan=plan,
        rollback_on_failure=rollback,
        hold_days=inputs.number("holdDays", default=7, minimum=0, maximum=3650),
        requested_by=from_environment(ctx.env).requested_by,
        completing_preview=completing,
    )
    services = ctx.connect()
    if completing:
        check_prepared(services, request)
    try:
        outcome = promote(services, request, options, reporter=ctx.reporter)
    except SmokeFailed as failed:
        ctx.output("SwapPhase", "rolledBack" if rollback else "swapped")
        ctx.output("SmokeResult", "failed")
        ctx.summary.fact(
            "Swap", "swapped back (rollbackOnFailure)" if rollback else "swapped, not rolled back"
        )
        if isinstance(failed.report, SmokeReport):
            ctx.summary.smoke = failed.report
            ctx.output("SmokeReportPath", _write_junit(ctx, failed.report))
        else:
            ctx.summary.smoke_problem = SMOKE_UNAVAILABLE
        raise
    except OutcomeUnknown:
        ctx.output("SwapPhase", "unknown")
        ctx.summary.fact("Swap", "accepted by Azure, outcome unknown: look at the slots before anything else")
        raise
    ctx.output("SwapPhase", "swapped")
    ctx.output("HeldSlot", outcome.held.slot if outcome.held else None)
    ctx.output("HeldBuild", outcome.held_build if outcome.held else None)
    ctx.output("SmokeResult", "passed" if outcome.smoke is not None else "skipped")
    ctx.summary.smoke = outcome.smoke
    ctx.summary.fact("Took", f"{outcome.swap.seconds:.1f} s")
    message = f"Swapped {request.source.slot} with {request.target_ref.slot} in {outcome.swap.seconds:.1f} s."
    if outcome.smoke is not None:
        ctx.output("SmokeReportPath", _write_junit(ctx, outcome.smoke))
        message += f" {summary_line(outcome.smoke)}."
    if outcome.held is not None:
        held = f"{outcome.held.slot} holds {outcome.held_build} (production's previous build: the rollback)"
        ctx.summary.fact("Rollback", held)
        message += f" {held[0].upper()}{held[1:]}."
    return message


def _write_junit(ctx: TaskContext, report: SmokeReport) -> str:
    """The smoke report as JUnit XML for Publish Test Results; the path written."""
    folder = Path(ctx.env.get("COMMON_TESTRESULTSDIRECTORY") or ctx.temp_dir)
    junit = folder / f"slotwise-swap-smoke-{ctx.env.get('SYSTEM_JOBID') or uuid.uuid4().hex[:8]}.xml"
    return str(write_report(junit, junit_xml(report), ctx.out.secrets))


def _swap(ctx: TaskContext, request: SwapRequest) -> str:
    return _promote(ctx, request, completing=False)


def _complete(ctx: TaskContext, request: SwapRequest) -> str:
    return _promote(ctx, request, completing=True)


def _preview(ctx: TaskContext, request: SwapRequest) -> str:
    _note_smoke_ignored(ctx, "preview")
    result = prepare(ctx.connect(), request, reporter=ctx.reporter)
    ctx.output("SwapPhase", result.phase)
    ctx.output("SmokeResult", "skipped")
    return (
        f"{request.source.slot} is prepared for a swap with {request.target_ref.slot} (it runs with "
        f"{request.target_ref.slot}'s slot settings): check it, then run this task with swapAction "
        "'complete' (or 'cancel')."
    )


def _cancel(ctx: TaskContext, request: SwapRequest) -> str:
    _note_smoke_ignored(ctx, "cancel")
    services: Services = ctx.connect()
    result = cancel(services, request.source, reporter=ctx.reporter)
    ctx.output("SwapPhase", result.phase)
    ctx.output("SmokeResult", "skipped")
    return f"The prepared swap of {request.source.slot} with {result.target.slot} was cancelled."


def _note_smoke_ignored(ctx: TaskContext, action: str) -> None:
    if ctx.inputs.choice("smokeChecks", SMOKE_SOURCES, "none") != "none":
        ctx.out.line(f"(smoke checks run after a swap; with swapAction '{action}' they are not run)")


ACTIONS: dict[str, Callable[[TaskContext, SwapRequest], str]] = {
    "swap": _swap,
    "preview": _preview,
    "complete": _complete,
    "cancel": _cancel,
}
