"""The slot-swap task under a failing status poll, as the agent runs it: the same truth as the CLI.

The swap's ``operationresults`` poll fails while the service finishes the swap: the task finds the
outcome out from the slots, records the hold, runs the checks and swaps back a failing build; a checks
file with a mistake fails the task before anything is swapped; when nothing can be read the task fails
saying Azure accepted the swap but its outcome is unknown.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from slotwise_emulator import Emulator, FunctionApp
from tests import vso
from tests.functional.control import add_fault
from tests.functional.deploying import deploy_build, serving
from tests.functional.test_agent_tasks import HEALTH_CHECKS, Agent, agent

__all__ = ["agent"]  # the fixture, shared with test_agent_tasks

POLL = "/operationresults/"
SITE_READS = r"/sites/func-demo(/slots/[a-z]+)?$"


def swaps_started(emulator: Emulator) -> int:
    return emulator.call(lambda b: len(b.web.operations))


@pytest.fixture
def builds(emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path) -> None:
    deploy_build(emulator, arm_token, tmp_path / "raw", "production", "1")
    deploy_build(emulator, arm_token, tmp_path / "raw", "staging", "2")


@pytest.fixture
def broken_staging(emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path) -> None:
    deploy_build(emulator, arm_token, tmp_path / "raw", "production", "1")
    deploy_build(emulator, arm_token, tmp_path / "raw", "staging", "2", broken=True)


@pytest.mark.usefixtures("builds")
@pytest.mark.parametrize(
    "rule",
    [{"status": 404, "code": "NotFound"}, {"status": 409, "code": "Conflict", "shape": "appservice"},
     {"status": 403, "code": "AuthorizationFailed"}],
    ids=["404", "409", "403"],
)  # fmt: skip
def test_a_failing_poll_still_checks_and_holds(
    agent: Agent, emulator: Emulator, rule: dict[str, Any]
) -> None:
    add_fault(emulator, path=POLL, method="GET", count=None, **rule)
    run = agent.run("slot-swap", smokeChecks="inline", smokeChecksInline=HEALTH_CHECKS)
    assert run.exit_code == 0, run.stdout
    assert run.result == "SucceededWithIssues"  # done; the warning says the poll failed, the slots told
    assert any("reading the slots" in w for w in vso.issues(run.stdout, "warning"))
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")
    outputs = run.outputs
    assert outputs["SwapPhase"] == "swapped"
    assert outputs["HeldSlot"] == "staging"
    assert outputs["SmokeResult"] == "passed"
    assert swaps_started(emulator) == 1


@pytest.mark.usefixtures("broken_staging")
def test_a_failing_poll_still_swaps_a_failing_build_back(agent: Agent, emulator: Emulator) -> None:
    add_fault(emulator, path=POLL, method="GET", status=409, code="Conflict", shape="appservice", count=None)
    run = agent.run("slot-swap", smokeChecks="inline", smokeChecksInline=HEALTH_CHECKS)
    assert run.result == "Failed", run.stdout
    assert run.outputs["SwapPhase"] == "rolledBack"
    assert run.outputs["SmokeResult"] == "failed"
    (error,) = run.errors()
    assert "swapped back" in error
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")
    assert swaps_started(emulator) == 2


@pytest.mark.usefixtures("builds")
def test_a_checks_file_with_an_unknown_key_fails_before_the_swap(agent: Agent, emulator: Emulator) -> None:
    checks = "checks:\n  - name: health\n    path: /api/health\n    expct: {status: 200}\n"
    run = agent.run("slot-swap", smokeChecks="inline", smokeChecksInline=checks, rollbackOnFailure="true")
    assert run.result == "Failed", run.stdout
    (error,) = run.errors()
    assert "smokeChecksInline" in error
    assert "expct" in error
    assert swaps_started(emulator) == 0
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("builds")
def test_when_nothing_can_be_read_the_task_says_the_outcome_is_unknown(
    agent: Agent, emulator: Emulator
) -> None:
    """Runs about a minute: the task's clock is real, and its shortest timeout is one minute."""
    add_fault(emulator, path=POLL, method="GET", status=404, code="NotFound", latency_ms=500, count=None)

    def watch() -> None:  # once the first poll is in, every read of the slots fails too
        for _ in range(20000):
            if emulator.call(lambda b: sum(r.hits for r in b.faults.rules if r.path == POLL)):
                add_fault(emulator, path=SITE_READS, method="GET", status=403, code="AuthorizationFailed",
                      count=None)  # fmt: skip
                return
            threading.Event().wait(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    run = agent.run("slot-swap", smokeChecks="inline", smokeChecksInline=HEALTH_CHECKS, timeoutMinutes="1")
    watcher.join(timeout=5)
    assert run.result == "Failed", run.stdout
    (error,) = run.errors()
    assert (
        "Azure accepted the swap of staging with production, but its outcome could not be found out" in error
    )
    assert "then try again" not in run.stdout  # ConflictError's default: a retry would swap back
    assert run.outputs["SwapPhase"] == "unknown"
    assert "outcome unknown" in run.summary()
    assert vso.completion(run.stdout).properties["result"] == "Failed"
    emulator.call(lambda b: b.faults.clear())
    assert serving(emulator, "production") == "2"
    assert swaps_started(emulator) == 1
