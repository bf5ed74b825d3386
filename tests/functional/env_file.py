"""For tests that run ``slotwise emulator`` as a user does: wait until its env file is written, then
run a command in a shell that sourced it (``set -a; . FILE; set +a``) and had no Azure settings of
its own before."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

FOREIGN = ("AZURE_", "AZDO_", "SLOTWISE_", "SYSTEM_")  # what could point a client elsewhere


def wait_for(path: Path, timeout: float = 20.0, last: str = "AZURE_DEVOPS_EXT_PAT") -> dict[str, str]:
    """The env file's variables, once it is written through its ``last`` line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if f"\n{last}=" in text and text.endswith("\n"):
            return dict(line.split("=", 1) for line in text.splitlines())
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written")


def without_azure(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without anything that points a client at an Azure or Azure DevOps."""
    return {key: value for key, value in environ.items() if not key.startswith(FOREIGN)}


def sourced(
    env_file: Path, command: Sequence[str], *, cwd: Path, environ: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """``set -a; . ENV_FILE; set +a; COMMAND`` in bash, started in ``without_azure(environ)``."""
    script = 'set -a; . "$1"; set +a; shift; exec "$@"'
    return subprocess.run(
        ["bash", "-c", script, "sh", str(env_file), *command],
        cwd=cwd, env=without_azure(environ), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
