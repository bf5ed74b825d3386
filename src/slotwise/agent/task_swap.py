"""slot-swap: swap a slot with production (or another slot), in one go or with preview.

Inputs (docs/tasks-contract.md): ``swapAction`` (``swap``, ``preview``, ``complete``, ``cancel``),
``sourceSlot``, ``swapWithProduction`` / ``targetSlot``, ``preserveVnet``, ``smokeChecks`` (``none``,
``file``, ``inline``) with ``smokeChecksFile`` / ``smokeChecksInline`` and ``rollbackOnFailure``,
``holdDays``, ``timeoutMinutes``, ``preflight`` and ``acceptFindings``. Maps them to a
``slots.swap_phases.SwapOrder`` (``swapAction`` is the ``Phase``), calls ``run_swap`` and renders its
outcome: output variables, the summary, the smoke report as JUnit. Smoke checks are loaded before
anything is swapped, so a broken checks file fails the task while production is untouched; with
``preview`` and ``cancel`` they are not run (a line says so), and ``rollbackOnFailure`` counts only with
checks. Before a ``swap`` or ``preview`` the swap preflight reads both slots and judges the swap
(``slots.diff``, ``slots.findings``, the rules of ``slots.preflight``): each finding is a warning issue
(an error not accepted, an error issue) and a row of the summary's "Preflight" section; an error-level
finding not named in ``acceptFindings`` fails the task with ``PreflightRefused`` before anything is
swapped. Outputs ``SwapSource``, ``SwapTarget``, ``SwapPhase``, ``HeldSlot``, ``HeldBuild``,
``SmokeResult``, ``SmokeReportPath``, ``PreflightFindings``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from slotwise.agent.files import smoke_plan, write_report
from slotwise.agent.remedies import SWAP, accept_finding
from slotwise.agent.runtime import TaskContext
from slotwise.agent.summary import FindingsSection, finding_rows
from slotwise.azure.models import PRODUCTION, slot_name
from slotwise.errors import OutcomeUnknown, PreflightRefused, SmokeFailed, UsageError
from slotwise.slots.findings import CODES, Finding, Severity
from slotwise.slots.metadata import from_environment
from slotwise.slots.preflight import Preflight, judge
from slotwise.slots.smoke import SmokePlan
from slotwise.slots.smoke_report import SmokeReport, junit_xml, summary_line
from slotwise.slots.swap import SwapRequest
from slotwise.slots.swap_phases import Phase, SwapOrder, SwapOutcome, run_swap

SMOKE_SOURCES = ("none", "file", "inline")
SMOKE_UNAVAILABLE = (
    "The smoke checks could not be run after the swap, so there is no per-check report; the error "
    "above says why."
)


def run(ctx: TaskContext) -> str:
    inputs = ctx.inputs
    action = inputs.choice("swapAction", [phase.value for phase in Phase], Phase.SWAP.value)
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
    order = _order(ctx, Phase(action), request)
    if order.phase in (Phase.SWAP, Phase.PREPARE) and inputs.boolean("preflight", True):
        _preflight(ctx, request)
    return _PHASES[order.phase](ctx, order)


def _accepted(ctx: TaskContext) -> frozenset[str]:
    """The codes of ``acceptFindings`` (lines or commas, any case), each one the preflight knows."""
    given = [code.strip().lower() for line in ctx.inputs.lines("acceptFindings") for code in line.split(",")]
    codes = frozenset(code for code in given if code)
    unknown = sorted(codes - set(CODES))
    if unknown:
        raise UsageError(
            f"The input {ctx.inputs.describe('acceptFindings')} names '{unknown[0]}', which is no "
            f"preflight finding: the codes are {', '.join(CODES)}.",
            hint="Name a finding by the code the task's log and summary show for it.",
        )
    return codes


def _preflight(ctx: TaskContext, request: SwapRequest) -> Preflight:
    """Read both slots and judge the swap: each finding an issue and a summary row; refuse (nothing
    started) on an error-level finding not accepted."""
    accepted = _accepted(ctx)
    request.validate()
    source, target = request.source, request.target_ref.slot
    ctx.reporter.step(f"Preflight: what swapping {source.slot} with {target} changes in {target}")
    result = judge(ctx.connect(), request, accepted)
    ctx.output("PreflightFindings", ",".join(dict.fromkeys(f.code for f in result.findings)))
    ctx.summary.findings.append(
        FindingsSection(
            "Preflight",
            f"What swapping {source.slot} with {target} changes in {target} (names only, never values).",
            finding_rows(result.findings, accepted, lambda f: _todo(f, accepted)),
        )
    )
    refusing = result.refusing
    for finding in result.findings:
        told = f"[{finding.code}] {finding.message} ({', '.join(finding.names)}) {_todo(finding, accepted)}"
        if finding in refusing:
            ctx.out.logissue("error", told)
        elif finding.severity is Severity.INFO:
            ctx.reporter.detail(told)
        else:
            ctx.reporter.warning(f"accepted: {told}" if finding.code in accepted else told)
    if not result.findings:
        ctx.reporter.detail("Nothing found.")
    if refusing:
        codes = tuple(dict.fromkeys(f.code for f in refusing))
        raise PreflightRefused(
            f"The swap of {source.slot} with {target} of app '{source.app}' was not started: the preflight "
            f"found {len(refusing)} error(s) not accepted: {', '.join(codes)} (each is told above).",
            codes=codes,
            hint=" ".join(
                [*dict.fromkeys(f.advice for f in refusing), *(accept_finding(SWAP, code) for code in codes)]
            ),
        )
    return result


def _todo(finding: Finding, accepted: frozenset[str]) -> str:
    """What to do about ``finding``, in the words of this task's inputs."""
    if finding.severity is not Severity.ERROR:
        return finding.advice
    if finding.code in accepted:
        return f"{finding.advice} (accepted with acceptFindings: the swap goes on)"
    return f"{finding.advice} {accept_finding(SWAP, finding.code)}"


def _order(ctx: TaskContext, phase: Phase, request: SwapRequest) -> SwapOrder:
    """The order for ``phase``: the checks (parsed and validated here, before anything is swapped),
    swap-back and hold only for a phase that swaps; for the others, a line says checks are not run."""
    inputs = ctx.inputs
    if not phase.swaps:
        if inputs.choice("smokeChecks", SMOKE_SOURCES, "none") != "none":
            ctx.out.line(f"(smoke checks run after a swap; with swapAction '{phase.value}' they are not run)")
        return SwapOrder(phase, request)
    plan = _smoke_plan(ctx)
    return SwapOrder(
        phase,
        request,
        smoke_plan=plan,
        rollback_on_failure=plan is not None and inputs.boolean("rollbackOnFailure", True),
        hold_days=inputs.number("holdDays", default=7, minimum=0, maximum=3650),
        requested_by=from_environment(ctx.env).requested_by,
    )


def _smoke_plan(ctx: TaskContext) -> SmokePlan | None:
    """The checks to run after the swap, parsed and validated here, before anything is swapped."""
    source = ctx.inputs.choice("smokeChecks", SMOKE_SOURCES, "none")
    if source == "none":
        return None
    return smoke_plan(ctx.inputs, source, "smokeChecksFile", "smokeChecksInline")


def _swapped(ctx: TaskContext, order: SwapOrder) -> str:
    """Run a phase that swaps; its outcome (or its failure) as outputs, summary and JUnit report."""
    try:
        outcome = run_swap(ctx.connect(), order, reporter=ctx.reporter)
    except SmokeFailed as failed:
        rollback = order.rollback_on_failure
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
    return _render_swapped(ctx, outcome)


def _prepared(ctx: TaskContext, order: SwapOrder) -> str:
    outcome = run_swap(ctx.connect(), order, reporter=ctx.reporter)
    ctx.output("SwapPhase", outcome.swap.phase)
    ctx.output("SmokeResult", "skipped")
    source, target = outcome.swap.source.slot, outcome.swap.target.slot
    return (
        f"{source} is prepared for a swap with {target} (it runs with {target}'s slot settings): check "
        "it, then run this task with swapAction 'complete' (or 'cancel')."
    )


def _cancelled(ctx: TaskContext, order: SwapOrder) -> str:
    outcome = run_swap(ctx.connect(), order, reporter=ctx.reporter)
    ctx.output("SwapPhase", outcome.swap.phase)
    ctx.output("SmokeResult", "skipped")
    return f"The prepared swap of {outcome.swap.source.slot} with {outcome.swap.target.slot} was cancelled."


def _render_swapped(ctx: TaskContext, outcome: SwapOutcome) -> str:
    done = outcome.swap
    ctx.output("SwapPhase", "swapped")
    ctx.output("HeldSlot", outcome.held.slot if outcome.held else None)
    ctx.output("HeldBuild", outcome.held_build if outcome.held else None)
    ctx.output("SmokeResult", "passed" if outcome.smoke is not None else "skipped")
    ctx.summary.smoke = outcome.smoke
    ctx.summary.fact("Took", f"{done.seconds:.1f} s")
    message = f"Swapped {done.source.slot} with {done.target.slot} in {done.seconds:.1f} s."
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


_PHASES: dict[Phase, Callable[[TaskContext, SwapOrder], str]] = {
    Phase.SWAP: _swapped,
    Phase.PREPARE: _prepared,
    Phase.COMPLETE: _swapped,
    Phase.CANCEL: _cancelled,
}
