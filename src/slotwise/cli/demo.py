"""``slotwise demo``: the deployment-slot story on the embedded emulator, no Azure account needed.

The story (``slotwise.demo.story``) runs its commands through ``run_in_process``, handed in here:
this CLI's own entry point, with the story's variables laid over the environment the demo was
started in, so the demo needs neither the CLI's modules nor ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
@click.pass_context
def demo(ctx: click.Context, speed: str) -> None:
    """Run the slotwise story on a local emulator of Azure: no Azure account needed.

    Production runs build 1; build 2 is deployed to staging, smoke-tested and swapped live, so
    staging holds build 1 as the rollback. Build 3 would destroy it: refused, parked, deployed, and
    caught by its smoke checks before production. Build 4 goes live, and one command rolls back.
    """
    emulator_cli = emulator_module("cli")  # first: says how to install the extra if it is missing
    from slotwise.cli.context import environment
    from slotwise.demo.story import run

    started_in = environment(ctx)

    def slotwise(args: Sequence[str], variables: Mapping[str, str]) -> int:
        return run_in_process(args, {**started_in, **variables})

    with translated():
        run(click.echo, emulator_cli.speed_named(speed), slotwise)
    click.secho("\ndemo finished: every step went as told", fg="green")


def run_in_process(args: Sequence[str], environment: Mapping[str, str]) -> int:
    """Run ``slotwise ARGS`` in this process, in ``environment`` (not ``os.environ``); the exit code."""
    from slotwise.cli.main import cli

    try:
        code = cli.main(
            list(args), prog_name="slotwise", standalone_mode=False, obj={"environment": dict(environment)}
        )
    except click.exceptions.Exit as stop:
        code = stop.exit_code
    return int(code or 0)
