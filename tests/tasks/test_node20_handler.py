"""The shim under the Node20_1 handler's contract: what the oldest agent the tasks allow (3.232.1,
which does not know Node24) gives the process, and what it does with the exit code.

From microsoft/azure-pipelines-agent at v3.232.1 (docs/tasks-contract.md has the details): the agent
picks ``execution.Node20_1`` of task.json and runs ``<agent>/externals/node20_1/bin/node
"<taskDir>/<target>"`` (Node 20; ``argumentFormat`` is not used), in ``System.DefaultWorkingDirectory``,
with its own environment plus every job variable (``agent.ToolsDirectory`` as ``AGENT_TOOLSDIRECTORY``
...; secret ones only as ``SECRET_<NAME>``, with ``VSTS_PUBLIC_VARIABLES`` / ``VSTS_SECRET_VARIABLES``
listing the names), ``INPUT_<NAME>`` for every input, ``ENDPOINT_*`` and ``TF_BUILD=True``; stdin a
pipe closed at once; any exit code but 0 is an infrastructure failure.

Each task folder is staged from its real task.json with the stand-in ``slotwise`` wheel (its
``slotwise.agent`` reports what it was given) and run with this machine's Node 20.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.tasks.handlers import env_name, handler_for
from tests.tasks.shimkit import (
    NODE,
    NODE_MISSING,
    ROOT,
    SHIM,
    STANDIN_VERSION,
    Agent,
    assert_reported_failure,
    run_shim,
    stage_task,
)

pytestmark = [
    pytest.mark.skipif(NODE is None, reason=NODE_MISSING),
    pytest.mark.skipif(sys.platform == "win32", reason="runs the shim as a Linux agent does"),
]

AGENT = "3.232.1"  # the tasks' minimumAgentVersion
FOLDERS = sorted(p.parent.name for p in (ROOT / "tasks").glob("*/task.json"))
_MACRO = re.compile(r"\$\(([^)]+)\)")


@pytest.fixture(scope="module")
def node20() -> str:
    """This machine's node, if it is Node 20: the runtime of the agent's Node20_1 handler."""
    assert NODE is not None
    version = subprocess.run([NODE, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if not version.startswith("v20."):
        pytest.skip(f"the Node20_1 handler runs Node 20; this machine's node is {version}")
    return NODE


def task_json(folder: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "tasks" / folder / "task.json").read_text(encoding="utf-8-sig"))
    return data


def handler_env(agent: Agent, definition: dict[str, Any], **extra: str) -> dict[str, str]:
    """The environment the Node20_1 handler of agent 3.232.1 gives the task: the agent's own, the job's
    variables (public ones by name, listed in VSTS_PUBLIC_VARIABLES; a secret one as SECRET_<NAME>),
    INPUT_<NAME> for every input (its default, macros expanded), TF_BUILD."""
    variables = {
        "agent.ToolsDirectory": str(agent.tools),
        "agent.TempDirectory": str(agent.work / "_temp"),
        "agent.Version": AGENT,
        "system.DefaultWorkingDirectory": str(agent.cwd),
        "system.debug": "false",
        "build.BuildNumber": "20260101.7",
    }
    env = agent.env(**{env_name(name): value for name, value in variables.items()})
    env["VSTS_PUBLIC_VARIABLES"] = json.dumps(sorted(variables))
    env["SECRET_SLOTWISE_TOKEN"] = "s3cr3t"
    env["VSTS_SECRET_VARIABLES"] = json.dumps(["slotwise.token"])
    for spec in definition["inputs"]:
        default = (
            str(spec.get("defaultValue", "")).lower()
            if isinstance(spec.get("defaultValue"), bool)
            else str(spec.get("defaultValue", ""))
        )
        env["INPUT_" + env_name(spec["name"])] = _MACRO.sub(
            lambda m: env.get(env_name(m.group(1)), m.group(0)), default
        )
    env["TF_BUILD"] = "True"
    env.update(extra)
    return env


@pytest.mark.parametrize("folder", FOLDERS)
def test_agent_3_232_1_runs_each_task_s_node20_1_target_under_node_20(
    folder: str, node20: str, standin: Path, standin_agent: Agent, tmp_path: Path
) -> None:
    definition = task_json(folder)
    handler = handler_for(definition, AGENT)
    assert handler == "Node20_1"
    spec = definition["execution"][handler]
    assert spec.get("argumentFormat", "") == ""  # a Node handler passes no arguments: nothing is lost
    task = stage_task(tmp_path / folder, standin, "", task_json=definition)
    target = task / spec["target"]
    assert target.read_bytes() == SHIM.read_bytes()
    report = tmp_path / "report.json"
    env = handler_env(standin_agent, definition, STANDIN_REPORT=str(report), STANDIN_STDIN="1")
    result = subprocess.run(
        [node20, str(target)],
        env=env,
        cwd=standin_agent.cwd,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(report.read_text())
    assert seen["argv"][1:] == [folder, str(task)]  # the command is the folder's (docs/tasks-contract.md)
    assert seen["cwd"] == str(standin_agent.cwd)
    assert seen["env"] == env  # INPUT_*, SECRET_*, the variable lists, TF_BUILD: all untouched
    assert seen["stdin"] == ""  # the agent's closed stdin reaches slotwise as end of input, nothing waits
    assert seen["prefix"] == str(standin_agent.venv_dir(STANDIN_VERSION))
    assert "s3cr3t" not in result.stdout + result.stderr


def test_a_failed_result_reported_by_slotwise_leaves_exit_code_0_to_the_agent(
    node20: str, task: Path, standin_agent: Agent
) -> None:
    """What slotwise.agent does after task.complete result=Failed (exit 0) reaches the agent as is: no
    "Exit code N returned from process" error beside the task's own."""
    env = standin_agent.env(STANDIN_MODE="complete:Failed")
    result = run_shim(task, env, standin_agent.cwd, node=node20)
    assert_reported_failure(result)
    assert "stand-in says Failed" in result.stdout


def test_the_shim_s_own_failure_is_reported_once_and_exits_0(
    node20: str, task: Path, standin_agent: Agent, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-python"
    result = run_shim(task, standin_agent.env(INPUT_PYTHONPATH=str(missing)), standin_agent.cwd, node=node20)
    assert_reported_failure(result)
    assert "slotwise could not start: the task input pythonPath" in result.stdout


@pytest.fixture
def task(tmp_path: Path, standin: Path, standin_agent: Agent) -> Path:
    return stage_task(tmp_path / "task", standin, "")
