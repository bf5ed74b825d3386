"""Remote text cannot steer a pipeline: an error message from ARM (either body shape) or from Entra ID
(an ``AADSTS...`` sign-in error, through azure-identity) that carries a logging command reaches the
CLI's output and the tasks' output as readable text, never as a live ``##vso[`` command.

The agent finds ``##vso[`` anywhere in a line, also in the output of a ``script:`` step running the
CLI, so every line of what was printed is searched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from slotwise.cli.main import cli
from slotwise_emulator import Emulator, FunctionApp
from tests import vso
from tests.functional.control import add_fault
from tests.functional.test_agent_tasks import Agent

INJECTED = "##vso[task.setvariable variable=pwned]yes"
LIVE = "##vso[task.setvariable variable=pwned"
READABLE = "Refused on purpose"
# A GET of the app or of one of its slots (every command and task reads the slot first).
SITE_GET = r"/sites/func-demo(/slots/[^/]+)?$"

FAULTS: dict[str, dict[str, Any]] = {
    "arm shape": {"path": SITE_GET, "method": "GET", "kind": "arm", "status": 400, "shape": "arm",
                  "code": "BadRequest", "message": f"{READABLE}.\n{INJECTED}\r\n##[error]fake"},
    "app service shape": {"path": SITE_GET, "method": "GET", "kind": "arm", "status": 400,
                          "shape": "appservice", "code": "BadRequest",
                          "message": f"{READABLE}.\n{INJECTED}\n##[error]fake"},
    "sign-in error": {"path": "/token$", "kind": "login", "status": 401, "shape": "aad",
                      "code": "invalid_client",
                      "message": f"AADSTS7000215: {READABLE}.\n{INJECTED}\n##[error]fake"},
}  # fmt: skip
EXIT_CODES = {"arm shape": 4, "app service shape": 4, "sign-in error": 3}


def issued_secrets(emulator: Emulator) -> list[str]:
    """Every secret the emulator issued (client secrets, keys, tokens), as test_story searches them."""
    issued = requests.get(
        f"{emulator.arm_url}/_emulator/secrets", verify=str(emulator.ca_path), timeout=10
    ).json()
    return [s for s in (*issued["clientSecrets"], *issued["keys"], *issued["tokens"]) if s]


def assert_inert(output: str) -> None:
    """No line of ``output`` carries the injected command (nor a formatting command) live."""
    live = [line for line in output.splitlines() if LIVE in line or "##[error]fake" in line]
    assert not live, f"live logging commands: {live}"
    assert "pwned" not in {c.properties.get("variable") for c in vso.parse(output)}
    assert READABLE in output  # the service's words are still there to read
    assert "Traceback" not in output


@pytest.mark.usefixtures("slot_env", "function_app")
@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_cli_prints_remote_error_text_inert(emulator: Emulator, fault: str) -> None:
    add_fault(emulator, **FAULTS[fault], count=None)
    result = CliRunner().invoke(cli, ["slot", "status", "-g", "rg-demo", "-n", "func-demo"])
    assert result.exit_code == EXIT_CODES[fault], result.output
    assert_inert(result.output)
    error = next(line for line in result.output.splitlines() if line.startswith("error: "))
    assert READABLE in error  # one line says what Azure said
    leaked = [s for s in issued_secrets(emulator) if s in result.output]
    assert not leaked, "a secret the emulator issued was printed"


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_task_prints_remote_error_text_inert(
    emulator: Emulator, function_app: FunctionApp, tmp_path: Path, fault: str
) -> None:
    add_fault(emulator, **FAULTS[fault], count=None)
    run = Agent(emulator, tmp_path).run("guard-against-overwrite")  # asserts no secret was printed
    assert run.result == "Failed", run.stdout
    assert_inert(run.stdout + run.stderr)
    (error,) = run.errors()
    assert READABLE in error
