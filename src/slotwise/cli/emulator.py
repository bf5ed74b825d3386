"""``slotwise emulator``: run the local Azure emulator (the ``slotwise-emulator`` distribution,
installed with ``pip install 'slotwise[emulator]'``) in the foreground until Ctrl-C or SIGTERM.

The emulator's errors are translated here, once, into slotwise's ``EmulatorError`` (exit 9).
"""

from __future__ import annotations

from pathlib import Path

import click

from slotwise.emulated import emulator_module, translated


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65534),
    default=0,
    show_default=True,
    help="Port of the ARM endpoint; the login endpoint uses the next one. 0 picks free ports.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep state, certificates and ports here so they survive a restart.",
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write KEY=VALUE lines with everything a client needs (it holds a client secret).",
)
@click.option(
    "--speed",
    type=click.Choice(["instant", "realistic"]),
    default="realistic",
    show_default=True,
    help="How long swaps and deployments take: instant, or seconds like the real service.",
)
def emulator(port: int, state_dir: Path | None, env_file: Path | None, speed: str) -> None:
    """Run a local HTTPS emulator of Entra ID, ARM (Microsoft.Web), Kudu and the Functions host.

    The unmodified Azure SDKs, az CLI and slotwise itself work against it. Source the env file
    (`set -a; . FILE; set +a`) to point them at it. The control plane (create apps and slots,
    inject faults, set speeds) is under /_emulator/ on the ARM endpoint: see emulator/README.md.
    Needs the emulator extra: pip install 'slotwise[emulator]'.
    """
    cli = emulator_module("cli")
    with translated():
        cli.serve(
            port=port,
            state_dir=state_dir,
            env_file=env_file,
            speed=cli.speed_named(speed),
            say=click.echo,
            note=lambda line: click.echo(line, err=True),
            name="slotwise emulator",
        )
