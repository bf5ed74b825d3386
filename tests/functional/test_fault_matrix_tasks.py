"""The fault matrix through the pipeline tasks: the cells of the swap, deploy, smoke and guard tasks.

Each task runs in this process as the agent runs it (``slotwise.agent.runtime.run_task`` with the
environment the agent builds: tests/functional/test_agent_tasks.py ``Agent``), on a FastClock. A
task exits 0 and says Failed or not in its one task.complete: the cell compares whether it failed,
the error issue's words, the slots and ``slot status``. Slow answers are left to the CLI face (their
timeout is an environment setting of the CLI). Every cell is written to
build/reports/fault-matrix.md (section "tasks").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slotwise_emulator import Emulator, FunctionApp
from tests.faultmatrix import (
    Cell,
    MatrixReport,
    World,
    cell_params,
    matrix_report,
    prepare,
    run_cli,
    run_task,
    status_json,
    verdict,
)

__all__ = ["matrix_report"]  # the session fixture that writes the report


@pytest.fixture
def world(
    emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path, slot_env: dict[str, str]
) -> World:
    return World(emulator, arm_token, tmp_path)


@pytest.mark.parametrize("cell", cell_params(task_face=True))
def test_cell(cell: Cell, world: World, tmp_path: Path, matrix_report: MatrixReport) -> None:
    task = cell.scenario.task
    assert task is not None
    prepare(world, cell.scenario.start, run_cli)
    before = world.counts()
    world.fault(cell.fault.rule(cell.call))
    outcome = run_task(world, task, tmp_path / "agent")
    counts, fired = world.counts() - before, world.fired()
    world.clear_faults()
    status = run_cli(("status", "-o", "json"))
    assert status.exit == 0, status.output
    problems = verdict(cell, world, outcome, status_json(status.stdout), counts, fired=fired, task=True)
    matrix_report.add("tasks", cell, not problems, "; ".join(problems))
    assert not problems, "\n".join([*problems, "--- output:", outcome.output])
