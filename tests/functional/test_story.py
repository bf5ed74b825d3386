"""The whole story of the seed article, through slotwise's CLI only, against the emulator.

Deploy v1 to staging, smoke it, swap it live; v2 is refused by the guard (staging holds v1's
predecessor, production's previous build); park it, deploy v2, smoke, swap; roll back. The slot
contents are asserted after every step by asking each slot's own Functions host which build it
serves. A broken build fails its smoke checks and never reaches production. No secret the emulator
issued appears anywhere in what slotwise printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise_emulator import Emulator, FunctionApp
from tests.functional.deploying import deploy_build, serving
from tests.packages import SMOKE_CHECKS, broken_build, good_build

CHECKS = SMOKE_CHECKS


class Story:
    """Runs slotwise commands like a person would and keeps everything they printed."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.printed: list[str] = []
        self.checks = tmp_path / "checks.yaml"
        self.checks.write_text(CHECKS)

    def slot(self, *args: str, expect: int = 0) -> Result:
        result = CliRunner().invoke(cli, ["slot", *args, "-g", "rg-demo", "-n", "func-demo"])
        self.printed.append(result.output)
        assert result.exit_code == expect, result.output
        assert "Traceback" not in result.output
        return result

    def package(self, version: str, *, broken: bool = False) -> str:
        path = self.tmp_path / f"build-{version}.zip"
        (broken_build if broken else good_build)(path, version)
        return str(path)


@pytest.mark.usefixtures("slot_env")
def test_the_whole_story(
    emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path
) -> None:
    story = Story(tmp_path)
    deploy_build(emulator, arm_token, tmp_path, "production", "0")  # what production ran before slotwise

    def slots() -> tuple[str, str]:
        return serving(emulator, "production"), serving(emulator, "staging")

    story.slot("deploy", "-s", "staging", "--package", story.package("1"), "--build-number", "1")
    assert slots() == ("0", "1")
    story.slot("smoke", "-s", "staging", "--checks", str(story.checks))
    story.slot("swap", "-s", "staging")
    assert slots() == ("1", "0")

    refused = story.slot(
        "deploy", "-s", "staging", "--package", story.package("2"), "--build-number", "2", expect=7
    )
    assert "holds" in refused.output
    assert slots() == ("1", "0")  # nothing was destroyed

    story.slot("guard", "-s", "staging", "--mode", "park", "--create-park-slot")
    assert serving(emulator, "park") == "0"  # the rollback build is kept, in the park slot
    story.slot("deploy", "-s", "staging", "--package", story.package("2"), "--build-number", "2")
    assert slots() == ("1", "2")
    story.slot("smoke", "-s", "staging", "--checks", str(story.checks))
    story.slot("swap", "-s", "staging")
    assert slots() == ("2", "1")

    story.slot("rollback")
    assert slots() == ("1", "2")

    status = story.slot("status")
    assert "staging" in status.output
    assert "production" in status.output

    # a broken build fails its smoke checks and never reaches production
    story.slot("release-hold", "-s", "staging")
    story.slot("deploy", "-s", "staging", "--package", story.package("3", broken=True), "--build-number", "3")
    story.slot("smoke", "-s", "staging", "--checks", str(story.checks), expect=8)
    assert serving(emulator, "production") == "1"
    story.slot(
        "swap", "-s", "staging", "--smoke-checks", str(story.checks), "--rollback-on-failure", expect=8
    )
    assert serving(emulator, "production") == "1"

    issued = requests.get(
        f"{emulator.arm_url}/_emulator/secrets", verify=str(emulator.ca_path), timeout=10
    ).json()
    secrets = [*issued["clientSecrets"], *issued["keys"], *issued["tokens"]]
    assert secrets
    everything = "\n".join(story.printed)
    leaked = [s for s in secrets if s in everything]
    assert not leaked, "secrets appeared in slotwise's output"
