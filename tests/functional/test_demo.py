"""``slotwise demo`` tells the whole story with slotwise's own commands and every step checks out."""

from __future__ import annotations

from click.testing import CliRunner

from slotwise.cli.main import cli


def test_demo_runs_the_story_to_a_rollback() -> None:
    result = CliRunner().invoke(cli, ["demo", "--speed", "instant"])
    assert result.exit_code == 0, result.output
    served = [line for line in result.output.splitlines() if "serving now:" in line]
    assert "production = build 2, staging = build 1" in served[1]  # build 2 went live, build 1 held
    assert "production = build 4" in served[-2]  # the fix went live
    assert "production = build 2, staging = build 4" in served[-1]  # rolled back
    assert "(exit code 7, as intended)" in result.output  # the guard refused to destroy build 1
    assert "(exit code 8, as intended)" in result.output  # the broken build failed its smoke checks
    assert "demo finished" in result.output
