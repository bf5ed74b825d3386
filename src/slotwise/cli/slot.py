"""``slotwise slot``: the slot operations (deploy, swap, rollback, smoke, guard, status) as commands."""

from __future__ import annotations

import click


@click.group()
def slot() -> None:
    """Deploy to, test, guard and swap the deployment slots of an app.

    Every command takes -g/--resource-group and -n/--name (the app), signs in with
    DefaultAzureCredential (environment variables, managed identity, az login, ...) and prints a
    table, or JSON with --output json.
    """


def _register() -> None:
    from slotwise.cli import slot_deploy, slot_guard, slot_smoke, slot_status, slot_swap

    for module in (slot_deploy, slot_swap, slot_smoke, slot_guard, slot_status):
        for command in module.COMMANDS:
            slot.add_command(command)


_register()
