"""The fault matrix through the CLI: each cell of tests/faultmatrix.py's table, one emulator each.

A cell puts the app into its scenario's starting state, injects the fault on the call, runs the
command, then (the fault removed) asks ``slot status -o json`` and what every slot serves: the
outcome must be the one promised, and the status must tell the truth. Every cell is written to
build/reports/fault-matrix.md (section "CLI") at the end of the session.
"""

from __future__ import annotations

import pytest

from tests.faultmatrix import (
    CALLS,
    Cell,
    MatrixReport,
    World,
    cell_params,
    fill,
    matrix_report,
    prepare,
    run_cli,
    settle,
    status_json,
    verdict,
)

__all__ = ["matrix_report"]  # the session fixture that writes the report


@pytest.mark.parametrize("cell", cell_params())
def test_cell(cell: Cell, world: World, matrix_report: MatrixReport) -> None:
    prepare(world, cell.scenario.start, run_cli)
    before = world.counts()
    world.fault(cell.fault.rule(cell.call))
    outcome = run_cli(tuple(fill(arg, world) for arg in cell.scenario.args))
    settle(cell)
    counts, fired = world.counts() - before, world.fired()
    world.clear_faults()
    status = run_cli(("status", "-o", "json"))
    assert status.exit == 0, status.output
    problems = verdict(cell, world, outcome, status_json(status.stdout), counts, fired=fired, task=False)
    matrix_report.add("CLI", cell, not problems, "; ".join(problems))
    assert not problems, "\n".join([*problems, "--- output:", outcome.output])


def test_every_call_of_the_matrix_is_made_by_a_command() -> None:
    """Each row names the commands that make its call, so each is faulted under them (a row no
    command makes would fault nothing: give it its commands, or drop it)."""
    assert CALLS
    orphans = [c.name for c in CALLS if not c.scenarios]
    assert not orphans, f"rows no command makes: {orphans}"
