"""Deploy benchmarks (``scripts/bench``): memory of ``slotwise slot deploy`` and its upload throughput.

- memory: the peak RSS of a ``slotwise slot deploy`` process (measured by a small parent process
  through ``getrusage(RUSAGE_CHILDREN)``) deploying a 64 MiB and a 1 GiB package to an emulator in
  another process; the package is streamed, so the peak must stay under 150 MB and flat in size;
- throughput: the time slotwise's upload (``KuduClient.zip_deploy``, in its own process, as the
  command runs it) takes for the 1 GiB package, as a ratio to ``curl -T`` uploading the same file
  to the same endpoint with the same bearer token (goal >= 0.9). The end-to-end command time
  (start-up, ARM, guard, upload, Kudu) is printed beside it.

Numbers are printed; nothing is asserted on time (machines differ). Run: ``scripts/bench -k deploy``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks.emulator_child import EmulatorProcess
from tests.packages import large_build

MiB = 1024 * 1024
RSS_GOAL_MB = 150
THROUGHPUT_GOAL = 0.9
ROUNDS = 5  # the emulator is the slower side and noisy: compare medians and bests


# Runs a command as its only child and reports the child's peak RSS (kB on Linux) and wall time.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": done.returncode, "peak_kb": peak, "seconds": seconds,
                  "stdout": done.stdout[-2000:], "stderr": done.stderr[-2000:]}))
"""

# slotwise's upload exactly as `slot deploy` does it, timed alone (connection and token warmed first).
# With "stock", the same client on azure-core's own RequestsTransport (what slotwise used before
# its transport sent bodies in large blocks): the before/after of that change.
_UPLOAD = """
import json, os, sys, time
from pathlib import Path
from azure.core.pipeline.transport import RequestsTransport
from slotwise.azure.http import build_client, retry_policy
from slotwise.azure.kudu import KuduClient
from slotwise.azure.models import SlotRef
from slotwise.factory import build_services, settings_from_env
from slotwise.events import NullReporter

package, transport = Path(sys.argv[1]), sys.argv[2]
services = build_services(settings_from_env(os.environ))
slot = services.web_apps.get(SlotRef("rg-bench", "func-bench", "staging"))
kudu = KuduClient.for_slot(services, slot)
if transport == "stock":
    client = build_client(
        f"https://{slot.scm_host_name}", transport=RequestsTransport(), credential=services.credential,
        scope=services.settings.cloud.arm_scope, retry=retry_policy(post=True),
    )
    kudu = KuduClient(client, services.clock, scm_host=kudu.scm_host, target=kudu.target)
kudu.latest()
started, cpu = time.perf_counter(), time.process_time()
with package.open("rb") as body:
    location = kudu.zip_deploy(body, size=package.stat().st_size, metadata=None, progress=NullReporter())
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
record = kudu.wait(location, timeout=600, poll_interval=0.2)
print(json.dumps({"seconds": seconds, "cpu": cpu, "status": record.status}))
"""


def deploy_command(emulator: EmulatorProcess, package: Path) -> dict[str, Any]:
    """``slotwise slot deploy`` in a process of its own: exit code, peak RSS (MB), wall seconds."""
    command = [
        sys.executable,
        "-m",
        "slotwise.cli.main",
        "slot",
        "deploy",
        "-g",
        "rg-bench",
        "-n",
        "func-bench",
    ]
    command += ["-s", "staging", "--package", str(package), "-o", "json"]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        capture_output=True,
        text=True,
        env=emulator.client_env(),
        check=True,
        timeout=1200,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["rc"] == 0, result["stderr"]
    result["peak_mb"] = result["peak_kb"] / 1024
    return result


def slotwise_upload(
    emulator: EmulatorProcess, package: Path, transport: str = "slotwise"
) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of slotwise's upload alone, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", _UPLOAD, str(package), transport],
        capture_output=True,
        text=True,
        env=emulator.client_env(),
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["status"] == 4, result
    return float(result["seconds"]), float(result["cpu"])


def curl_upload(emulator: EmulatorProcess, package: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of curl streaming the file (``-T``) as a POST with the bearer
    token to the same Kudu endpoint."""
    command = ["curl", "-sS", "-X", "POST", "-T", str(package), "--cacert", emulator.ca, "-o", os.devnull]
    command += ["-w", "%{http_code}", "-H", f"Authorization: Bearer {emulator.token}"]
    command += ["-H", "Content-Type: application/octet-stream"]
    command.append(f"https://{emulator.scm}/api/zipdeploy?isAsync=true")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=1200)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.stdout.strip() == "202", done.stdout + done.stderr
    time.sleep(0.5)  # the emulator finishes the deployment on its next request
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="slotwise-deploy-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def emulator(workdir: Path) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(workdir)
    try:
        yield process
    finally:
        process.stop()


def test_deploy_memory_is_flat_in_package_size(emulator: EmulatorProcess, workdir: Path) -> None:
    small = large_build(workdir / "small.zip", 64 * MiB)
    big = large_build(workdir / "big.zip", 1024 * MiB)
    deploy_command(emulator, small)  # warm-up: the emulator's first requests
    runs = {"64 MiB": deploy_command(emulator, small), "1 GiB": deploy_command(emulator, big)}

    for name, run in runs.items():
        print(
            f"\n[bench] slot deploy {name}: peak RSS {run['peak_mb']:.1f} MB (goal < {RSS_GOAL_MB} MB), "
            f"{run['seconds']:.1f} s end to end"
        )
    growth = runs["1 GiB"]["peak_mb"] - runs["64 MiB"]["peak_mb"]
    print(f"[bench] slot deploy peak RSS, 1 GiB minus 64 MiB: {growth:+.1f} MB (flat: about 0)")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_upload_throughput_against_curl(emulator: EmulatorProcess, workdir: Path) -> None:
    big = large_build(workdir / "big.zip", 1024 * MiB)
    size_mib = big.stat().st_size / MiB
    curl_upload(emulator, big)  # warm-up: page cache, the emulator's first large upload
    runs: dict[str, list[tuple[float, float]]] = {"slotwise": [], "stock": [], "curl": []}
    for _ in range(ROUNDS):
        runs["curl"].append(curl_upload(emulator, big))
        runs["slotwise"].append(slotwise_upload(emulator, big))
        runs["stock"].append(slotwise_upload(emulator, big, "stock"))
    wall = {name: statistics.median(s for s, _ in found) for name, found in runs.items()}
    best = {name: min(s for s, _ in found) for name, found in runs.items()}
    cpu = {name: statistics.median(c for _, c in found) for name, found in runs.items()}
    labels = {
        "slotwise": "slotwise",
        "stock": "slotwise on azure-core's stock transport (16 KiB blocks; before)",
        "curl": "curl -T",
    }
    print(f"\n[bench] upload of {size_mib:.0f} MiB to the emulator's Kudu (median of {ROUNDS}):")
    for name, label in labels.items():
        print(
            f"[bench]   {label}: {wall[name]:.2f} s ({size_mib / wall[name]:.0f} MiB/s), client CPU "
            f"{cpu[name]:.2f} s; rounds {[round(s, 2) for s, _ in runs[name]]}"
        )
    print(
        f"[bench] upload throughput ratio slotwise/curl: median {wall['curl'] / wall['slotwise']:.2f}, "
        f"best {best['curl'] / best['slotwise']:.2f} (goal >= {THROUGHPUT_GOAL}); before the "
        f"large-block transport: median {wall['curl'] / wall['stock']:.2f}, best "
        f"{best['curl'] / best['stock']:.2f}"
    )
    print(
        f"[bench] client CPU for the upload, slotwise/curl: {cpu['slotwise'] / cpu['curl']:.2f} "
        f"(before: {cpu['stock'] / cpu['curl']:.2f})"
    )
