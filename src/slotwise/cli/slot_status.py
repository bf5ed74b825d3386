"""``slotwise slot status``: every slot of an app, what it runs, since when, its hold and last swap.

Parse, build the services, call ``slots.status.app_status``, render one table (or JSON). No logic.
"""

from __future__ import annotations

from datetime import datetime

import click

from slotwise.cli.context import INFERRED_HOLD_HELP, emit, hold_days_option, services, slot_options, table
from slotwise.slots.model import Hold
from slotwise.slots.status import AppStatus, SlotStatus, app_status

HEADERS = ["slot", "build", "deployed", "hold", "held by", "since", "expires", "last swap", "in progress"]


@click.command()
@slot_options
@hold_days_option(INFERRED_HOLD_HELP)
@click.pass_context
def status(
    ctx: click.Context,
    resource_group: str,
    app: str,
    subscription: str | None,
    output: str,
    hold_days: float,
) -> None:
    """Show every slot of the app: the build it runs, when that was deployed, whether it holds
    production's previous build (the rollback), and its last swap.

    BUILD is the build slotwise stamped on the slot's live deployment (or the Kudu deployment id
    for deployments made by other tools). HOLD is the held build, when the slot keeps production's
    previous one: HELD BY says who swapped it out of production (or "another tool" for swaps made
    in the portal or elsewhere), SINCE when, and EXPIRES when the hold lapses. IN PROGRESS shows a
    swap running on the slot, a swap with preview prepared on it, and a deployment still running.
    Times are UTC.
    """
    svc = services(ctx, subscription)
    result = app_status(svc, resource_group, app, hold_days=hold_days)
    emit(svc, output, result.as_dict(), lambda: _lines(result))


def _time(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


def _held_by(hold: Hold) -> str:
    if hold.by:
        return hold.by
    return "another tool" if "another tool" in hold.swapped_by else "unknown"


def _row(slot: SlotStatus) -> list[str]:
    content, hold, swap = slot.content, slot.hold.hold, slot.info.swap_status
    return [
        slot.info.ref.slot,
        content.label if content else "-",
        _time(content.deployed_at) if content else "-",
        hold.build if hold else "-",
        _held_by(hold) if hold else "-",
        _time(hold.since) if hold else "-",
        _time(hold.expires) if hold else "-",
        f"{swap.source} -> {swap.destination} {_time(swap.timestamp)}" if swap else "-",
        "; ".join(slot.in_progress()) or "-",
    ]


def _lines(result: AppStatus) -> list[str]:
    title = f"App '{result.app}' in resource group '{result.resource_group}' (times in UTC)"
    return [title, "", *table([_row(slot) for slot in result.slots], HEADERS)]
