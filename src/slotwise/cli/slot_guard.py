"""``slotwise slot guard`` and ``slotwise slot release-hold``: protect the rollback build in a slot.

Parse, build the services, call ``slots.guard`` / ``slots.holds``, render. No logic: what a hold is
and what to do about it live in ``slotwise.slots.guard``.
"""

from __future__ import annotations

import click

from slotwise.azure.models import SlotRef, slot_name
from slotwise.cli.context import (
    INFERRED_HOLD_HELP,
    CliReporter,
    Number,
    emit,
    environment,
    hold_days_option,
    services,
    slot_options,
)
from slotwise.slots.guard import (
    DEFAULT_PARK_SLOT,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
    MODES,
    GuardMode,
    GuardResult,
    describe,
    guard,
    when,
)
from slotwise.slots.holds import ReleaseResult, release_hold
from slotwise.slots.metadata import from_environment

_BY_ENV = ["BUILD_REQUESTEDFOR", "RELEASE_REQUESTEDFOR", "GITHUB_ACTOR"]


@click.command(name="guard")
@slot_options
@click.option("-s", "--slot", required=True, metavar="SLOT", help="The slot you are about to deploy into.")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="fail",
    show_default=True,
    help="What to do if SLOT is held: fail (exit code 7), wait for the hold to end, or park the "
    "held build in another slot.",
)
@click.option(
    "--park-slot",
    default=DEFAULT_PARK_SLOT,
    show_default=True,
    metavar="NAME",
    help="With --mode park: the slot that receives the held build.",
)
@click.option(
    "--create-park-slot", is_flag=True, help="With --mode park: create the park slot if it is missing."
)
@click.option(
    "--wait-timeout",
    type=Number(min=0),
    default=DEFAULT_WAIT_TIMEOUT,
    show_default=True,
    metavar="S",
    help="With --mode wait: give up (exit code 6) after this many seconds.",
)
@click.option(
    "--poll-interval",
    type=Number(min=1),
    default=DEFAULT_POLL_INTERVAL,
    show_default=True,
    metavar="S",
    help="With --mode wait: seconds between checks.",
)
@hold_days_option(INFERRED_HOLD_HELP)
@click.pass_context
def guard_command(
    ctx: click.Context,
    resource_group: str,
    app: str,
    subscription: str | None,
    output: str,
    slot: str,
    mode: GuardMode,
    park_slot: str,
    create_park_slot: bool,
    wait_timeout: float,
    poll_interval: float,
    hold_days: float,
) -> None:
    """Make sure deploying into SLOT destroys no rollback.

    After a swap into production, the slot you swapped from runs production's previous build: your
    only instant rollback. The next deployment into that slot would destroy it. slotwise calls such
    a slot "held" until it is redeployed, the hold is released, or it expires (7 days by default).
    It finds holds recorded by `slotwise slot swap` and, from the slot's swap record and deployment
    history, those left by swaps made in the portal or by any other tool.

    If SLOT is not held, this says so and exits 0. If it is held:

    \b
      --mode fail   refuse: exit code 7, naming the held build and how to go on (default)
      --mode wait   wait until someone releases the hold or it expires (--wait-timeout)
      --mode park   swap the held build into another slot (--park-slot, default "park"),
                    which keeps it for rollback, and free SLOT

    `slotwise slot deploy` runs this check by itself; run it alone in a pipeline step before
    deploying, or to see what a slot holds. `slotwise slot status` shows every slot's hold.
    """
    svc = services(ctx, subscription)
    result = guard(
        svc,
        SlotRef(resource_group, app, slot_name(slot)),
        mode=mode,
        park_slot=park_slot,
        wait_timeout=wait_timeout,
        poll_interval=poll_interval,
        create_park_slot=create_park_slot,
        hold_days=hold_days,
        reporter=CliReporter(svc.secrets),
    )
    emit(svc, output, result.as_dict(), lambda: _guard_lines(result))


def _guard_lines(result: GuardResult) -> list[str]:
    slot, hold = result.slot.slot, result.decision.hold
    if hold is None:
        return [f"Slot '{slot}' holds no rollback build: deploying into it is safe."]
    held = describe(hold)
    if result.outcome == "parked" and result.parked_in is not None:
        return [
            f"Parked: {hold.build} moved from slot '{slot}' to slot '{result.parked_in.slot}', which now "
            "holds it for rollback.",
            f"Slot '{slot}' is free: deploying into it is safe.",
        ]
    return [
        f"Was held: {held}.",
        f"The hold ended ({result.outcome}) after {result.waited:.0f} s: deploying into '{slot}' is safe.",
    ]


@click.command(name="release-hold")
@slot_options
@click.option(
    "-s", "--slot", required=True, metavar="SLOT", help="The slot whose held build may be overwritten."
)
@click.option(
    "--by",
    envvar=_BY_ENV,
    metavar="NAME",
    help="Who releases it, for the record (default: $BUILD_REQUESTEDFOR, $RELEASE_REQUESTEDFOR, "
    "$GITHUB_ACTOR, else your user name).",
)
@hold_days_option(INFERRED_HOLD_HELP)
@click.pass_context
def release_hold_command(
    ctx: click.Context,
    resource_group: str,
    app: str,
    subscription: str | None,
    output: str,
    slot: str,
    by: str | None,
    hold_days: float,
) -> None:
    """End the hold on SLOT: its build (production's previous one) may then be deployed over.

    Do this when you no longer need that build as a rollback, for example once the new production
    build has proven itself. The hold record is removed and the swap that created the hold is
    marked released, so the hold is not found again from the slot's swap record. Nothing is
    deployed, swapped or deleted: the build stays in SLOT until the next deployment replaces it.
    Releasing a slot that holds nothing does nothing and exits 0.
    """
    svc = services(ctx, subscription)
    result = release_hold(
        svc,
        SlotRef(resource_group, app, slot_name(slot)),
        by=by or from_environment(environment(ctx)).requested_by,
        reporter=CliReporter(svc.secrets),
        hold_days=hold_days,
    )
    emit(svc, output, result.as_dict(), lambda: _release_lines(result))


def _release_lines(result: ReleaseResult) -> list[str]:
    slot = result.slot.slot
    if result.released is None:
        return [f"Slot '{slot}' held nothing: there was no hold to release."]
    hold = result.released
    return [
        f"Released: slot '{slot}' no longer holds {hold.build} (swapped out of production at "
        f"{when(hold.since)} {hold.swapped_by}).",
        f"The next deployment into '{slot}' will replace it.",
    ]
