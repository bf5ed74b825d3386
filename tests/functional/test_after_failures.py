"""After a permanent failure, the command says what went wrong and `slot status` still tells the truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise_emulator import Emulator, FunctionApp
from tests.functional.deploying import deploy_build, serving
from tests.packages import good_build


def slot(*args: str) -> Result:
    return CliRunner().invoke(cli, ["slot", *args, "-g", "rg-demo", "-n", "func-demo"])


def status(emulator: Emulator) -> dict[str, dict[str, object]]:
    result = slot("status", "-o", "json")
    assert result.exit_code == 0, result.output
    return {entry["slot"]: entry for entry in json.loads(result.stdout)["slots"]}


@pytest.fixture
def two_builds(emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path) -> None:
    deploy_build(emulator, arm_token, tmp_path, "production", "1")
    deploy_build(emulator, arm_token, tmp_path, "staging", "2")


@pytest.mark.usefixtures("two_builds", "slot_env")
@pytest.mark.parametrize(("status_code", "code"), [(403, "AuthorizationFailed"), (404, "NotFound")])
def test_a_refused_deployment_leaves_the_slot_as_it_was(
    emulator: Emulator, tmp_path: Path, status_code: int, code: str
) -> None:
    before = status(emulator)["staging"]["build"]
    requests.post(f"{emulator.arm_url}/_emulator/faults", verify=str(emulator.ca_path), timeout=10,
                  json={"path": "/api/zipdeploy", "kind": "scm", "status": status_code, "code": code,
                        "shape": "kudu", "message": "refused on purpose", "count": None})  # fmt: skip
    result = slot("deploy", "-s", "staging", "--package", str(good_build(tmp_path / "v3.zip", "3")))
    assert result.exit_code == 4
    assert "refused on purpose" in result.output
    assert "Traceback" not in result.output
    assert status(emulator)["staging"]["build"] == before
    assert serving(emulator, "staging") == "2"


@pytest.mark.usefixtures("two_builds", "slot_env")
def test_a_failed_swap_leaves_both_slots_and_no_swap_record(emulator: Emulator) -> None:
    sub = emulator.subscription_id
    emulator.call(
        lambda b: b.web.fail_next_swap(sub, "rg-demo", "func-demo", message="the slot did not warm up")
    )
    result = slot("swap", "-s", "staging")
    assert result.exit_code == 4
    assert "did not warm up" in result.output
    assert "Traceback" not in result.output
    after = status(emulator)
    assert after["production"]["lastSwap"] is None
    assert after["staging"]["hold"] is None
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")
