"""Invariants of issue 7, checked after commands run under faults from the fault matrix's table.

(a) With --rollback-on-failure, a build whose smoke checks fail does not stay in production: after
    the swap, whatever failed, production serves the previous build, unless the command said the
    outcome is unknown (exit 10): then it could not know, and said so.
(b) A held build (production's previous one, the rollback) is never overwritten without
    --allow-overwrite, or else the command fails loudly (exit 7) naming it, whatever fails while the
    guard reads the slot (the calls after it are never made: the guard refuses first; a deploy
    racing a swap is the concurrency tests' business); parking it never loses it.
(c) ``slot status`` tells the truth: what it says each slot runs is what the slot serves, and the
    holds it shows are where the rollback build is. Under a fault it tells the truth or fails clearly.

Every run is followed (the fault removed) by ``slot status -o json`` and a look at what each slot
serves. The faults are the matrix's persistent ones, and the ones where the service acted anyway.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.faultmatrix import (
    CALLS,
    DEPLOY,
    FAULTS,
    PARK,
    STATUS,
    SWAP,
    Call,
    Fault,
    World,
    fill,
    prepare,
    run_cli,
    slot_truth,
    status_json,
)

HARSH = ("503 always", "drop always", "drop_after x1", "drop_after always", "409 always", "401 always")


def cases(scenario: object) -> list[Any]:
    """The harsh faults (persistent, or the service acting unheard) on every call ``scenario``
    makes; drop_after only where the call changes something (on a read it is drop)."""
    return [
        pytest.param(call, fault, id=f"{call.name} | {fault.column}")
        for call in CALLS
        if scenario in call.scenarios and call.kind != "login"  # no token: nothing happens at all
        for fault in FAULTS
        if fault.column in HARSH and (fault.key != "drop_after" or call.role == "change")
    ]


def truthful_status(world: World) -> dict[str, Any]:
    """``slot status -o json`` with no fault; it must agree with what each slot serves."""
    world.clear_faults()
    result = run_cli(("status", "-o", "json"))
    assert result.exit == 0, result.output
    status = status_json(result.stdout)
    assert slot_truth(world, status) == []
    return status


def held(status: dict[str, Any]) -> dict[str, str]:
    return {e["slot"]: e["hold"]["build"] for e in status["slots"] if e.get("hold")}


# ---- (a) ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "fault"), cases(SWAP))
def test_a_failing_build_does_not_stay_in_production(world: World, call: Call, fault: Fault) -> None:
    world.put("production", "1")
    world.put("staging", "2", broken=True)
    world.fault(fault.rule(call))
    result = run_cli(tuple(fill(arg, world) for arg in SWAP.args))
    assert "Traceback" not in result.output
    assert result.exit != 0, result.output  # the checks fail, or something else did
    truthful_status(world)
    if result.exit != 10:
        assert world.serving("production") == "1", f"exit {result.exit}: {result.error}"


# ---- (b) ----------------------------------------------------------------------------------------------
def held_staging(world: World) -> None:
    """Production 2, staging 1 after a swap by another tool: staging holds build 1."""
    prepare(world, "held, park slot", run_cli)
    assert held(truthful_status(world)) == {"staging": "build 1"}


@pytest.mark.parametrize(("call", "fault"), [c for c in cases(DEPLOY) if c.values[0].role == "read"])
def test_a_held_build_is_not_deployed_over(world: World, call: Call, fault: Fault) -> None:
    held_staging(world)
    world.fault(fault.rule(call))
    result = run_cli(tuple(fill(arg, world) for arg in DEPLOY.args))
    assert "Traceback" not in result.output
    truthful_status(world)
    assert result.exit != 0, result.output  # held, and no --allow-overwrite: never a success
    if world.serving("staging") != "1":  # build 1 is gone: only a loud failure naming it will do
        assert result.exit == 7, f"build 1 destroyed, exit {result.exit}: {result.error}"
        assert "build 1" in result.error


@pytest.mark.parametrize(("call", "fault"), cases(PARK))
def test_parking_never_loses_the_held_build(world: World, call: Call, fault: Fault) -> None:
    held_staging(world)
    world.fault(fault.rule(call))
    result = run_cli(tuple(fill(arg, world) for arg in PARK.args))
    assert "Traceback" not in result.output
    status = truthful_status(world)
    where = [slot for slot in ("staging", "park") if world.serving(slot) == "1"]
    assert len(where) == 1, "build 1 is served by no slot any more"
    if result.exit == 0:
        assert held(status) == {where[0]: "build 1"}
    else:
        assert result.error  # a failure says what failed


# ---- (c) ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "fault"), cases(STATUS))
def test_status_under_a_fault_tells_the_truth_or_fails_clearly(
    world: World, call: Call, fault: Fault
) -> None:
    prepare(world, "swapped", run_cli)
    world.fault(fault.rule(call))
    result = run_cli(("status", "-o", "json"))
    assert "Traceback" not in result.output
    if result.exit == 0:
        status = status_json(result.stdout)
        world.clear_faults()
        assert slot_truth(world, status) == []
        assert held(status) == {"staging": "build 1"}
    else:
        assert result.error, result.output  # a failure says what failed
    truthful_status(world)
