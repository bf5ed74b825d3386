"""The article's story told through releases only, on the emulated Azure DevOps and its Node agent.

The built .vsix is installed in the seeded organization, ``templates/release/`` is applied with
``slotwise release apply``, and from then on nothing but builds and approvals happens, as in a real
organization: a completed build of orders-api-CI triggers a release (continuous deployment); its
Staging stage runs the extension's tasks on the emulated agent (``node shim.js`` → slotwise, set up
from an offline wheelhouse), which guard, deploy and smoke-test func-orders/staging through the
emulated ARM with the job's workload identity; Production waits for an approver, who approves with
``slotwise approvals approve``; the swap runs. After each step the test asks each slot's own
Functions host which build it serves.

  build 1 → staging serves v1, production still v0, Production waits → approved → v1 live;
  build 2 → staging holds v0 (production's previous build): the guard parks it, v2 (with a timer
            function) is deployed and smoke-tested; the approver's screen shows what a swap would
            change (the timer runs in staging too) → approved → v2 live;
  build 3 (broken) → its smoke test fails, Staging fails, Production never waits for anyone.

Nothing any task printed (the release's logs, read through the Release API) shows a secret the
emulator issued.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise_emulator import Emulator, Speed
from slotwise_emulator.agent.job import AgentSettings
from tests.conftest import watch
from tests.functional.deploying import deploy_build, serving
from tests.functional.devops_org import ROOT, devops_env
from tests.packages import SMOKE_CHECKS, broken_build, good_build
from tests.tasks.agentkit import issued_secrets
from tests.tasks.shimkit import NODE, NODE_MISSING

pytestmark = [
    pytest.mark.skipif(NODE is None, reason=NODE_MISSING),
    pytest.mark.skipif(sys.platform == "win32", reason="the emulated agent runs tasks as a Linux agent does"),
]

ORG, PROJECT, BUILD = "contoso", "Fabrikam", "orders-api-CI"
GROUP, APP = "rg-orders", "func-orders"
OPS = "ops@contoso.com"  # a member of [Fabrikam]\Release Approvers (CD releases are created by lead@)
SETTLE_SECONDS = 300  # the first job sets slotwise up on the agent (offline, from the wheelhouse)


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The seeded emulator (organization contoso, func-orders with staging), swept for secrets."""
    with Emulator(speed=Speed.instant(), seed=True) as emu:
        keep = watch(request.node, emu)
        yield emu
        keep()


class Organization:
    """What people do in the organization: builds complete, approvers approve; and what the test
    reads back (releases, stages, what each slot serves)."""

    def __init__(self, emulator: Emulator, tmp_path: Path) -> None:
        self.emulator = emulator
        self.tmp_path = tmp_path
        self.env = devops_env(emulator)
        self.printed: list[str] = []

    def slotwise(self, *args: str, user: str | None = None, expect: int = 0) -> Result:
        env = dict(self.env)
        if user is not None:
            env["AZURE_DEVOPS_EXT_PAT"] = self.emulator.issue_pat(ORG, user)
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
        self.printed.append(result.output)
        assert result.exit_code == expect, result.output
        assert "Traceback" not in result.output
        return result

    def build(self, number: str, *, broken: bool = False, triggers: tuple[str, ...] = ()) -> int:
        """A completed build of orders-api-CI whose artifact ``drop`` holds the app (with non-HTTP
        functions of ``triggers``) and its checks."""
        path = self.tmp_path / f"orders-{number}.zip"
        package = broken_build(path, number) if broken else good_build(path, number, triggers=triggers)
        made = self.emulator.complete_build(
            ORG,
            PROJECT,
            BUILD,
            build_number=number,
            artifacts={
                "drop": {"orders.zip": package.read_bytes(), "smoke-checks.yaml": SMOKE_CHECKS.encode()}
            },
        )
        return made.id

    def release(self, number: int) -> dict[str, Any]:
        found = [r for r in self.emulator.releases(ORG, PROJECT) if r["name"] == f"Release-{number}"]
        assert len(found) == 1, [r["name"] for r in self.emulator.releases(ORG, PROJECT)]
        return found[0]

    def stages(self, number: int) -> dict[str, dict[str, Any]]:
        return {s["name"]: s for s in self.release(number)["stages"]}

    def settle(
        self, number: int, done: Callable[[dict[str, dict[str, Any]]], bool]
    ) -> dict[str, dict[str, Any]]:
        """Wait (real time: the agent runs processes) until release ``number``'s stages satisfy ``done``."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            if any(r["name"] == f"Release-{number}" for r in self.emulator.releases(ORG, PROJECT)):
                stages = self.stages(number)
                if done(stages):
                    return stages
            time.sleep(0.2)
        raise AssertionError(f"Release-{number} did not settle: {self.logs(number)}")

    def logs(self, number: int) -> str:
        result = CliRunner().invoke(cli, ["release", "logs", str(self.release(number)["id"])], env=self.env)
        return result.output

    def approve(self, number: int) -> None:
        waiting = json.loads(self.slotwise("approvals", "list", "--mine", "-o", "json", user=OPS).output)
        mine = [a["id"] for a in waiting if a["release"]["name"] == f"Release-{number}"]
        assert len(mine) == 1, waiting
        self.slotwise("approvals", "approve", str(mine[0]), "--comment", "smoke tests green", user=OPS)

    def serving(self) -> dict[str, str]:
        return {
            slot: serving(self.emulator, slot, group=GROUP, app=APP) for slot in ("production", "staging")
        }


def waiting_for_approval(stages: dict[str, dict[str, Any]]) -> bool:
    return stages["Staging"]["status"] == "succeeded" and stages["Production"]["step"] == "preApproval"


def production_done(stages: dict[str, dict[str, Any]]) -> bool:
    return stages["Production"]["status"] in ("succeeded", "partiallySucceeded", "failed", "rejected")


def staging_done(stages: dict[str, dict[str, Any]]) -> bool:
    return stages["Staging"]["status"] in (
        "succeeded",
        "partiallySucceeded",
        "failed",
        "rejected",
        "canceled",
    )


def test_the_article_through_releases_only(
    emulator: Emulator, vsix: Path, wheelhouse: Path, arm_token: str, tmp_path: Path
) -> None:
    emulator.install_extension(ORG, vsix)
    emulator.use_node_agent(
        settings=AgentSettings(
            environment={
                "PIP_FIND_LINKS": str(wheelhouse),
                "PIP_NO_INDEX": "1",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            },  # an agent without internet: the shim sets slotwise up from the wheelhouse
            tools_directory=tmp_path / "agent-tools",
        ),
        work_root=tmp_path / "agent-work",
    )
    org = Organization(emulator, tmp_path)
    org.slotwise("release", "apply", str(ROOT / "templates" / "release"))
    deploy_build(emulator, arm_token, tmp_path, "production", "0", group=GROUP, app=APP)
    assert org.serving() == {"production": "0", "staging": "none"}

    # build 1: Staging deploys and smoke-tests v1, Production waits for its approver
    org.build("1")
    stages = org.settle(1, lambda s: waiting_for_approval(s) or staging_done(s))
    assert waiting_for_approval(stages), org.logs(1)
    assert org.serving() == {"production": "0", "staging": "1"}
    shown = org.slotwise("approvals", "show", str(stages["Production"]["pendingApprovals"][-1]), user=OPS)
    assert "Release-1" in shown.output
    # the approver's one screen: each task's part, the smoke tests, what each slot holds (once)
    for part in ("guard slot staging against overwrite (park)", "deployed build 1 to func-orders/staging"):
        assert f"--- slotwise: {part} ---" in shown.output
    assert "  Smoke tests passed: func-orders/staging:" in shown.output
    assert shown.output.count("What runs where: func-orders") == 1
    assert "| staging | build 1 (Release-1) |" in shown.output
    org.approve(1)
    stages = org.settle(1, production_done)
    assert stages["Production"]["status"] == "succeeded", org.logs(1)
    assert org.serving() == {"production": "1", "staging": "0"}

    # build 2 (with a timer function): staging holds v0, production's previous build: the guard parks
    # it, v2 goes on; the approver sees what the swap would change before approving
    org.build("2", triggers=("timer",))
    stages = org.settle(2, lambda s: waiting_for_approval(s) or staging_done(s))
    assert waiting_for_approval(stages), org.logs(2)
    assert org.serving() == {"production": "1", "staging": "2"}
    assert serving(emulator, "park", group=GROUP, app=APP) == "0"  # kept for a rollback
    shown = org.slotwise("approvals", "show", str(stages["Production"]["pendingApprovals"][-1]), user=OPS)
    assert "What a swap into production would change" in shown.output
    assert "trigger-runs-in-staging" in shown.output  # the timer runs in staging too, until disabled there
    org.approve(2)
    stages = org.settle(2, production_done)
    assert stages["Production"]["status"] in ("succeeded", "partiallySucceeded"), org.logs(2)
    assert org.serving() == {"production": "2", "staging": "1"}

    # build 3 is broken: its smoke test fails in staging, and no approver is ever asked
    org.build("3", broken=True)
    stages = org.settle(3, staging_done)
    assert stages["Staging"]["status"] == "rejected", org.logs(3)
    assert stages["Production"]["status"] != "inProgress"
    assert stages["Production"]["pendingApprovals"] == []
    waiting = json.loads(org.slotwise("approvals", "list", "-o", "json", user=OPS).output)
    assert [a for a in waiting if a["release"]["name"] == "Release-3"] == []
    assert org.serving()["production"] == "2"

    logs = "\n".join(org.logs(n) for n in (1, 2, 3))
    assert "Smoke test func-orders/staging" in logs
    leaked = [s for s in issued_secrets(emulator) if s in logs or any(s in p for p in org.printed)]
    assert not leaked, f"{len(leaked)} secret(s) the emulator issued appear in the release logs or output"
