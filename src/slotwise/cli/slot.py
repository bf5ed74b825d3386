"""``slotwise slot``: the slot operations (deploy, swap, rollback, smoke, guard, status, diff) as commands.

Each command lives in its own module, imported only when it runs (``LazyGroup``).
"""

from __future__ import annotations

import click

from slotwise.cli.lazy import LazyGroup

COMMANDS = {
    "deploy": "slotwise.cli.slot_deploy:deploy_command",
    "swap": "slotwise.cli.slot_swap:swap",
    "rollback": "slotwise.cli.slot_swap:rollback_command",
    "smoke": "slotwise.cli.slot_smoke:smoke",
    "guard": "slotwise.cli.slot_guard:guard_command",
    "release-hold": "slotwise.cli.slot_guard:release_hold_command",
    "status": "slotwise.cli.slot_status:status",
    "diff": "slotwise.cli.slot_diff:diff_command",
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS)
def slot() -> None:
    """Deploy to, test, guard and swap the deployment slots of an app.

    Every command takes -g/--resource-group and -n/--name (the app), signs in with
    DefaultAzureCredential (environment variables, managed identity, az login, ...) and prints a
    table, or JSON with --output json.
    """
