"""The demo: the deployment-slot story of the seed article, told with slotwise's own commands.

Against the embedded emulator (no Azure account): production runs build 1; build 2 is deployed to
staging, smoke-tested there through its own URL and keys, and swapped into production, so staging
holds build 1 as the rollback. Build 3 arrives: deploying it to staging would destroy that rollback,
so the guard refuses; the held build is parked, build 3 is deployed, fails its smoke checks and never
reaches production. Build 4 fixes it, goes live, and when production misbehaves one command rolls
back. Each command is shown as a person would type it and runs in this process, against the
emulator, exactly as it would against Azure.

The commands are run by the ``Slotwise`` function the caller hands in (the CLI hands in its own
entry point), with the emulator's environment: the demo never imports the CLI and never changes
``os.environ``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import click
import requests

from slotwise.demo.sample_app import build_package
from slotwise_emulator import Emulator, Speed

Say = Callable[[str], None]
Slotwise = Callable[[Sequence[str], Mapping[str, str]], int]
"""Runs ``slotwise ARGS`` in this process with these environment variables set; answers the exit code."""
GROUP, APP = "rg-orders", "func-orders"

CHECKS = """\
checks:
  - name: health says ok
    path: /api/health
    expect:
      status: 200
      bodyContains: '"ok"'
  - name: orders answers with its function key
    function: orders
    expect:
      status: 200
      latencyMs: 2000
"""


class Story:
    """Runs ``slotwise`` commands in this process and narrates between them."""

    def __init__(self, say: Say, emulator: Emulator, workdir: Path, slotwise: Slotwise) -> None:
        self.say = say
        self.emulator = emulator
        self.slotwise = slotwise
        # the shell after sourcing the emulator's env file, signing in as its service principal
        self.environment = {**emulator.env(), "SLOTWISE_AUTH": "secret"}
        self.workdir = workdir
        self.checks = workdir / "smoke.yaml"
        self.checks.write_text(CHECKS)

    def chapter(self, text: str) -> None:
        self.say("")
        self.say(click.style(f"## {text}", bold=True))

    def run(self, *args: str, expect: int = 0) -> None:
        """Run ``slotwise slot ARGS -g GROUP -n APP`` like a person would, and check its exit code."""
        shown = " ".join(a if " " not in a else repr(a) for a in args)
        self.say(click.style(f"$ slotwise slot {shown} -g {GROUP} -n {APP}", fg="cyan"))
        code = self.slotwise(["slot", *args, "-g", GROUP, "-n", APP], self.environment)
        if code != expect:
            raise click.ClickException(f"`slotwise slot {shown}` exited {code}, the demo expected {expect}")
        if expect:
            self.say(click.style(f"(exit code {code}, as intended)", fg="yellow"))

    def package(self, build: str, *, broken: bool = False) -> str:
        return str(build_package(self.workdir, build, broken=broken))

    def serving(self) -> dict[str, str]:
        """Which build each slot's own host serves right now (asked over HTTPS, like a browser)."""
        served = {}
        for slot in ("production", "staging", "park"):
            host = self._host(slot)
            if host is None:
                continue
            answer = requests.get(f"https://{host}/api/health", verify=str(self.emulator.ca_path), timeout=30)
            served[slot] = str(answer.json().get("build")) if answer.status_code in (200, 500) else "-"
        return served

    def show(self) -> None:
        self.say("   serving now: " + ", ".join(f"{slot} = build {b}" for slot, b in self.serving().items()))

    def expect(self, **builds: str) -> None:
        served = self.serving()
        wrong = {slot: served.get(slot) for slot, build in builds.items() if served.get(slot) != build}
        if wrong:
            raise click.ClickException(f"the slots do not serve what the story says: {served}")
        self.show()

    def _host(self, slot: str) -> str | None:
        sub = self.emulator.subscription_id

        def find(b: object) -> str | None:
            site = b.web.sites.get((sub, GROUP.lower(), APP.lower()))  # type: ignore[attr-defined]
            found = site.slots.get(slot) if site else None
            return found.host_name if found else None

        return self.emulator.call(find)


def run(say: Say, speed: Speed, slotwise: Slotwise) -> None:
    """Tell the story, running each command through ``slotwise``; raises ``click.ClickException`` if
    any step does not go as told."""
    with Emulator(speed=speed) as emu, tempfile.TemporaryDirectory(prefix="slotwise-demo-") as tmp:
        say(f"Started the Azure emulator: ARM at {emu.arm_url}, Entra ID at {emu.authority}")
        emu.create_function_app(GROUP, APP, slots=("staging",))
        say(f"Created function app {APP} in {GROUP}, with a staging slot")
        _tell(Story(say, emu, Path(tmp), slotwise))


def _tell(story: Story) -> None:
    story.chapter("Production runs build 1")
    story.run("deploy", "-s", "production", "--package", story.package("1"), "--build-number", "1")
    story.expect(production="1")

    story.chapter("Build 2: deploy to staging, test staging through its own URL and keys, swap it live")
    story.run("deploy", "-s", "staging", "--package", story.package("2"), "--build-number", "2")
    story.run("smoke", "-s", "staging", "--checks", str(story.checks))
    story.run("swap", "-s", "staging", "--smoke-checks", str(story.checks), "--rollback-on-failure")
    story.expect(production="2", staging="1")
    story.say("   staging now holds build 1: production's previous build, the only instant rollback")

    story.chapter("Build 3 arrives: deploying it to staging would destroy build 1, so slotwise refuses")
    story.run(
        "deploy",
        "-s",
        "staging",
        "--package",
        story.package("3", broken=True),
        "--build-number",
        "3",
        expect=7,
    )
    story.run("guard", "-s", "staging", "--mode", "park", "--create-park-slot")
    story.expect(production="2", park="1")
    story.run("deploy", "-s", "staging", "--package", story.package("3", broken=True), "--build-number", "3")
    story.run("smoke", "-s", "staging", "--checks", str(story.checks), expect=8)
    story.say("   build 3 fails its smoke checks in staging: it never reaches production")
    story.expect(production="2", staging="3", park="1")

    story.chapter("Build 4 fixes it and goes live")
    story.run("deploy", "-s", "staging", "--package", story.package("4"), "--build-number", "4")
    story.run("smoke", "-s", "staging", "--checks", str(story.checks))
    story.run("swap", "-s", "staging")
    story.expect(production="4", staging="2", park="1")

    story.chapter("Production misbehaves: one command rolls back to build 2")
    story.run("rollback")
    story.expect(production="2", staging="4")
    story.run("status")
