"""``slotwise emulator``: run the local Azure emulator (the ``slotwise-emulator`` distribution,
installed with ``pip install 'slotwise[emulator]'``) in the foreground until Ctrl-C or SIGTERM.

Its seeded Azure DevOps organization gets the slotwise extension's tasks installed (a .vsix built
from this installation's manifest and task.json files, or the built one given with ``--extension``,
whose tasks the emulated Node agent then runs in releases), so ``slotwise release apply`` works there
with nothing else to set up; the banner ends with the commands to try. The emulator's errors are
translated here, once, into slotwise's ``EmulatorError`` (exit 9).
"""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

import click

from slotwise.emulated import emulator_module, translated
from slotwise.release.extension import minimal_vsix

FIRST_SPEC = "templates/release/article.yaml"  # in a checkout of slotwise; any spec of yours will do


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
@click.option(
    "--extension",
    "vsix",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Install this slotwise .vsix (built by scripts/package) instead of the tasks' manifests "
    "alone, so release jobs can run the tasks.",
)
@click.option(
    "--agent",
    type=click.Choice(["node", "manual"]),
    help="What runs release jobs: the emulated Node agent, or a manual pool whose jobs wait to be "
    "ended through the control plane. Default: node with --extension, else manual (without "
    "--extension the installed tasks carry no code to run).",
)
def emulator(
    port: int,
    state_dir: Path | None,
    env_file: Path | None,
    speed: str,
    vsix: Path | None,
    agent: str | None,
) -> None:
    """Run a local HTTPS emulator of Entra ID, ARM (Microsoft.Web), Kudu, the Functions host and
    Azure DevOps.

    The unmodified Azure SDKs, az CLI and slotwise itself work against it. Source the env file
    (`set -a; . FILE; set +a`) to point them at it: it also holds AZURE_DEVOPS_ORG_URL and a PAT
    (AZURE_DEVOPS_EXT_PAT) of the seeded organization 'contoso' (project Fabrikam), where the
    slotwise extension's tasks are installed, so `slotwise release apply` works there as it is.
    The control plane (create apps and slots, inject faults, set speeds) is under /_emulator/ on
    the ARM endpoint: see emulator/README.md. Needs the emulator extra: pip install 'slotwise[emulator]'.
    """
    cli = emulator_module("cli")
    with translated(), tempfile.TemporaryDirectory(prefix="slotwise-extension-") as folder:
        if vsix is None:
            vsix = Path(folder) / "slotwise.vsix"
            vsix.write_bytes(minimal_vsix())
            agent = agent or "manual"
        cli.serve(
            port=port,
            state_dir=state_dir,
            env_file=env_file,
            speed=cli.speed_named(speed),
            say=click.echo,
            note=lambda line: click.echo(line, err=True),
            name="slotwise emulator",
            extensions=[vsix],
            next_steps=next_steps(env_file),
            agent=agent,
        )


def next_steps(env_file: Path | None) -> list[str]:
    """What a first-time user runs next, in another shell: point slotwise at the emulator, then
    plan and apply a release definition in the seeded organization."""
    source = (
        f"set -a; . {shlex.quote(str(env_file))}; set +a"
        if env_file is not None
        else "(restart with --env-file FILE, then: set -a; . FILE; set +a)"
    )
    return [
        "Next, in another shell (from a checkout of slotwise, or with a release spec of your own):",
        f"  {source}",
        f"  slotwise release plan {FIRST_SPEC}",
        f"  slotwise release apply {FIRST_SPEC}",
    ]
