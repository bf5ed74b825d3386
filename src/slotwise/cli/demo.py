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

    Creates a function app with a staging slot, deploys build 1 to production and build 2 to
    staging, swaps them, and shows that production runs build 2 while staging keeps build 1 as the
    rollback.
    """
    from slotwise.demo.story import run
    from slotwise.emulator import Speed

    run(lambda line: click.echo(line), Speed.realistic() if speed == "realistic" else Speed.instant())
    click.secho("demo finished", fg="green")
