"""Any inputs of any task end as a task does: one ``task.complete``, exit code 0, never a traceback
or "failed unexpectedly". Each of the four tasks runs in-process (``run_task``, as
``python -m slotwise.agent`` does) against the live emulator with a ServicePrincipal connection and
generated ``INPUT_*`` values: mostly valid ones, so that tasks get far, and every kind of wrong one.
"""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise.agent.__main__ import COMMANDS
from slotwise.agent.inputs import input_variable
from slotwise.agent.runtime import run_task
from slotwise_emulator import Emulator, FunctionApp
from tests import vso
from tests.conftest import ROOT
from tests.functional.deploying import deploy_build
from tests.functional.test_agent_tasks import Agent
from tests.packages import SMOKE_CHECKS, good_build

CONNECTION = "5b0c7a9e-1d2f-4a3b-8c4d-6e7f8a9b0c1d"
FEW = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WRONG = ["", "no-such", "-1", "0", "abc", "nan", "1e400", "x" * 300, "~nobody-at-all/x", "**", "[",
         "true", "line\n##vso[task.setvariable variable=x]y", "Ünïcode"]  # fmt: skip


def valid_values(spec: dict[str, Any], files: dict[str, str]) -> list[str]:
    name, kind = spec["name"], spec.get("type", "string")
    known = {
        "azureSubscription": [CONNECTION],
        "appName": ["func-demo"],
        "resourceGroupName": ["rg-demo"],
        "slotName": ["staging"],
        "sourceSlot": ["staging"],
        "targetSlot": ["staging", "production"],
        "parkSlot": ["park"],
        "package": [files["good"]],
        "checksFile": [files["checks"]],
        "smokeChecksFile": [files["checks"]],
        "checksInline": [SMOKE_CHECKS],
        "smokeChecksInline": [SMOKE_CHECKS],
        "junitFile": [files["junit"]],
        "pythonPath": [""],
        "timeoutMinutes": ["5"],
        "waitTimeoutMinutes": ["0"],
        "holdDays": ["7", "0.5"],
        "concurrency": ["4"],
        "timeoutSeconds": ["", "10"],
    }
    if name in known:
        return known[name]
    if kind == "boolean":
        return ["true", "false"]
    options = list(spec.get("options") or {})
    return [o for o in options if o != "wait"] or [str(spec.get("defaultValue", ""))]


@st.composite
def task_inputs(draw: st.DrawFn, specs: list[dict[str, Any]], files: dict[str, str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for spec in specs:
        roll = draw(st.integers(0, 19))
        if roll == 0 and not spec.get("required"):
            continue  # absent altogether: task.json's default applies
        valid = valid_values(spec, files)
        if roll < 18 or spec["name"] == "mode":  # a guard that waits would wait on the wall clock
            value = draw(st.sampled_from(valid))
        elif roll == 18:
            value = draw(st.sampled_from(WRONG))
        else:
            value = draw(st.text(st.characters(blacklist_characters="\x00"), max_size=12))
        env[input_variable(spec["name"])] = value
    return env


@pytest.fixture
def files(
    tmp_path: Path, emulator: Emulator, function_app: FunctionApp, arm_token: str, slot_env: dict[str, str]
) -> dict[str, str]:
    """func-demo with build 1 in production and 2 in staging; the files tasks are given (the process
    environment trusts the emulator's CA, as an agent's machine trusts Azure's)."""
    deploy_build(emulator, arm_token, tmp_path, "production", "1")
    deploy_build(emulator, arm_token, tmp_path, "staging", "2")
    checks = tmp_path / "checks.yaml"
    checks.write_text(SMOKE_CHECKS, encoding="utf-8")
    (tmp_path / "temp").mkdir()
    return {
        "good": str(good_build(tmp_path / "good.zip", "3")),
        "checks": str(checks),
        "junit": str(tmp_path / "results" / "smoke.xml"),
        "work": str(tmp_path),
    }


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_any_inputs_end_with_one_task_complete_and_exit_0_never_a_traceback(
    command: str, emulator: Emulator, files: dict[str, str]
) -> None:
    task_dir = ROOT / "tasks" / command
    specs = json.loads((task_dir / "task.json").read_text(encoding="utf-8-sig"))["inputs"]
    task = importlib.import_module(COMMANDS[command]).run
    base = {
        **Agent(emulator, Path(files["work"])).endpoints(CONNECTION),
        "REQUESTS_CA_BUNDLE": str(emulator.ca_path),
        "SYSTEM_DEFAULTWORKINGDIRECTORY": files["work"],
        "AGENT_TEMPDIRECTORY": str(Path(files["work"]) / "temp"),
    }

    @FEW
    @given(task_inputs(specs, files))
    def run(inputs: dict[str, str]) -> None:
        out = io.StringIO()
        code = run_task(command, task, task_dir, env={**base, **inputs}, stream=out)
        text = out.getvalue()
        shown = f"{command} {inputs}\n{text}"
        assert code == 0, shown  # the result is task.complete's, Failed or not (docs/tasks-contract.md)
        assert "Traceback" not in text, shown
        assert "failed unexpectedly" not in text, shown
        last = [line for line in text.splitlines() if line.startswith("##vso[task.complete")]
        assert len(last) == 1, shown
        assert not vso.cli_words(text), shown

    run()
