"""``slotwise demo``: the article's story told through releases on the embedded emulator.

Needs the built slotwise extension (``--extension``: the .vsix of ``scripts/package``, which
``scripts/demo`` builds once and reuses) because the emulated agent runs its tasks. The story
(``slotwise.demo.story``) runs its commands through ``run_in_process``, handed in here: this CLI's own
entry point, with the story's variables laid over the environment the demo was started in, so the
demo needs neither the CLI's modules nor ``os.environ``. ``--keep`` leaves the emulator running
until Ctrl-C and says how to explore it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import click

from slotwise.emulated import emulator_module, translated
from slotwise.errors import UsageError

SPEC = Path("templates") / "release"


@click.command()
@click.option(
    "--extension", "vsix",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The slotwise .vsix built by scripts/package (scripts/demo builds it and passes it).",
)  # fmt: skip
@click.option(
    "--agent-tools", type=click.Path(file_okay=False, path_type=Path),
    help="The emulated agent's tools directory, where the tasks set slotwise up once: keep it across "
    "runs to pay that once (default: a new one per run).",
)  # fmt: skip
@click.option(
    "--wheelhouse", type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="An agent without internet: pip sets slotwise up only from the wheels in this directory.",
)  # fmt: skip
@click.option(
    "--spec", type=click.Path(exists=True, path_type=Path), default=SPEC, show_default=True,
    help="The release spec(s) to apply (a checkout's templates/release/).",
)  # fmt: skip
@click.option(
    "--speed", type=click.Choice(["realistic", "instant"]), default="instant", show_default=True,
    help="How long swaps and deployments take on the emulator.",
)  # fmt: skip
@click.option("--keep", is_flag=True, help="Leave the emulator running afterwards (Ctrl-C ends it).")
@click.option(
    "--broken-build", "broken", multiple=True, metavar="N", hidden=True,
    help="Make build N broken (its health answers 500), to see the demo catch it.",
)  # fmt: skip
@click.pass_context
def demo(
    ctx: click.Context,
    vsix: Path | None,
    agent_tools: Path | None,
    wheelhouse: Path | None,
    spec: Path,
    speed: str,
    keep: bool,
    broken: tuple[str, ...],
) -> None:
    """Tell slotwise's story through releases on a local emulator of Azure and Azure DevOps.

    Build 1 is released to staging, smoke-tested, approved and swapped live; build 2 finds staging
    holding the rollback build, parks it and goes live; it misbehaves, and one command rolls back;
    build 3 is broken and never reaches production. Exits 1 with the reason if a step does not go
    as told. From a checkout, run scripts/demo (it builds the extension once).
    """
    emulator_cli = emulator_module("cli")  # first: says how to install the extra if it is missing
    if vsix is None:
        raise UsageError(
            "The demo needs the built slotwise extension (.vsix): the emulated agent runs its tasks.",
            hint="From a checkout run scripts/demo (it builds it once), or give --extension with the "
            ".vsix of scripts/package.",
        )
    from slotwise.cli.context import environment
    from slotwise.demo.explore import keep_running
    from slotwise.demo.organization import open_world, set_up_already
    from slotwise.demo.story import Story, tell

    started_in = environment(ctx)

    def slotwise(args: Sequence[str], variables: Mapping[str, str]) -> int:
        return run_in_process(args, {**started_in, **variables})

    with translated(), tempfile.TemporaryDirectory(prefix="slotwise-demo-") as tmp:
        workdir = Path(tmp)
        tools = agent_tools or workdir / "agent-tools"
        pip = {"PIP_FIND_LINKS": str(wheelhouse), "PIP_NO_INDEX": "1"} if wheelhouse else {}
        with open_world(vsix, tools, workdir, emulator_cli.speed_named(speed), pip) as world:
            click.echo(f"Emulator of Azure and Azure DevOps running: ARM {world.emulator.arm_url}")
            click.echo(
                f"Installed {vsix.name} in organization contoso; release jobs run on the emulated agent"
            )
            if not set_up_already(tools):
                click.secho(
                    f"One-time set-up: the agent's first job installs slotwise and its dependencies in "
                    f"{tools} (later runs with the same --agent-tools reuse it)",
                    fg="yellow",
                )
            story = Story(click.echo, world, slotwise, frozenset(broken))
            try:
                tell(story, _spec(spec))
                click.secho("\ndemo finished: every step went as told", fg="green")
            finally:
                if keep:
                    keep_running(click.echo, world, workdir / "emulator.env")


def _spec(spec: Path) -> Path:
    if not spec.exists():
        raise UsageError(
            f"No release spec at {spec}.", hint="Run scripts/demo from a checkout, or give --spec."
        )
    return spec


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
