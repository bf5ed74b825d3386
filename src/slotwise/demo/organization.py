"""The demo's world: the emulator with its seeded organization, and what happens there that is no
slotwise command: builds complete, the agent runs release jobs, users call the app.

``open_world`` starts the emulator (organization contoso, project Fabrikam, func-orders with its
staging slot), installs the built slotwise .vsix, and plugs in the emulated Node agent, whose tools
directory (where the task shim sets slotwise up, once per slotwise build) may be kept across runs.
``World`` completes builds of orders-api-CI (continuous deployment makes the release), waits for a
release to appear, reads its stages back, and asks each slot's own Functions host what it serves
(over HTTPS, like a browser).

Must not: run slotwise commands (the story does) or print (it answers; the story says).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from slotwise.demo.sample_app import SMOKE_CHECKS, Kind, build_package
from slotwise_emulator import Emulator, Speed
from slotwise_emulator.agent.job import AgentSettings

ORG, PROJECT, BUILD_PIPELINE, DEFINITION = "contoso", "Fabrikam", "orders-api-CI", "orders-api"
GROUP, APP = "rg-orders", "func-orders"
APPROVER = "ops@contoso.com"  # a member of [Fabrikam]\Release Approvers (CD releases are lead@'s)
SLOTS = ("production", "staging", "park")
SET_UP_MARKER = ".slotwise-complete"  # the shim's, inside each virtual environment it completed
RELEASE_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Stage:
    """One stage of a release as the release service has it."""

    name: str
    status: str
    step: str
    pending_approvals: tuple[int, ...]


class World:
    """The running emulator and the things people and machines do in it."""

    def __init__(self, emulator: Emulator, workdir: Path) -> None:
        self.emulator = emulator
        self.workdir = workdir

    def environment(self, *, approver: bool = False) -> dict[str, str]:
        """A shell that sourced the emulator's env file and signs in as its service principal; as the
        approver, the PAT is the approver's own."""
        env = {**self.emulator.env(), "SLOTWISE_AUTH": "secret"}
        if approver:
            env["AZURE_DEVOPS_EXT_PAT"] = self.emulator.issue_pat(ORG, APPROVER)
        return env

    def package(self, build: str, kind: Kind = Kind.GOOD) -> Path:
        return build_package(self.workdir / "builds", build, kind)

    def complete_build(self, build: str, kind: Kind) -> None:
        """A build of orders-api-CI completes: its artifact ``drop`` holds the app and its checks."""
        self.emulator.complete_build(
            ORG,
            PROJECT,
            BUILD_PIPELINE,
            build_number=build,
            artifacts={
                "drop": {
                    "orders.zip": self.package(build, kind).read_bytes(),
                    "smoke-checks.yaml": SMOKE_CHECKS.encode(),
                }
            },
        )

    def releases(self) -> list[dict[str, Any]]:
        return self.emulator.releases(ORG, PROJECT)

    def release_of(self, build: str) -> int | None:
        """The id of the release of build ``build`` of the artifact, if continuous deployment made one."""
        found = [r["id"] for r in self.releases() if r["builds"].get("drop") == build]
        return int(found[-1]) if found else None

    def wait_for_release(self, build: str) -> int:
        """The id of the release continuous deployment creates for ``build`` (LookupError if none)."""
        deadline = time.monotonic() + RELEASE_WAIT_SECONDS
        while time.monotonic() < deadline:
            found = self.release_of(build)
            if found is not None:
                return found
            time.sleep(0.1)
        raise LookupError(f"no release of build {build} appeared in {RELEASE_WAIT_SECONDS:.0f} s")

    def stages(self, release_id: int) -> dict[str, Stage]:
        (release,) = [r for r in self.releases() if r["id"] == release_id]
        return {
            s["name"]: Stage(s["name"], s["status"], s["step"] or "", tuple(s["pendingApprovals"]))
            for s in release["stages"]
        }

    def _host(self, slot: str) -> str | None:
        sub = self.emulator.subscription_id

        def find(b: Any) -> str | None:
            site = b.web.sites.get((sub, GROUP.lower(), APP.lower()))
            found = site.slots.get(slot) if site else None
            return str(found.host_name) if found else None

        return self.emulator.call(find)

    def get(self, slot: str, path: str) -> requests.Response | None:
        """``GET https://<slot's host><path>``, or None when the slot does not exist."""
        host = self._host(slot)
        if host is None:
            return None
        return requests.get(f"https://{host}{path}", verify=str(self.emulator.ca_path), timeout=30)

    def serving(self) -> dict[str, str]:
        """The build each existing slot serves (its /api/health's version; ``none`` if empty)."""
        served = {}
        for slot in SLOTS:
            answer = self.get(slot, "/api/health")
            if answer is None:
                continue
            served[slot] = str(answer.json().get("version")) if answer.status_code != 404 else "none"
        return served


def set_up_already(tools: Path) -> bool:
    """Whether the agent's tools directory holds a slotwise environment the shim completed."""
    return any((tools / "slotwise").glob(f"*/*/{SET_UP_MARKER}"))


@contextmanager
def open_world(
    vsix: Path, tools: Path, workdir: Path, speed: Speed, agent_environment: Mapping[str, str]
) -> Iterator[World]:
    """The seeded emulator with ``vsix`` installed and its Node agent keeping ``tools``, its task
    processes getting ``agent_environment`` too (pip's settings for an agent without internet)."""
    with Emulator(speed=speed, seed=True) as emulator:
        emulator.install_extension(ORG, vsix)
        emulator.use_node_agent(
            settings=AgentSettings(environment=agent_environment, tools_directory=tools),
            work_root=workdir / "agent-work",
        )
        yield World(emulator, workdir)
