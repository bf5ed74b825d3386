"""An emulator in a process of its own, for benchmarks that measure a process against it.

``python tests/benchmarks/emulator_child.py OUT`` starts an emulator with app ``func-bench`` (slot
``staging``) in resource group ``rg-bench``, writes ``{"env", "scm", "token", "ca"}`` to the JSON file
OUT, and serves until its stdin is closed. ``EmulatorProcess`` runs it from a benchmark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from azure.identity import ClientSecretCredential

from slotwise_emulator import Emulator, Speed

SCRIPT = Path(__file__)


def main(out: Path) -> None:
    with Emulator(speed=Speed.instant()) as emu:
        emu.create_function_app("rg-bench", "func-bench", slots=("staging",))
        sub = emu.subscription_id
        scm = emu.call(lambda b: b.web.slot(sub, "rg-bench", "func-bench", "staging").scm_host_name)
        credential = ClientSecretCredential(
            emu.tenant_id, emu.client_id, emu.client_secret, authority=emu.authority,
            connection_verify=str(emu.ca_path), disable_instance_discovery=True,
        )  # fmt: skip
        token = credential.get_token("https://management.azure.com/.default").token
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps({"env": emu.env(), "scm": scm, "token": token, "ca": str(emu.ca_path)}))
        tmp.replace(out)
        sys.stdin.read()  # serve until the parent closes stdin


class EmulatorProcess:
    """The emulator in its own process, so its work and memory are not the measured process's."""

    def __init__(self, workdir: Path) -> None:
        info_path = workdir / "emulator.json"
        info_path.unlink(missing_ok=True)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(info_path)], stdin=subprocess.PIPE, env=env, cwd=workdir
        )
        deadline = time.monotonic() + 60
        while not info_path.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the emulator process did not start")
            time.sleep(0.05)
        info = json.loads(info_path.read_text())
        self.env: dict[str, str] = info["env"]
        self.scm: str = info["scm"]
        self.token: str = info["token"]
        self.ca: str = info["ca"]

    def client_env(self) -> dict[str, str]:
        """This process's environment pointed at the emulator (none of the caller's Azure settings)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "SLOTWISE_"))}
        return {**env, **self.env, "PYTHONPATH": os.pathsep.join(sys.path)}

    def status_kb(self, field: str) -> int:
        """A memory figure (kB) of the emulator process from /proc, e.g. VmHWM or VmRSS."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise KeyError(field)

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5); False where that is not allowed."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
