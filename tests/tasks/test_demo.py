"""``slotwise demo`` tells the article's story through releases, on the emulated Node agent running the
built .vsix's tasks, checks every step, and says why when one does not go as told.

The agent's tools directory is shared by the tests of this module (as scripts/demo keeps it in
.demo-cache/), so only the first demo sets slotwise up on the agent, from the offline wheelhouse.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from tests.tasks.shimkit import NODE, NODE_MISSING

pytestmark = [
    pytest.mark.skipif(NODE is None, reason=NODE_MISSING),
    pytest.mark.skipif(sys.platform == "win32", reason="the emulated agent runs tasks as a Linux agent does"),
]

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "templates" / "release"


@pytest.fixture(scope="module")
def agent_tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-agent-tools")


def demo_args(vsix: Path, wheelhouse: Path, agent_tools: Path, *more: str) -> list[str]:
    return ["demo", "--extension", str(vsix), "--wheelhouse", str(wheelhouse),
            "--agent-tools", str(agent_tools), "--spec", str(SPEC), *more]  # fmt: skip


def run_demo(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_demo_tells_the_story_through_releases(vsix: Path, wheelhouse: Path, agent_tools: Path) -> None:
    result = run_demo(*demo_args(vsix, wheelhouse, agent_tools))
    out = result.output
    assert result.exit_code == 0, out
    assert "Traceback" not in out
    checked = [line.split("serving now: ")[1] for line in out.splitlines() if "✓ serving now:" in line]
    assert checked == [
        "production = build 0, staging = build none",
        "production = build 0, staging = build 1",  # build 1 staged, Production waits
        "production = build 1, staging = build 0",  # approved: live, staging holds the rollback build
        "production = build 1, staging = build 2, park = build 0",  # the guard parked build 0
        "production = build 2, staging = build 1, park = build 0",
        "production = build 1, staging = build 2, park = build 0",  # rolled back
        "production = build 1, staging = build 3, park = build 0",  # broken build 3 stopped in staging
    ]
    # the approver's screen, through `slotwise approvals show`
    assert "--- slotwise: deployed build 1 to func-orders/staging ---" in out
    assert "Approved approval" in out
    assert "GET production/api/orders → 500" in out  # build 2's bug, found in production
    assert "GET production/api/orders → 200" in out  # build 1 again, after the rollback
    assert "Release-3 failed: stage Staging's deployment failed" in out
    assert "No approval is waiting." in out
    table = out[out.index("slot         build served") :].splitlines()
    assert [line.split() for line in table[1:4]] == [["production", "1"], ["staging", "3"], ["park", "0"]]
    assert "demo finished: every step went as told" in out


def test_a_step_that_does_not_go_as_told_ends_the_demo_with_the_reason(
    vsix: Path, wheelhouse: Path, agent_tools: Path
) -> None:
    result = run_demo(*demo_args(vsix, wheelhouse, agent_tools, "--broken-build", "1"))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (reason,) = [line for line in result.output.splitlines() if line.startswith("error: The demo went wrong")]
    assert "at the release of build 1, Staging" in reason
    assert "exited 12, the story expects 11" in reason
    assert "stage Production is notStarted at no step, the story expects inProgress at preApproval" in reason
    assert "stage Staging is rejected" in reason
    assert "hint: Its logs: slotwise release logs 1" in result.output
    assert "demo finished" not in result.output
    assert "approver$" not in result.output  # nobody was asked to approve a build that failed


def test_keep_leaves_the_emulator_running_to_explore(
    vsix: Path, wheelhouse: Path, agent_tools: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    with subprocess.Popen(
        [sys.executable, "-m", "slotwise.cli.main", *demo_args(vsix, wheelhouse, agent_tools, "--keep")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    ) as demo:  # fmt: skip
        assert demo.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not any("Press Ctrl-C" in line for line in lines):
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line)
        said = "".join(lines)
        assert "Press Ctrl-C to stop." in said, said
        (env_file,) = re.findall(r"set -a; \. (\S+); set \+a", said)
        assert "slotwise release status --definition orders-api" in said
        assert "az cloud register -n SlotwiseEmulator" in said
        # the emulator still answers, through the env file, as a user's other shell would use it
        variables = dict(line.split("=", 1) for line in Path(env_file).read_text().splitlines())
        status = subprocess.run(
            [sys.executable, "-m", "slotwise.cli.main", "release", "status", "--definition", "orders-api"],
            env={**env, **variables}, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert status.returncode == 0, status.stdout + status.stderr
        assert "Release-3" in status.stdout
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, rest
    assert "emulator stopped" in rest
    assert not Path(env_file).exists()  # it held a client secret: gone with the demo
