"""``slotwise demo`` tells the whole story and ends with production on the new build."""

from __future__ import annotations

from click.testing import CliRunner

from slotwise.cli.main import cli


def test_demo_swaps_build_2_into_production_and_keeps_build_1_in_staging() -> None:
    result = CliRunner().invoke(cli, ["demo", "--speed", "instant"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    before = lines.index(next(line for line in lines if line.startswith("Swapping")))
    assert any("production" in line and "build 1" in line for line in lines[:before])
    assert any("production" in line and "build 2" in line for line in lines[before:])
    assert any("staging" in line and "build 1" in line for line in lines[before:])
    assert "demo finished" in result.output
