"""``slotwise slot swap`` and ``slotwise slot rollback``: swap slots, with preview, checks and rollback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from slotwise.azure.models import PRODUCTION, SlotRef, slot_name
from slotwise.cli.context import (
    CliReporter,
    emit,
    environment,
    hold_days_option,
    services,
    slot_options,
    swap_timeout_option,
    table,
)
from slotwise.errors import UsageError
from slotwise.slots.findings import CODES
from slotwise.slots.metadata import from_environment
from slotwise.slots.preflight import Preflight, check_codes, preflight
from slotwise.slots.rollback import rollback
from slotwise.slots.smoke import load_checks
from slotwise.slots.swap import SwapRequest
from slotwise.slots.swap_phases import Phase, SwapOrder, SwapOutcome, run_swap


def _requested_by(ctx: click.Context) -> str | None:
    """Who runs this: the pipeline's requester, or the local user (as deployments are stamped)."""
    return from_environment(environment(ctx)).requested_by


def _phase(*, preview: bool, complete: bool, undo: bool) -> Phase:
    """The phase the flags ask for (none: swap in one go); two at once is refused."""
    given = [name for name, on in (("preview", preview), ("complete", complete), ("cancel", undo)) if on]
    if len(given) > 1:
        raise UsageError(
            f"--{given[0]} and --{given[1]} exclude each other: a swap with preview is prepared "
            "(--preview), then completed (--complete) or cancelled (--cancel), one step per run.",
            hint="Run the command once for each step.",
        )
    return Phase(given[0]) if given else Phase.SWAP


@click.command()
@slot_options
@click.option("-s", "--slot", required=True, metavar="SLOT", help="The slot to swap (e.g. staging).")
@click.option(
    "--target", default=PRODUCTION, show_default=True, metavar="SLOT", help="The slot to swap it with."
)
@click.option(
    "--preserve-vnet/--no-preserve-vnet",
    default=True,
    show_default=True,
    help="Keep each slot's virtual network integration where it is.",
)
@click.option(
    "--preview",
    is_flag=True,
    help="Swap with preview, phase one: apply the target's slot settings to SLOT only.",
)
@click.option("--complete", is_flag=True, help="Swap with preview, phase two: swap.")
@click.option("--cancel", "undo", is_flag=True, help="Swap with preview: undo phase one.")
@click.option(
    "--smoke-checks",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="After the swap, run these smoke checks (YAML or JSON) against the target.",
)
@click.option("--rollback-on-failure", is_flag=True, help="If the smoke checks fail, swap back at once.")
@click.option(
    "--preflight/--no-preflight",
    "run_preflight",
    default=True,
    show_default=True,
    help="Before swapping (or preparing a swap), read both slots and refuse on what would break the "
    "target: see `slotwise slot diff`.",
)
@click.option(
    "--accept",
    "accepted",
    multiple=True,
    type=click.Choice(CODES),
    metavar="FINDING",
    help=f"Swap despite this error-level preflight finding (repeatable): {', '.join(CODES)}.",
)
@hold_days_option("After a swap into production, protect the previous build in SLOT for this many days.")
@swap_timeout_option
@click.pass_context
def swap(
    ctx: click.Context,
    resource_group: str,
    app: str,
    subscription: str | None,
    output: str,
    slot: str,
    target: str,
    preserve_vnet: bool,
    preview: bool,
    complete: bool,
    undo: bool,
    smoke_checks: Path | None,
    rollback_on_failure: bool,
    hold_days: float,
    timeout: float,
    run_preflight: bool,
    accepted: tuple[str, ...],
) -> None:
    """Swap SLOT with the target slot (production by default) and wait until Azure has finished.

    After a swap into production, SLOT holds production's previous build: it is your rollback
    (`slotwise slot rollback`), and slotwise guards it against being deployed over. With
    --smoke-checks the target is checked right after the swap; with --rollback-on-failure a failed
    check swaps back at once. With --preview / --complete / --cancel the swap runs in two phases.

    First, the preflight (on by default; --no-preflight skips it) reads both slots and refuses to
    start (exit 14, nothing changed) on an error: a connection that differs and is not a slot setting
    moves into the target, a function-disabling setting would move, the slots share a content file
    share or a storage account with the same host ID. --accept FINDING lets one through. It runs
    before a swap and before --preview; not for --complete or --cancel.
    """
    phase = _phase(preview=preview, complete=complete, undo=undo)
    if rollback_on_failure and smoke_checks is None:
        raise UsageError(
            "--rollback-on-failure needs --smoke-checks FILE: there is nothing to fail otherwise."
        )
    if smoke_checks is not None and not phase.swaps:
        raise UsageError(f"--smoke-checks runs after a swap; it does not go with --{phase.value}.")
    order = SwapOrder(
        phase,
        SwapRequest(SlotRef(resource_group, app, slot_name(slot)), slot_name(target), preserve_vnet, timeout),
        smoke_plan=load_checks(smoke_checks) if smoke_checks is not None else None,
        rollback_on_failure=rollback_on_failure,
        hold_days=hold_days,
        requested_by=_requested_by(ctx),
    )  # refused here when the options do not go together, before anything is read in Azure
    allowed = check_codes(accepted)
    svc = services(ctx, subscription)
    reporter = CliReporter(svc.secrets)
    checked: Preflight | None = None
    if run_preflight and phase in (Phase.SWAP, Phase.PREPARE):
        checked = preflight(svc, order.request, allowed, reporter=reporter)
    outcome = run_swap(svc, order, reporter=reporter)
    data = outcome.as_dict()
    if checked is not None:
        data["preflight"] = {
            "findings": [f.as_dict() for f in checked.findings],
            "accepted": sorted(checked.accepted),
        }
    emit(svc, output, data, lambda: _TEXT[outcome.phase](outcome))


def _prepared_text(outcome: SwapOutcome) -> list[str]:
    return [
        f"{outcome.swap.source.slot} is prepared for a swap with {outcome.swap.target.slot}: check it, "
        "then run again with --complete (or --cancel)."
    ]


def _cancelled_text(outcome: SwapOutcome) -> list[str]:
    return [f"The prepared swap of {outcome.swap.source.slot} was cancelled."]


def _swapped_text(outcome: SwapOutcome) -> list[str]:
    done = outcome.swap
    lines = [f"Swapped {done.source.slot} with {done.target.slot} in {done.seconds:.1f} s."]
    if outcome.held is not None:
        lines.append(
            f"{outcome.held.slot} holds {outcome.held_build}: roll back with "
            f"`slotwise slot rollback -g {done.source.resource_group} -n {done.source.app}`."
        )
    if outcome.smoke is not None:
        lines.append(f"Smoke checks on {done.target.slot}: all {outcome.smoke.passed_count} passed.")
    return lines


_TEXT: dict[Phase, Callable[[SwapOutcome], list[str]]] = {
    Phase.SWAP: _swapped_text,
    Phase.PREPARE: _prepared_text,
    Phase.COMPLETE: _swapped_text,
    Phase.CANCEL: _cancelled_text,
}


@click.command(name="rollback")
@slot_options
@swap_timeout_option
@click.pass_context
def rollback_command(
    ctx: click.Context, resource_group: str, app: str, subscription: str | None, output: str, timeout: float
) -> None:
    """Put production's previous build back by swapping back the last swap into production.

    Refuses when that would no longer restore the previous build: when the slot holding it was
    redeployed or swapped with production again since. Works for swaps made in the portal or by
    other tools too (it reads Azure's own record of the last swap).
    """
    svc = services(ctx, subscription)
    plan, result = rollback(
        svc,
        resource_group,
        app,
        reporter=CliReporter(svc.secrets),
        timeout=timeout,
        requested_by=_requested_by(ctx),
    )
    data = {**result.as_dict(), "undid": plan.as_dict()}
    rows = [[plan.holder.slot, PRODUCTION, f"{plan.swapped_at:%Y-%m-%d %H:%M:%S}", f"{result.seconds:.1f}"]]
    emit(svc, output, data, lambda: table(rows, ["swapped", "with", "undid swap of (UTC)", "seconds"]))
