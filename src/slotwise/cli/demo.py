"""``slotwise demo``: the deployment-slot story on the embedded emulator, no Azure account needed."""

from __future__ import annotations

import click

from slotwise.emulated import emulator_module, translated


@click.command()
@click.option(
    "--speed",
    type=click.Choice(["realistic", "instant"]),
    default="realistic",
    show_default=True,
    help="How long swaps and deployments take on the emulator.",
)
def demo(speed: str) -> None:
    """Run the slotwise story on a local emulator of Azure: no Azure account needed.

    Production runs build 1; build 2 is deployed to staging, smoke-tested and swapped live, so
    staging holds build 1 as the rollback. Build 3 would destroy it: refused, parked, deployed, and
    caught by its smoke checks before production. Build 4 goes live, and one command rolls back.
    """
    emulator_cli = emulator_module("cli")  # first: says how to install the extra if it is missing
    from slotwise.demo.story import run

    with translated():
        run(click.echo, emulator_cli.speed_named(speed))
    click.secho("\ndemo finished: every step went as told", fg="green")
