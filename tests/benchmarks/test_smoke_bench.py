"""Smoke checks run concurrently: 50 checks that each answer in 300 ms must finish in under 1 s.

The emulator runs in a child process (``slotwise emulator``), as a remote service would, so its
event loop does not share a GIL with slotwise's worker threads. A function ``slow`` answers after
``DELAY_MS``; slotwise runs the checks on the real clock, in this process, like ``slot smoke``.
Printed, with ratios against baselines measured in the same run:

- one check alone (the floor: one request's latency plus the ARM read and the warm-up);
- the 50 checks one at a time (``concurrency=1``: what a sequential runner would take);
- the 50 checks at slotwise's default concurrency (goal: under ``GOAL`` seconds).

``SLOTWISE_BENCH_SMOKE_DELAY_MS`` changes the delay for a trial (0 shows the fixed overhead).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from azure.identity import ClientSecretCredential

from slotwise.azure.models import SlotRef
from slotwise.events import NullReporter
from slotwise.factory import build_services, settings_from_env
from slotwise.services import Services
from slotwise.slots.smoke import DEFAULT_CONCURRENCY, load_checks, run_smoke
from slotwise.timing import SystemClock
from tests.packages import app_files, http_function, write_zip

CHECKS = 50
DELAY_MS = int(os.environ.get("SLOTWISE_BENCH_SMOKE_DELAY_MS", "300"))  # another value: a trial
GOAL = 1.0
RUNS = 5
STAGING = SlotRef("rg-bench", "func-bench", "staging")


def _read_env(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.fixture(scope="module")
def emulator_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A ``slotwise emulator`` child process with func-bench/staging serving the slow function."""
    root = tmp_path_factory.mktemp("smoke-bench")
    env_file = root / "emulator.env"
    command = [sys.executable, "-m", "slotwise.cli.main", "emulator", "--env-file", str(env_file)]
    child = subprocess.Popen(
        [*command, "--speed", "instant"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not env_file.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert env_file.exists(), "the emulator did not start"
        env = _read_env(env_file)
        _deploy_slow_function(env, root)
        yield env
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)


def _deploy_slow_function(env: dict[str, str], root: Path) -> None:
    verify, arm = env["REQUESTS_CA_BUNDLE"], env["SLOTWISE_ARM_ENDPOINT"]
    group = f"{arm}/_emulator/subscriptions/{env['AZURE_SUBSCRIPTION_ID']}/resourcegroups/rg-bench"
    site = f"{group}/sites/func-bench"
    created = requests.put(site, json={"slots": ["staging"]}, verify=verify, timeout=30)
    created.raise_for_status()
    scm = created.json()["slots"]["staging"]["scmHostName"]
    files = app_files("bench")
    files["slow/function.json"] = http_function("slow", auth="anonymous")
    files["slow/emulator.json"] = {"body": {"ok": True}, "delayMs": DELAY_MS}
    package = write_zip(root / "bench.zip", files)
    credential = ClientSecretCredential(
        env["AZURE_TENANT_ID"],
        env["AZURE_CLIENT_ID"],
        env["AZURE_CLIENT_SECRET"],
        authority=env["AZURE_AUTHORITY_HOST"],
        connection_verify=verify,
        disable_instance_discovery=True,
    )
    token = credential.get_token("https://management.azure.com/.default").token
    with package.open("rb") as body:
        deployed = requests.post(
            f"https://{scm}/api/zipdeploy",
            data=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
            timeout=60,
        )
    deployed.raise_for_status()


@pytest.fixture(scope="module")
def services(emulator_env: dict[str, str]) -> Iterator[Services]:
    saved = dict(os.environ)
    os.environ.update(emulator_env)
    try:
        built = build_services(settings_from_env(os.environ), clock=SystemClock())
        yield built
        built.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _plan(tmp_path: Path, count: int) -> Path:
    file = tmp_path / f"checks-{count}.yaml"
    lines = ["checks:"]
    lines += [
        f"  - {{name: slow {i}, path: /api/slow, expect: {{json: [{{path: $.ok, equals: true}}]}}}}"
        for i in range(count)
    ]
    file.write_text("\n".join(lines) + "\n")
    return file


def _timed(services: Services, checks: Path, concurrency: int = DEFAULT_CONCURRENCY) -> float:
    plan = load_checks(checks)
    started = time.perf_counter()
    report = run_smoke(services, STAGING, plan, reporter=NullReporter(), concurrency=concurrency)
    elapsed = time.perf_counter() - started
    assert report.passed, [r.failures for r in report.results if not r.passed]
    assert len(report.results) == len(plan.checks)
    return elapsed


def test_fifty_slow_checks_finish_in_under_a_second(services: Services, tmp_path: Path) -> None:
    one, fifty = _plan(tmp_path, 1), _plan(tmp_path, CHECKS)
    _timed(services, one)  # the first call also gets the ARM token: not measured
    alone = statistics.median(_timed(services, one) for _ in range(RUNS))
    sequential = _timed(services, fifty, concurrency=1)
    concurrent = [_timed(services, fifty) for _ in range(RUNS)]
    median = statistics.median(concurrent)
    print(
        f"\nsmoke: {CHECKS} checks answering in {DELAY_MS} ms, concurrency {DEFAULT_CONCURRENCY}: "
        f"median {median:.3f} s (best {min(concurrent):.3f} s, worst {max(concurrent):.3f} s, "
        f"goal < {GOAL} s)\n"
        f"  baseline one check alone: {alone:.3f} s -> ratio {median / alone:.2f}\n"
        f"  baseline {CHECKS} checks one at a time: {sequential:.3f} s -> {sequential / median:.1f}x faster"
    )
    assert median < GOAL
