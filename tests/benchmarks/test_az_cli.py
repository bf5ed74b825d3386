"""The Azure CLI, unmodified, against an in-process emulator: the baseline slotwise is compared with.

Prints the wall time of ``az webapp deployment slot list`` (median of 5; what ``slotwise slot status``
is later compared against) and of ``az webapp deployment slot swap`` while the emulator's swap takes
``SWAP_SECONDS``: az polls the swap's ``Location`` at once and then every 30 s (App Service sends no
``Retry-After``), so the swap costs az up to 30 s more than the service needs.

az lives in its own virtual environment ``.venv-az`` (``source scripts/_az.sh`` installs it); without
it these tests skip. Each run uses a private ``AZURE_CONFIG_DIR``, so a user's own login is untouched.
The recipe is the one in docs/az-cli.md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slotwise_emulator import Emulator, Speed

ROOT = Path(__file__).resolve().parents[2]
AZ_VENV = Path(os.environ.get("SLOTWISE_AZ_VENV", ROOT / ".venv-az"))
AZ = AZ_VENV / "bin" / "az"
QUIET_CONFIG = ROOT / "scripts" / "_az_quiet_config.py"  # keeps az from looking up its latest release
CLOUD = "SlotwiseEmulator"
RUNS = 5
SWAP_SECONDS = 5.0
AZ_POLL_INTERVAL = 30.0  # azure-core's default polling_interval, which az keeps

pytestmark = pytest.mark.skipif(
    not AZ.is_file(),
    reason=f"the Azure CLI is not installed in {AZ_VENV}: run `source scripts/_az.sh` once to install it",
)


class AzCli:
    """Runs az with an environment of its own: the emulator's variables and a private config dir."""

    def __init__(self, emulator: Emulator, config_dir: Path) -> None:
        subprocess.run([str(AZ_VENV / "bin" / "python"), str(QUIET_CONFIG), str(config_dir)], check=True)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ARM_"))}
        self.env = {
            **inherited,
            **emulator.env(),
            "AZURE_CONFIG_DIR": str(config_dir),
            "AZURE_CORE_COLLECT_TELEMETRY": "false",
            "AZURE_CORE_SURVEY_MESSAGE": "false",
            "AZURE_CORE_NO_COLOR": "true",
            "AZURE_CORE_ONLY_SHOW_ERRORS": "true",
            "AZURE_EXTENSION_USE_DYNAMIC_INSTALL": "no",
            "AZURE_CORE_INSTANCE_DISCOVERY": "false",
            "NO_PROXY": "127.0.0.1,localhost",  # a user's HTTPS_PROXY must not see the emulator's traffic
            "no_proxy": "127.0.0.1,localhost",
        }

    def run(self, *args: str) -> Any:
        """Run ``az ARGS -o json``; the parsed output, or a failure naming the command and az's error."""
        result = subprocess.run(
            [str(AZ), *args, "-o", "json"], env=self.env, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            shown = " ".join(a for a in args if a != self.env["AZURE_CLIENT_SECRET"])
            pytest.fail(f"az {shown} exited {result.returncode}:\n{result.stderr}")
        return json.loads(result.stdout) if result.stdout.strip() else None

    def timed(self, *args: str) -> tuple[float, Any]:
        started = time.perf_counter()
        output = self.run(*args)
        return time.perf_counter() - started, output


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(speed=Speed.instant()) as emu:
        emu.create_function_app("rg-demo", "func-demo")
        yield emu


@pytest.fixture(scope="module")
def az(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> AzCli:
    """az with the emulator registered as a cloud and its service principal logged in."""
    cli = AzCli(emulator, tmp_path_factory.mktemp("azure-config"))
    cli.run(
        "cloud", "register", "-n", CLOUD, "--skip-endpoint-discovery",
        "--endpoint-resource-manager", f"{emulator.arm_url}/",
        "--endpoint-active-directory", emulator.authority,
        "--endpoint-active-directory-resource-id", "https://management.core.windows.net/",
    )  # fmt: skip
    cli.run("cloud", "set", "-n", CLOUD)
    cli.run(
        "login", "--service-principal", "-u", emulator.client_id, "-p", emulator.client_secret,
        "--tenant", emulator.tenant_id,
    )  # fmt: skip
    return cli


def _median(times: list[float]) -> str:
    middle, low, high = statistics.median(times), min(times), max(times)
    return f"median {middle:.3f} s (min {low:.3f}, max {high:.3f}, n={len(times)})"


def test_az_slot_list_wall_time(az: AzCli, emulator: Emulator) -> None:
    startup = [az.timed("account", "show")[0] for _ in range(RUNS)]  # az itself, no HTTP at all
    times = []
    for _ in range(RUNS):
        elapsed, slots = az.timed("webapp", "deployment", "slot", "list", "-g", "rg-demo", "-n", "func-demo")
        assert [slot["name"] for slot in slots] == ["staging"]
        times.append(elapsed)
    served = [
        entry.duration_ms
        for entry in emulator.call(lambda b: b.log.entries())
        if entry.path.endswith("/sites/func-demo/slots") and entry.method == "GET"
    ]
    print(
        f"\n[az-cli] az webapp deployment slot list: {_median(times)}"
        f"\n[az-cli]   of which az's own start-up (az account show, no HTTP): {_median(startup)}"
        f"\n[az-cli]   emulator time serving GET .../slots: median {statistics.median(served):.1f} ms"
    )


def test_az_functionapp_slot_list_reads_the_plan_first(az: AzCli, emulator: Emulator) -> None:
    """``az functionapp deployment slot ...`` reads the app's App Service plan (to refuse Flex
    Consumption) before the slot requests; the emulator serves the plan every site names."""
    emulator.call(lambda b: b.log.clear())
    slots = az.run("functionapp", "deployment", "slot", "list", "-g", "rg-demo", "-n", "func-demo")
    assert [slot["name"] for slot in slots] == ["staging"]
    served = [
        (e.method, e.path.rsplit("/", 2)[-2:], e.status) for e in emulator.call(lambda b: b.log.entries())
    ]
    assert ("GET", ["serverfarms", "func-demo-plan"], 200) in served


def test_az_swap_waits_for_its_30_second_poll(az: AzCli, emulator: Emulator) -> None:
    emulator.set_speed(Speed(swap_seconds=SWAP_SECONDS))
    try:
        emulator.call(lambda b: b.log.clear())
        elapsed, _ = az.timed(
            "webapp", "deployment", "slot", "swap", "-g", "rg-demo", "-n", "func-demo", "--slot", "staging"
        )
    finally:
        emulator.set_speed(Speed.instant())
    entries = emulator.call(lambda b: b.log.entries())
    started = next(e.time for e in entries if e.path.endswith("/slotsswap"))
    polls = [(round(e.time - started, 1), e.status) for e in entries if "/operationresults/" in e.path]
    assert polls, "az did not poll the swap's Location"
    assert polls[-1][1] == 200
    assert elapsed >= SWAP_SECONDS
    print(
        f"\n[az-cli] az webapp deployment slot swap, emulator swap taking {SWAP_SECONDS:.0f} s: "
        f"{elapsed:.1f} s wall, overhead {elapsed - SWAP_SECONDS:.1f} s"
        f"\n[az-cli]   polls (seconds after the POST, status): {polls}"
        f"\n[az-cli]   az polls every {AZ_POLL_INTERVAL:.0f} s: a swap ends up to that long before az notices"
    )
