"""The emulator's command line: run it in the foreground until Ctrl-C or SIGTERM.

``slotwise-emulator`` and ``python -m slotwise_emulator`` parse their arguments here (argparse: the
emulator needs no command-line library); ``serve`` is what both they and a host program's own
command (slotwise's ``slotwise emulator``) call, with a function that prints a line, the
extensions (.vsix) to install in the seeded organization and the next steps to tell the user.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from slotwise_emulator.clock import Speed
from slotwise_emulator.core import Emulator
from slotwise_emulator.devops_seed import ORG
from slotwise_emulator.errors import EmulatorError

SPEEDS = ("realistic", "instant")
SEEDS = ("devops", "none")
DEVOPS_SERVERS = ("services", "2022")
AGENTS = ("node", "manual")
VSIX_HINT = "Give --extension the path of an Azure DevOps extension package (.vsix), as tfx builds it."


def agent_named(name: str | None) -> str:
    """``node`` or ``manual``; None: ``node`` when a ``node`` executable is on PATH, else ``manual``
    (``EmulatorError`` when ``node`` is asked for and there is none)."""
    if name == "manual" or (name is None and shutil.which("node") is None):
        return "manual"
    if shutil.which("node") is None:
        raise EmulatorError(
            "The emulated agent runs tasks with Node.js, and there is no 'node' on PATH.",
            hint="Install Node.js 20 or later, or run the emulator with --agent manual.",
        )
    return "node"


def plug_agent(emu: Emulator, agent: str) -> str:
    """Plug the chosen agent pool in; the line that says which runs the release jobs."""
    if agent == "node":
        emu.use_node_agent()
        return f"  release jobs run on the emulated Node agent (node: {shutil.which('node')})"
    emu.use_manual_agent()
    return "  release jobs wait in the manual agent pool (end them through the control plane)"


def speed_named(name: str) -> Speed:
    """``realistic`` (seconds, like the real service) or ``instant``."""
    return Speed.realistic() if name == "realistic" else Speed.instant()


def describe(emu: Emulator, *, env_file: Path | None, state_dir: Path | None) -> list[str]:
    """The lines that tell a user where everything is (never the client secret)."""
    lines = [
        f"  ARM endpoint (SLOTWISE_ARM_ENDPOINT)   {emu.arm_url}",
        f"  login authority (AZURE_AUTHORITY_HOST)  {emu.authority}",
        f"  Azure DevOps (collection URI base)      {emu.devops_url}",
        *(
            [f"  Azure DevOps organization (AZURE_DEVOPS_ORG_URL) {devops['AZURE_DEVOPS_ORG_URL']}"]
            if (devops := emu.devops_env())
            else []
        ),
        f"  CA bundle (REQUESTS_CA_BUNDLE)          {emu.ca_path}",
        f"  tenant {emu.tenant_id}  subscription {emu.subscription_id}",
        f"  client id {emu.client_id}",
    ]
    if env_file is not None:
        lines.append(f"  environment written to {env_file} (it holds the client secret: keep it private)")
    else:
        lines.append(f"  the client secret: GET {emu.arm_url}/_emulator/env, or use --env-file")
    if state_dir is not None:
        lines.append(f"  state kept in {state_dir}")
    return lines


def install_extensions(emu: Emulator, extensions: Sequence[Path]) -> list[str]:
    """Install each .vsix in the seeded organization; the lines that say what was installed."""
    if extensions and not emu.devops_env():
        raise EmulatorError(
            "Extensions are installed in the seeded Azure DevOps organization, and there is none.",
            hint="Start the emulator with its seed (--seed devops, the default) to install --extension.",
        )
    lines = []
    for path in extensions:
        try:
            installed = emu.install_extension(ORG, path)
        except OSError as err:
            raise EmulatorError(
                f"Cannot read the extension {path}: {err.strerror}.", hint=VSIX_HINT
            ) from None
        except EmulatorError as err:
            raise EmulatorError(
                f"Cannot install the extension {path}: {err.message}", hint=VSIX_HINT
            ) from None
        tasks = ", ".join(f"{task.name}@{task.version[0]}" for task in installed.tasks)
        lines.append(
            f"  extension {installed.publisher}.{installed.extension_id} {installed.version} "
            f"installed in {ORG}: {tasks or 'no tasks'}"
        )
    return lines


def serve(
    *,
    port: int,
    state_dir: Path | None,
    env_file: Path | None,
    speed: Speed,
    say: Callable[[str], None],
    note: Callable[[str], None],
    name: str = "emulator",
    seed: bool = True,
    devops_server: str | None = None,
    extensions: Sequence[Path] = (),
    next_steps: Sequence[str] = (),
    agent: str | None = None,
) -> None:
    """Start the emulator, say where it is, and serve until SIGINT or SIGTERM; then stop it.

    ``say`` prints to standard output, ``note`` to standard error. Raises ``EmulatorError`` when it
    cannot start (a busy port, an unreadable state directory, an unreadable .vsix). ``seed``: seed the
    Azure DevOps organization (``devops_seed``); ``devops_server``: ``services`` or ``2022`` (None: as
    the state says); ``extensions``: .vsix files installed in the seeded organization before the env
    file is written (once it exists, everything is ready); ``next_steps``: lines said last;
    ``agent``: what runs release jobs, ``node`` or ``manual`` (None: ``agent_named``'s choice).
    """
    chosen = agent_named(agent)
    emu = Emulator(port=port, state_dir=state_dir, speed=speed, seed=seed, devops_server=devops_server)
    emu.start()
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        installed = install_extensions(emu, extensions)
        installed.append(plug_agent(emu, chosen))
        if env_file is not None:
            emu.write_env_file(env_file)
        say(f"{name} is running")
        for line in [*describe(emu, env_file=env_file, state_dir=state_dir), *installed, *next_steps]:
            say(line)
        note("Press Ctrl-C to stop.")
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        emu.stop()
        note(f"{name} stopped")


def parser() -> argparse.ArgumentParser:
    """The arguments of ``slotwise-emulator``."""
    cli = argparse.ArgumentParser(
        prog="slotwise-emulator",
        description="Run a local HTTPS emulator of Entra ID, ARM (Microsoft.Web), Kudu, the Functions "
        "host and Azure DevOps. Source the env file (set -a; . FILE; set +a) to point the Azure SDKs, "
        "az CLI or your own tool at it; the control plane is under /_emulator/ on the ARM endpoint.",
    )
    cli.add_argument("--port", type=int, default=0, help="port of the ARM endpoint (0 picks free ports)")
    cli.add_argument("--state-dir", type=Path, help="keep state, certificates and ports here across restarts")
    cli.add_argument("--env-file", type=Path, help="write KEY=VALUE lines a client needs (holds a secret)")
    cli.add_argument(
        "--speed", choices=SPEEDS, default="realistic", help="how long swaps and deployments take"
    )
    cli.add_argument(
        "--seed",
        choices=SEEDS,
        default="devops",
        help="seed an Azure DevOps organization 'contoso' (project Fabrikam, users, PAT, apps), or none",
    )
    cli.add_argument(
        "--extension",
        type=Path,
        action="append",
        default=[],
        metavar="VSIX",
        help="install this Azure DevOps extension (.vsix) in the seeded organization; repeatable",
    )
    cli.add_argument(
        "--devops-server",
        choices=DEVOPS_SERVERS,
        help="answer as Azure DevOps Services (REST 7.1, the default) or Azure DevOps Server 2022 (7.0)",
    )
    cli.add_argument(
        "--agent",
        choices=AGENTS,
        help="what runs release jobs: the emulated Node agent (the default when 'node' is on PATH) or "
        "the manual pool, whose jobs end when told to through the control plane",
    )
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``slotwise-emulator``; returns the exit code (9 when it cannot start)."""
    args = parser().parse_args(argv)
    if not 0 <= args.port <= 65534:
        parser().error(f"--port {args.port} is not a port number (0 to 65534)")
    try:
        serve(
            port=args.port,
            state_dir=args.state_dir,
            env_file=args.env_file,
            speed=speed_named(args.speed),
            seed=args.seed == "devops",
            devops_server=args.devops_server,
            extensions=args.extension,
            agent=args.agent,
            say=print,
            note=lambda line: print(line, file=sys.stderr),
        )
    except EmulatorError as err:
        print(f"error: {err.message}\nhint: {err.hint}", file=sys.stderr)
        return 9
    return 0
