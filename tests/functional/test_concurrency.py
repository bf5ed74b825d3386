"""Two terminals at once, against the emulator: commands racing each other on one app.

Each race runs one ``slotwise`` process in the background (a real process, as a second terminal or
another release's agent would) and the other as soon as the first is in flight, observed in the
emulator's own state (a zip deployment running, a swap running, a zip deploy request waiting), so
the overlap is certain. What must hold: no build is lost, the slots end as one of the commands says,
the loser fails with its exit code and says why, and ``slot status`` tells the truth afterwards.
(Two task bootstraps in one tools directory: tests/tasks/test_shim.py.)
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise_emulator import Emulator, FunctionApp, Speed
from slotwise_emulator.backends.kudu import SlotRef as KuduRef
from tests.functional.control import add_fault
from tests.functional.deploying import serving
from tests.packages import good_build

APP = ["-g", "rg-demo", "-n", "func-demo"]
BUILD = {"production": "20260101.1", "staging": "20260101.2"}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["slot", *args, *APP])


def start(*args: str) -> subprocess.Popen[str]:
    """``slotwise slot ARGS -g rg-demo -n func-demo`` in another process (the environment: slot_env)."""
    return subprocess.Popen(
        [sys.executable, "-m", "slotwise.cli.main", "slot", *args, *APP],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, out


def wait_until(what: str, condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    """Wait for ``condition`` (the first command is in flight); fail if that process ends first."""
    deadline = time.monotonic() + 60
    while not condition():
        if process.poll() is not None:
            code, out = finish(process)
            pytest.fail(f"the first command ended (exit {code}) before {what}:\n{out}")
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def kudu_ref(emulator: Emulator, slot: str) -> KuduRef:
    return KuduRef(emulator.subscription_id, "rg-demo", "func-demo", slot)


def deployment_id(emulator: Emulator, slot: str) -> str:
    """The id of the deployment ``slot`` runs (or is running)."""
    ref = kudu_ref(emulator, slot)
    return str(emulator.call(lambda b: b.kudu.deployments(ref))[0].id)


def swap_running(emulator: Emulator) -> bool:
    sub = emulator.subscription_id

    def running(b: object) -> bool:
        site = b.web.site(sub, "rg-demo", "func-demo")  # type: ignore[attr-defined]
        return bool(site.operation is not None and getattr(site.operation, "running", False))

    return bool(emulator.call(running))


def status_lines() -> dict[str, str]:
    """``slot status``'s table rows, by slot name."""
    result = run("status")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    return {row[0]: " ".join(row[1:]) for row in rows if row and row[0] in ("production", "staging")}


@pytest.fixture
def two_builds(
    emulator: Emulator, function_app: FunctionApp, slot_env: dict[str, str], tmp_path: Path
) -> None:
    """Build 20260101.1 (version 1) in production, 20260101.2 (version 2) in staging, both stamped."""
    for slot, version in (("production", "1"), ("staging", "2")):
        package = good_build(tmp_path / f"{slot}.zip", version)
        result = run("deploy", "-s", slot, "--package", str(package), "--build-number", BUILD[slot])
        assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("two_builds")
def test_two_deploys_into_one_slot_one_wins_the_other_names_the_running_deployment(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.set_speed(Speed(deploy_seconds=4))
    ref = kudu_ref(emulator, "staging")
    first_package = good_build(tmp_path / "a.zip", "3")
    second_package = good_build(tmp_path / "b.zip", "4")
    first = start("deploy", "-s", "staging", "--package", str(first_package), "--build-number", "20260102.3")
    wait_until(
        "Kudu runs its deployment", lambda: emulator.call(lambda b: b.kudu.running(ref)) is not None, first
    )
    running = deployment_id(emulator, "staging")

    second = start(
        "deploy", "-s", "staging", "--package", str(second_package), "--build-number", "20260102.4"
    )
    loser_code, loser = finish(second)
    winner_code, winner = finish(first)

    assert winner_code == 0, winner
    assert loser_code == 5, loser
    assert "Traceback" not in loser + winner
    assert "already running" in loser
    assert "20260102.3" in loser or running[:8] in loser, (
        f"the loser does not name the running deployment:\n{loser}"
    )
    assert serving(emulator, "staging") == "3"  # the winner's build is what the slot serves
    assert serving(emulator, "production") == "1"  # nothing else was touched
    rows = status_lines()
    assert "build 20260102.3" in rows["staging"]
    assert "build 20260101.1" in rows["production"]


@pytest.mark.usefixtures("two_builds")
def test_two_swaps_at_once_one_is_applied_the_other_says_a_swap_is_in_progress(emulator: Emulator) -> None:
    emulator.set_speed(Speed(swap_seconds=4))
    first = start("swap", "-s", "staging")
    wait_until("the swap runs", lambda: swap_running(emulator), first)

    second = start("swap", "-s", "staging")
    loser_code, loser = finish(second)
    winner_code, winner = finish(first)

    assert winner_code == 0, winner
    assert loser_code == 5, loser
    assert "Traceback" not in loser + winner
    assert "swap" in loser.lower()
    assert "in progress" in loser.lower()
    assert "a deployment is already running" not in loser.lower()
    # exactly one swap applied: the new build is live, the previous one held in staging
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")
    rows = status_lines()
    assert rows["production"].startswith("build 20260101.2")
    assert rows["staging"].startswith("build 20260101.1")
    assert "build 20260101.1" in rows["staging"].split(maxsplit=2)[-1]  # and it is held there


@pytest.mark.usefixtures("two_builds")
def test_a_deploy_whose_upload_outlives_a_swap_never_silently_destroys_the_held_build(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The deploy's hold check passes (staging holds nothing yet); while its zip deploy request is on
    the wire another release swaps staging into production, so staging now holds production's
    previous build (20260101.1). The deploy is either refused before Kudu takes the package, or it
    fails loudly (exit 7) naming the build it destroyed; it never ends with exit 0 over it."""
    add_fault(
        emulator, kind="scm", method="POST", path="/api/zipdeploy", latency_ms=6000, passthrough=True, count=1
    )
    package = good_build(tmp_path / "c.zip", "3")
    deploying = start("deploy", "-s", "staging", "--package", str(package), "--build-number", "20260102.3")
    wait_until(
        "the zip deploy request arrives", lambda: not emulator.call(lambda b: b.faults.rules), deploying
    )

    swapped = run("swap", "-s", "staging")
    code, out = finish(deploying)

    assert swapped.exit_code == 0, swapped.output
    assert serving(emulator, "production") == "2"
    assert "Traceback" not in out
    assert code != 0, f"the deploy ended with exit 0 over the held build:\n{out}"
    held_intact = serving(emulator, "staging") == "1"
    if held_intact:  # refused before Kudu took the package: the held build is still there, and held
        assert code in (5, 7), out
        assert "build 20260101.1" in status_lines()["staging"]
    else:  # Kudu deployed over it: the command says so, loudly, naming it
        assert code == 7, out
        assert "20260101.1" in out, f"the destroyed held build is not named:\n{out}"


@pytest.mark.usefixtures("two_builds")
def test_a_deploy_started_while_a_swap_runs_is_refused_saying_a_swap_is_in_progress(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.set_speed(Speed(swap_seconds=4))
    swapping = start("swap", "-s", "staging")
    wait_until("the swap runs", lambda: swap_running(emulator), swapping)

    refused = run("deploy", "-s", "staging", "--package", str(good_build(tmp_path / "c.zip", "3")))
    code, out = finish(swapping)

    assert code == 0, out
    assert refused.exit_code in (5, 7), refused.output
    assert "swap" in refused.output.lower(), refused.output
    assert "a deployment is already running" not in refused.output.lower()
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")  # nothing lost
    assert "build 20260101.1" in status_lines()["staging"]
