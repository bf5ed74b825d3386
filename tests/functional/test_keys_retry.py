"""Reading keys (POST .../host/default/listkeys, .../functions/{f}/listkeys) changes nothing, so a
connection dropped on the way is retried like a GET: the smoke checks that needed the key still run."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from slotwise.cli.main import cli
from slotwise_emulator import Emulator, FunctionApp
from tests.functional.control import add_fault, faults
from tests.functional.deploying import deploy_build

CHECKS = """\
checks:
  - name: hello with its function key
    function: hello
    expect: {status: 200}
  - name: hello with the master key
    function: hello
    auth: master
    expect: {status: 200}
"""


@pytest.mark.usefixtures("slot_env")
@pytest.mark.parametrize(
    ("path", "drop"),
    [
        ("/functions/hello/listkeys$", "drop"),
        ("/host/default/listkeys$", "drop"),
        ("/functions/hello/listkeys$", "drop_after"),
        ("/host/default/listkeys$", "drop_after"),
    ],
)
def test_a_dropped_listkeys_is_retried(
    emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path, path: str, drop: str
) -> None:
    deploy_build(emulator, arm_token, tmp_path, "staging", "2")
    checks = tmp_path / "checks.yaml"
    checks.write_text(CHECKS, encoding="utf-8")
    rule = {"path": path, "method": "POST", "kind": "arm", drop: True, "count": 1}
    add_fault(emulator, **rule)
    result = CliRunner().invoke(
        cli, ["slot", "smoke", "-g", "rg-demo", "-n", "func-demo", "-s", "staging", "--checks", str(checks)]
    )
    assert result.exit_code == 0, result.output
    assert faults(emulator) == []  # the drop happened (a count-1 rule is gone once it fired)
