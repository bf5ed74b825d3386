"""``slotwise demo --keep``: leave the demo's emulator running and say how to look around in it.

Writes the emulator's env file (it holds the client secret: readable by its owner only, removed with
the demo's temporary directory), says the commands to try from another shell (slotwise's, and the
az CLI's against the emulated ARM and Entra ID: reference FACTS.md's recipe), then waits for Ctrl-C.

Must not: stop the emulator (its owner does, when this returns).
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from pathlib import Path

from slotwise.demo.organization import APP, DEFINITION, GROUP, World


def how_to_explore(world: World, env_file: Path) -> list[str]:
    """The lines that tell a user what to run against the running emulator."""
    emulator = world.emulator
    cloud = "SlotwiseEmulator"
    return [
        "",
        f"The emulator keeps running. Its environment is in {env_file} (it holds a client secret).",
        "In another shell:",
        f"  set -a; . {shlex.quote(str(env_file))}; set +a",
        "  slotwise approvals list",
        f"  slotwise release status --definition {DEFINITION}",
        "  slotwise release logs 3",
        f"  slotwise slot status -g {GROUP} -n {APP}",
        "With the az CLI (then `az cloud set -n AzureCloud` to go back):",
        f"  az cloud register -n {cloud} --skip-endpoint-discovery "
        f"--endpoint-resource-manager {emulator.arm_url}/ --endpoint-active-directory {emulator.authority} "
        "--endpoint-active-directory-resource-id https://management.core.windows.net/",
        f"  az cloud set -n {cloud}",
        '  az login --service-principal -u "$AZURE_CLIENT_ID" -p "$AZURE_CLIENT_SECRET" '
        '--tenant "$AZURE_TENANT_ID"',
        f"  az webapp deployment slot list -g {GROUP} -n {APP} -o table",
    ]


def keep_running(say: Callable[[str], None], world: World, env_file: Path) -> None:
    """Write the env file, say how to explore, and wait until Ctrl-C."""
    world.emulator.write_env_file(env_file)
    for line in how_to_explore(world, env_file):
        say(line)
    say("Press Ctrl-C to stop.")
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("emulator stopped")
