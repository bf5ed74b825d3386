"""The emulator is an extra: slotwise runs without it, and the commands that need it say how to get it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

import pytest

ROOT = Path(__file__).resolve().parents[2]
# a Python in which slotwise_emulator cannot be imported, as after `pip install slotwise`
WITHOUT_EMULATOR = (
    "import sys; sys.modules['slotwise_emulator'] = None; from slotwise.cli.main import main; main()"
)


def project(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text())["project"]  # type: ignore[no-any-return]


def test_slotwise_and_its_emulator_are_versioned_together() -> None:
    slotwise = project(ROOT / "pyproject.toml")
    emulator = project(ROOT / "emulator" / "pyproject.toml")
    assert slotwise["version"] == emulator["version"]
    extras = slotwise["optional-dependencies"]
    assert isinstance(extras, dict)
    assert extras["emulator"] == [f"slotwise-emulator=={emulator['version']}"]


@pytest.mark.parametrize("command", [["emulator"], ["demo", "--speed", "instant"]])
def test_a_command_needing_the_emulator_says_how_to_install_it(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_EMULATOR, *command], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 9, result.stderr
    assert "slotwise-emulator" in result.stderr
    assert "pip install 'slotwise[emulator]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_slot_commands_run_without_the_emulator() -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_EMULATOR, "slot", "status", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
