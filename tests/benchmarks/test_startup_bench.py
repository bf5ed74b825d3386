"""Start-up: ``slotwise slot status`` against a bare script making the same calls, and against az.

Each is a fresh process (as a user or pipeline runs it) against one emulator with an app of three
slots. The bare script signs in with azure-identity, reads the slots with azure-mgmt-web and each
slot's Kudu deployments with requests: the calls ``slot status`` makes, without slotwise. Goals:
slotwise / bare <= 1.3, slotwise / az < 1.0. Prints medians of ``RUNS`` runs and the ratios.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from slotwise_emulator import Emulator, Speed

RUNS = 7
BARE_SCRIPT = """
import os, requests
from azure.identity import ClientSecretCredential
from azure.mgmt.web import WebSiteManagementClient
env = os.environ
credential = ClientSecretCredential(env["AZURE_TENANT_ID"], env["AZURE_CLIENT_ID"],
    env["AZURE_CLIENT_SECRET"], authority=env["AZURE_AUTHORITY_HOST"], disable_instance_discovery=True)
web = WebSiteManagementClient(credential, env["AZURE_SUBSCRIPTION_ID"], base_url=env["SLOTWISE_ARM_ENDPOINT"])
sites = [web.web_apps.get("rg-demo", "func-demo"), *web.web_apps.list_slots("rg-demo", "func-demo")]
token = credential.get_token("https://management.azure.com/.default").token
with requests.Session() as session:
    for site in sites:
        ssl_states = site.host_name_ssl_states
        scm = next(s.name for s in ssl_states if str(s.host_type).lower().endswith("repository"))
        session.get(f"https://{scm}/api/deployments", headers={"Authorization": f"Bearer {token}"}).json()
        print(site.name, site.state, site.default_host_name)
"""


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(speed=Speed.instant()) as emu:
        emu.create_function_app("rg-demo", "func-demo", slots=("staging", "park"))
        yield emu


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    return elapsed


def _median(command: list[str], env: dict[str, str], emulator: Emulator) -> tuple[float, int]:
    _timed(command, env)  # warm the file-system cache
    before = len(emulator.call(lambda b: b.log.entries()))
    times = [_timed(command, env) for _ in range(RUNS)]
    requests_per_run = (len(emulator.call(lambda b: b.log.entries())) - before) // RUNS
    return statistics.median(times), requests_per_run


def test_slot_status_start_up(emulator: Emulator, tmp_path: Path) -> None:
    env = {**os.environ, **emulator.env()}
    script = tmp_path / "bare.py"
    script.write_text(BARE_SCRIPT)
    slotwise_bin = str(Path(sys.executable).with_name("slotwise"))
    slotwise, slotwise_requests = _median(
        [slotwise_bin, "slot", "status", "-g", "rg-demo", "-n", "func-demo"], env, emulator
    )
    bare, bare_requests = _median([sys.executable, str(script)], env, emulator)
    lines = [
        f"\n[startup] slotwise slot status   median {slotwise:.3f} s  ({slotwise_requests} requests per run)",
        f"[startup] bare SDK script        median {bare:.3f} s  ({bare_requests} requests per run)",
        f"[startup] ratio slotwise / bare  {slotwise / bare:.2f}   (goal <= 1.3)",
    ]
    az_time = _az_median(emulator, tmp_path)
    if az_time is not None:
        lines.append(f"[startup] az webapp deployment slot list median {az_time:.3f} s")
        lines.append(f"[startup] ratio slotwise / az   {slotwise / az_time:.2f}   (goal < 1.0)")
    else:
        lines.append("[startup] az: not installed (source scripts/_az.sh), skipped")
    print("\n".join(lines))


def _az_median(emulator: Emulator, tmp_path: Path) -> float | None:
    from tests.benchmarks.test_az_cli import AZ, CLOUD, AzCli

    if not AZ.is_file():
        return None
    az = AzCli(emulator, tmp_path / "azure-config")
    az.run("cloud", "register", "-n", CLOUD, "--skip-endpoint-discovery",
           "--endpoint-resource-manager", f"{emulator.arm_url}/",
           "--endpoint-active-directory", emulator.authority,
           "--endpoint-active-directory-resource-id", "https://management.core.windows.net/")  # fmt: skip
    az.run("cloud", "set", "-n", CLOUD)
    az.run("login", "--service-principal", "-u", emulator.client_id, "-p", emulator.client_secret,
           "--tenant", emulator.tenant_id)  # fmt: skip
    az.run("webapp", "deployment", "slot", "list", "-g", "rg-demo", "-n", "func-demo")
    times = [az.timed("webapp", "deployment", "slot", "list", "-g", "rg-demo", "-n", "func-demo")[0]
             for _ in range(RUNS)]  # fmt: skip
    return statistics.median(times)
