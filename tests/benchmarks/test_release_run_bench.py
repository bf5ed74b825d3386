"""From "build completed" to "approval pending" through a release on the emulated Azure DevOps and its
Node agent, against the same three steps run by hand with slotwise's CLI (issue 10's benchmark).

Setup: one emulator at instant speeds, seeded (organization ``contoso``, func-orders with staging),
the .vsix built by ``scripts/package`` installed, templates/release/article.yaml applied, the Node
agent plugged in with a tools directory slotwise is set up in once (a warm-up release, not timed:
the first job creates the tasks' virtual environment from the offline wheelhouse).

Then ``ROUNDS`` times, alternately:

- release: complete a build of orders-api-CI whose artifact holds the app and its smoke checks, and
  wait until the continuous-deployment release's Production waits for its approver: the release
  service creates the release, hands Staging's job to the agent, which downloads the artifact and
  runs guard → deploy → smoke (three ``node shim.js`` processes, each starting slotwise's Python)
  against the emulated ARM with the job's workload identity; the job's outcome moves the release on.
  Each release is abandoned after it is timed (Production takes one release at a time).
- by hand: ``slotwise slot guard``, ``slot deploy`` and ``slot smoke`` as three processes, with the
  same package and checks, signed in with the emulator's service principal: the same work in Azure
  with no Azure DevOps, no agent and no Node.

Printed: each side's median wall time, and the release's over the by-hand one: what running the
steps as a release costs on top of the steps themselves. Asserted (outcomes, not timings): every
release reached the pending approval with its build in staging, and every by-hand round deployed.
Run with ``scripts/bench -k build_to_approval``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from azure.devops.connection import Connection
from azure.devops.v7_1.release.models import ReleaseUpdateMetadata
from click.testing import CliRunner
from msrest.authentication import BasicAuthentication

from slotwise.cli.main import cli
from slotwise_emulator import Emulator, Speed
from slotwise_emulator.agent.job import AgentSettings
from tests.functional.deploying import serving
from tests.functional.devops_org import ROOT, devops_env
from tests.packages import SMOKE_CHECKS, good_build
from tests.tasks.agentkit import PackagingUnavailable, build_vsix
from tests.tasks.shimkit import NODE, build_wheelhouse, runtime_lock

ORG, PROJECT, BUILD = "contoso", "Fabrikam", "orders-api-CI"
GROUP, APP = "rg-orders", "func-orders"
ROUNDS = 5
SETTLE_SECONDS = 300


def _stages(emu: Emulator, name: str) -> dict[str, dict[str, Any]]:
    found = [r for r in emu.releases(ORG, PROJECT) if r["name"] == name]
    return {s["name"]: s for s in found[0]["stages"]} if found else {}


def _release_round(emu: Emulator, tmp: Path, number: int) -> float:
    package = good_build(tmp / f"orders-{number}.zip", str(number)).read_bytes()
    files = {"orders.zip": package, "smoke-checks.yaml": SMOKE_CHECKS.encode()}
    name = f"Release-{len(emu.releases(ORG, PROJECT)) + 1}"  # the one the build's completion creates
    started = time.perf_counter()
    emu.complete_build(ORG, PROJECT, BUILD, build_number=str(number), artifacts={"drop": files})
    deadline = started + SETTLE_SECONDS
    while time.perf_counter() < deadline:
        stages = _stages(emu, name)
        if stages and stages["Production"]["step"] == "preApproval":
            break
        if stages and stages["Staging"]["status"] in ("rejected", "canceled", "failed"):
            raise AssertionError(f"{name}'s Staging did not succeed: {stages['Staging']}")
        time.sleep(0.01)
    else:
        raise AssertionError(f"{name} did not reach its approval in {SETTLE_SECONDS} s")
    seconds = time.perf_counter() - started
    assert serving(emu, "staging", group=GROUP, app=APP) == str(number)
    release_id = next(r["id"] for r in emu.releases(ORG, PROJECT) if r["name"] == name)
    env = devops_env(emu)  # not timed: abandoning frees Production for the next round
    client = Connection(env["AZURE_DEVOPS_ORG_URL"], BasicAuthentication("", env["AZURE_DEVOPS_EXT_PAT"]))
    client.clients_v7_1.get_release_client().update_release_resource(
        ReleaseUpdateMetadata(status="abandoned"), PROJECT, release_id
    )
    return seconds


def _by_hand_round(emu: Emulator, tmp: Path, number: int) -> float:
    package = good_build(tmp / f"hand-{number}.zip", str(number))
    checks = tmp / "smoke-checks.yaml"
    checks.write_text(SMOKE_CHECKS)
    env = {**emu.env(), "PATH": "/usr/bin:/bin"}
    target = ["-g", GROUP, "-n", APP, "-s", "staging"]
    steps = [
        ["slot", "guard", *target, "--mode", "park", "--create-park-slot"],
        ["slot", "deploy", *target, "--package", str(package), "--build-number", str(number)],
        ["slot", "smoke", *target, "--checks", str(checks)],
    ]
    started = time.perf_counter()
    for step in steps:
        done = subprocess.run(
            [sys.executable, "-m", "slotwise.cli.main", *step],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    seconds = time.perf_counter() - started
    assert serving(emu, "staging", group=GROUP, app=APP) == str(number)
    return seconds


@pytest.mark.skipif(NODE is None, reason="the emulated agent runs tasks with Node.js")
def test_build_to_approval_pending(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        vsix = build_vsix(tmp_path / "build", tmp_path / "dist")
    except PackagingUnavailable as err:
        pytest.skip(f"cannot build the .vsix here: {err}")
    lock = tmp_path / "requirements.lock"
    lock.write_text(runtime_lock())
    wheelhouse = tmp_path / "wheels"
    build_wheelhouse(lock, wheelhouse)
    with Emulator(speed=Speed.instant(), seed=True) as emu:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emu.ca_path))  # the in-process client's trust
        emu.install_extension(ORG, vsix)
        emu.use_node_agent(
            settings=AgentSettings(
                environment={"PIP_FIND_LINKS": str(wheelhouse), "PIP_NO_INDEX": "1"},
                tools_directory=tmp_path / "agent-tools",
            ),
            work_root=tmp_path / "agent-work",
        )
        applied = CliRunner().invoke(
            cli,
            ["release", "apply", str(ROOT / "templates" / "release" / "article.yaml")],
            env=devops_env(emu),
        )
        assert applied.exit_code == 0, applied.output
        warm = _release_round(emu, tmp_path, 100)  # sets slotwise up on the agent: not counted
        released, by_hand = [], []
        for n in range(ROUNDS):
            released.append(_release_round(emu, tmp_path, 2 * n + 1))
            by_hand.append(_by_hand_round(emu, tmp_path, 2 * n + 2))
    release_s, hand_s = statistics.median(released), statistics.median(by_hand)
    print(
        f"\nbuild completed -> approval pending, {ROUNDS} rounds each (medians; warm-up release {warm:.2f} s)"
    )
    print(f"  release on the emulated agent (3 tasks):  {release_s:7.3f} s")
    print(f"  the same 3 steps by hand (slotwise CLI):  {hand_s:7.3f} s")
    print(f"  ratio release / by hand:                  {release_s / hand_s:7.3f}")
