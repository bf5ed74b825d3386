"""``slotwise slot status``: every slot of an app, what runs there, and its last swap (placeholder)."""

from __future__ import annotations

import click

from slotwise.cli.context import emit, services, slot_options, table


@click.command()
@slot_options
@click.pass_context
def status(ctx: click.Context, resource_group: str, app: str, subscription: str | None, output: str) -> None:
    """Show each slot of the app: its host, state and last swap."""
    svc = services(ctx, subscription)
    slots = svc.web_apps.list_slots(resource_group, app)
    data = {
        "app": app,
        "resourceGroup": resource_group,
        "slots": [
            {
                "slot": s.ref.slot,
                "state": s.state,
                "url": s.url,
                "lastSwap": (
                    {
                        "at": s.swap_status.timestamp.isoformat(),
                        "source": s.swap_status.source,
                        "destination": s.swap_status.destination,
                    }
                    if s.swap_status
                    else None
                ),
            }
            for s in slots
        ],
    }
    rows = [
        [
            s.ref.slot,
            s.state,
            s.url,
            f"{s.swap_status.source} -> {s.swap_status.destination}" if s.swap_status else "-",
        ]
        for s in slots
    ]
    emit(svc, output, data, lambda: table(rows, ["slot", "state", "url", "last swap"]))


COMMANDS = [status]
