"""The README's release spec example is a valid spec, and its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from slotwise.cli.main import cli
from slotwise.release.load import parse_specs

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_spec_is_valid_and_is_the_article_flow() -> None:
    block = re.search(r"```yaml\n(name: orders-api\n.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block is not None
    (definition,) = parse_specs(block.group(1), "README.md").definitions
    assert [stage.name for stage in definition.stages] == ["Staging", "Production"]
    assert [step.task.key for step in definition.stages[0].steps] == [
        "guard-against-overwrite",
        "deploy-to-slot",
        "smoke-test",
    ]
    assert [step.task.key for step in definition.stages[1].steps] == ["slot-swap"]


def test_every_release_command_in_the_readme_exists() -> None:
    named = set(re.findall(r"^slotwise release ([a-z-]+)", README.read_text(encoding="utf-8"), re.M))
    assert named == {
        "validate",
        "render",
        "plan",
        "apply",
        "export",
        "--print-schema",
        "start",
        "status",
        "logs",
    }
    for command in named - {"--print-schema"}:
        result = CliRunner().invoke(cli, ["release", command, "--help"])
        assert result.exit_code == 0, f"slotwise release {command}: {result.output}"
