"""Emulator benchmarks (``scripts/bench``): memory during a 1 GiB zip deploy, and start-up time.

Each measurement prints a ratio against a baseline measured in the same run, so numbers from
different machines can be compared:

- memory: the peak RSS growth of an emulator in a child process while it receives a 1 GiB package
  (requests streaming a file, then curl streaming a file), against the growth for a 1 MiB package;
  the upload must be streamed to disk, so the growth must stay far below the package size;
- start-up: ``Emulator().start()`` + ``stop()`` against a bare uvicorn/starlette HTTPS server with a
  fresh trustme certificate, started and stopped the same way.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from slotwise_emulator import Emulator, Speed
from tests.benchmarks.emulator_child import EmulatorProcess
from tests.packages import large_build

MiB = 1024 * 1024
GROWTH_LIMIT_MB = 100


# ---- the emulator in a child process -----------------------------------------------------------------------
class Child(EmulatorProcess):
    """The emulator in its own process, whose memory is read from /proc."""

    def wait_deployed(self, location: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        while True:
            record: dict[str, Any] = requests.get(
                location, headers=headers, verify=self.ca, timeout=60
            ).json()
            if record.get("complete"):
                return record
            time.sleep(0.2)


def upload_with_requests(child: Child, package: Path) -> str:
    headers = {"Authorization": f"Bearer {child.token}", "Content-Type": "application/octet-stream"}
    with package.open("rb") as body:
        response = requests.post(
            f"https://{child.scm}/api/zipdeploy?isAsync=true",
            data=body,
            headers=headers,
            verify=child.ca,
            timeout=600,
        )
    assert response.status_code == 202, response.text
    return response.headers["Location"]


def upload_with_curl(child: Child, package: Path) -> str:
    """curl streaming the file (``-T``; ``--data-binary @file`` would read it all into curl first)."""
    command = [
        "curl",
        "-sS",
        "-X",
        "POST",
        "-T",
        str(package),
        "--cacert",
        child.ca,
        "-D",
        "-",
        "-o",
        os.devnull,
    ]
    command += ["-H", f"Authorization: Bearer {child.token}", "-H", "Content-Type: application/octet-stream"]
    command.append(f"https://{child.scm}/api/zipdeploy?isAsync=true")
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
    lines = result.stdout.splitlines()
    assert any(" 202" in line for line in lines if line.startswith("HTTP/")), result.stdout
    return next(line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("location:"))


def measure(child: Child, package: Path, upload: Callable[[Child, Path], str]) -> tuple[float, float]:
    """(peak RSS growth in MB while deploying ``package``, seconds the upload and deployment took).

    The peak is reset to the current RSS first where Linux allows it; otherwise the growth is counted
    from the previous peak, which can only under-count.
    """
    exact = child.reset_peak()
    if not exact:
        print("[bench] cannot reset VmHWM (clear_refs): growth is measured from the earlier peak")
    before = child.status_kb("VmRSS") if exact else child.status_kb("VmHWM")
    started = time.perf_counter()
    record = child.wait_deployed(upload(child, package))
    elapsed = time.perf_counter() - started
    assert record["status"] == 4, record
    return (child.status_kb("VmHWM") - before) / 1024, elapsed


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="slotwise-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_zipdeploy_of_1_gib_keeps_the_emulator_memory_flat(workdir: Path) -> None:
    small = large_build(workdir / "small.zip", MiB)
    child = Child(workdir)
    try:
        measure(child, small, upload_with_requests)  # warm-up: first-request imports and caches
        small_growth, small_seconds = measure(child, small, upload_with_requests)
        big = large_build(workdir / "big.zip", 1024 * MiB)
        size_mb = big.stat().st_size / MiB
        results = {"requests": measure(child, big, upload_with_requests)}
        if shutil.which("curl"):
            results["curl"] = measure(child, big, upload_with_curl)
        big.unlink()
    finally:
        child.stop()

    print(f"\n[bench] zipdeploy 1 MiB package: RSS growth {small_growth:.1f} MB in {small_seconds:.2f} s")
    for client, (growth, seconds) in results.items():
        ratio = growth / small_growth if small_growth > 0 else float("inf")
        print(
            f"[bench] zipdeploy {size_mb:.0f} MiB package via {client}: RSS growth {growth:.1f} MB "
            f"(x{ratio:.2f} of the 1 MiB growth; goal < {GROWTH_LIMIT_MB} MB) "
            f"in {seconds:.1f} s ({size_mb / seconds:.0f} MiB/s)"
        )
    for growth, _ in results.values():
        assert growth < GROWTH_LIMIT_MB


# ---- start-up time -----------------------------------------------------------------------------------------
def _bare_server_start_stop(root: Path) -> None:
    """A bare starlette app over HTTPS with a fresh trustme certificate: started, then stopped."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path = root / "cert.pem", root / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    app = Starlette(routes=[Route("/", lambda _: PlainTextResponse("ok"))])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, ssl_certfile=str(cert_path), ssl_keyfile=str(key_path),
        log_level="warning", lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.001)
    server.should_exit = True
    thread.join()


def _emulator_start_stop(_: Path) -> None:
    Emulator(speed=Speed.instant()).start().stop()


def _median_seconds(run: Callable[[Path], None], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        root = Path(tempfile.mkdtemp(prefix="slotwise-bench-"))
        try:
            started = time.perf_counter()
            run(root)
            times.append(time.perf_counter() - started)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return statistics.median(times)


def test_emulator_start_up_time() -> None:
    _median_seconds(_emulator_start_stop, 1)  # warm-up: imports
    _median_seconds(_bare_server_start_stop, 1)
    rounds = 7
    baseline = _median_seconds(_bare_server_start_stop, rounds)
    emulator = _median_seconds(_emulator_start_stop, rounds)
    print(
        f"\n[bench] start+stop, median of {rounds}: emulator {emulator * 1000:.0f} ms, "
        f"bare uvicorn/starlette HTTPS {baseline * 1000:.0f} ms (x{emulator / baseline:.2f})"
    )
