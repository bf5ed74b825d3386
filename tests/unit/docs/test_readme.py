"""The README's examples stay true: its smoke checks file loads, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from slotwise.cli.main import cli
from slotwise.slots.smoke import load_checks

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_smoke_checks_example_is_a_valid_checks_file(tmp_path: Path) -> None:
    block = re.search(r"```yaml\n(checks:.*?)```", README.read_text(), re.S)
    assert block is not None
    path = tmp_path / "smoke.yaml"
    path.write_text(block.group(1))
    plan = load_checks(path)
    assert [check.name for check in plan.checks] == ["health", "orders answers with its function key"]


def test_every_slot_command_in_the_readme_exists() -> None:
    named = set(re.findall(r"^slotwise slot ([a-z-]+)", README.read_text(), re.M))
    assert named
    for command in named:
        result = CliRunner().invoke(cli, ["slot", command, "--help"])
        assert result.exit_code == 0, f"slotwise slot {command}: {result.output}"
