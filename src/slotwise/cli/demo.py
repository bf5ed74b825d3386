"""``slotwise demo``: the deployment-slot story on the embedded emulator, no Azure account needed."""

from __future__ import annotations

import click


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
    from slotwise.demo.story import run
    from slotwise.emulator import Speed

    run(click.echo, Speed.realistic() if speed == "realistic" else Speed.instant())
    click.secho("\ndemo finished: every step went as told", fg="green")
