"""``slotwise emulator``: run the local Azure emulator in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from slotwise.emulator import Emulator, Speed


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
    inject faults, set speeds) is under /_emulator/ on the ARM endpoint: see docs/emulator.md.
    """
    chosen = Speed.realistic() if speed == "realistic" else Speed.instant()
    emu = Emulator(port=port, state_dir=state_dir, speed=chosen).start()
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if env_file is not None:
            emu.write_env_file(env_file)
        click.echo("slotwise emulator is running")
        click.echo(f"  ARM endpoint (SLOTWISE_ARM_ENDPOINT)   {emu.arm_url}")
        click.echo(f"  login authority (AZURE_AUTHORITY_HOST)  {emu.authority}")
        click.echo(f"  Azure DevOps (collection URI base)      {emu.devops_url}")
        click.echo(f"  CA bundle (REQUESTS_CA_BUNDLE)          {emu.ca_path}")
        click.echo(f"  tenant {emu.tenant_id}  subscription {emu.subscription_id}")
        click.echo(f"  client id {emu.client_id}")
        if env_file is not None:
            click.echo(f"  environment written to {env_file} (it holds the client secret: keep it private)")
        else:
            click.echo(f"  the client secret: GET {emu.arm_url}/_emulator/env, or use --env-file")
        if state_dir is not None:
            click.echo(f"  state kept in {state_dir}")
        click.echo("Press Ctrl-C to stop.", err=True)
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        emu.stop()
        click.echo("slotwise emulator stopped", err=True)
