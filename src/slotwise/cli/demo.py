"""``slotwise demo``: the slotwise story on the embedded emulator (placeholder until the story lands)."""

from __future__ import annotations

import click


@click.command()
def demo() -> None:
    """Run the slotwise story on a local emulator: no Azure account needed."""
    click.echo("demo: not yet")
