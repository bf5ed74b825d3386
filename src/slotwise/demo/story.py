"""The demo: the article's deployment-slot story, told through releases with slotwise's own commands.

On the emulator's seeded organization, with the built slotwise extension installed and the emulated
Node agent running its tasks: ``slotwise release apply`` makes the release definition from
``templates/release/``; production serves build 0. Build 1 completes → continuous deployment
releases it → Staging guards, deploys and smoke-tests it → the approver reads the summary
(``approvals show``) and approves → the swap. Build 2 → the guard finds staging holding build 0,
production's previous build, and parks it → approved → build 2 live. Build 2 misbehaves in
production → ``slotwise slot rollback``. Build 3 is broken → its smoke test fails in staging and no
approver is ever asked. Each release is followed with ``slotwise release status --watch``; after
each step an ``Expectation`` is checked (what each slot serves, the stages' statuses, how the watch
ended) and the first that does not hold ends the demo with the reason (exit 1).

Commands run through the ``Slotwise`` function the caller hands in (the CLI hands in its own entry
point) with the emulator's environment: the demo never imports the CLI, never changes
``os.environ``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import click

from slotwise.demo.expectations import Expectation, StageIs, failed
from slotwise.demo.organization import APP, GROUP, SLOTS, World
from slotwise.demo.sample_app import Kind

Say = Callable[[str], None]
Slotwise = Callable[[Sequence[str], Mapping[str, str]], int]
"""Runs ``slotwise ARGS`` in this process with these environment variables; answers the exit code."""

WAITS_FOR_APPROVAL = 11  # release status --watch: waits for a person
DEPLOYMENT_FAILED = 12  # release status --watch: a stage's deployment failed
KINDS = {"2": Kind.BUGGY, "3": Kind.BROKEN}  # the story's builds: 2's orders has a bug, 3 is broken


class Story:
    """Runs slotwise commands as a person types them, narrates, and checks each step."""

    def __init__(
        self, say: Say, world: World, slotwise: Slotwise, broken: frozenset[str] = frozenset()
    ) -> None:
        self.say = say
        self.world = world
        self.slotwise = slotwise
        self.broken = broken  # builds made broken on purpose, to see the demo catch it
        self.started = time.monotonic()

    def chapter(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.say("")
        self.say(click.style(f"## {text}", bold=True) + click.style(f"  [{elapsed:.0f} s]", dim=True))

    def note(self, text: str) -> None:
        self.say(click.style(f"   {text}", fg="yellow"))

    def run(self, *args: str, expect: int | None = 0, approver: bool = False) -> int:
        """``slotwise ARGS`` like a person would run it (as the approver: with their PAT); a code other
        than ``expect`` ends the demo (``expect=None``: the caller checks)."""
        shown = " ".join(a if a and " " not in a else repr(a) for a in args)
        who = click.style("approver$ " if approver else "$ ", fg="magenta" if approver else "cyan")
        self.say(who + click.style(f"slotwise {shown}", fg="cyan"))
        code = self.slotwise(list(args), self.world.environment(approver=approver))
        if expect is not None and code != expect:
            raise failed(f"`slotwise {shown}`", [f"it exited {code}, the story expects {expect}"], "")
        return code

    def slot(self, *args: str, expect: int = 0) -> int:
        return self.run("slot", *args, "-g", GROUP, "-n", APP, expect=expect)

    def check(self, expectation: Expectation, release_id: int | None = None, code: int | None = None) -> None:
        """End the demo unless ``expectation`` holds (``code``: how the watch of the release ended)."""
        served = self.world.serving()
        stages = self.world.stages(release_id) if release_id is not None else {}
        wrong = expectation.differences(served, stages, code)
        if wrong:
            hint = f"Its logs: slotwise release logs {release_id}" if release_id is not None else ""
            raise failed(expectation.after, wrong, hint)
        shown = ", ".join(f"{slot} = build {build}" for slot, build in served.items())
        self.say(click.style("   ✓ ", fg="green") + f"serving now: {shown}")

    def follow(self, release_id: int, expectation: Expectation) -> None:
        """Watch the release until it ends or waits for a person, then check ``expectation``."""
        code = self.run("release", "status", str(release_id), "--watch", "--poll", "1", expect=None)
        if code and code == expectation.watch_exit:
            self.note(f"(exit code {code}, as the story expects)")
        self.check(expectation, release_id, code)

    def build(self, number: str) -> int:
        """Build ``number`` completes; answers the release continuous deployment made of it."""
        kind = Kind.BROKEN if number in self.broken else KINDS.get(number, Kind.GOOD)
        self.say(click.style(f"   build {number} of orders-api-CI completed ({kind.value})", fg="blue"))
        self.world.complete_build(number, kind)
        release_id = self.world.wait_for_release(number)
        self.say(click.style(f"   continuous deployment created release {release_id}", fg="blue"))
        return release_id

    def approve(self, release_id: int) -> None:
        """The approver looks at what waits, reads the summary, approves."""
        pending = self.world.stages(release_id)["Production"].pending_approvals
        if not pending:
            raise failed(f"release {release_id}", ["no approval waits on its Production stage"], "")
        self.run("approvals", "list", "--mine", approver=True)
        self.run("approvals", "show", str(pending[-1]), approver=True)
        self.run("approvals", "approve", str(pending[-1]), "--comment", "smoke tests green", approver=True)

    def calls_orders(self, slot: str, expect: int) -> None:
        """A user calls the slot's /api/orders; ends the demo unless it answers ``expect``."""
        answer = self.world.get(slot, "/api/orders")
        status = answer.status_code if answer is not None else 0
        self.say(f"   GET {slot}/api/orders → {status}")
        if status != expect:
            raise failed(f"a call to {slot}'s /api/orders", [f"it answered {status}, expected {expect}"], "")

    def table(self) -> None:
        """What each slot holds, as its own host answers."""
        served = self.world.serving()
        self.say("")
        self.say(click.style(f"{'slot':<12} build served", bold=True))
        for slot in SLOTS:
            if slot in served:
                self.say(f"{slot:<12} {served[slot]}")


def tell(story: Story, spec: Path) -> None:
    """The whole story; raises the ``SlotwiseError`` of the first step that did not go as told."""
    story.chapter("The release definition, as code; production serves build 0")
    story.run("release", "apply", str(spec))
    zero = str(story.world.package("0"))
    story.slot("deploy", "-s", "production", "--package", zero, "--build-number", "0")
    story.check(Expectation("build 0 deployed to production", {"production": "0", "staging": "none"}))

    story.chapter("Build 1: Staging deploys and smoke-tests it, Production waits for an approver")
    one = story.build("1")
    story.follow(one, staged("build 1", production="0", staging="1"))
    story.approve(one)
    story.follow(one, live("build 1", production="1", staging="0"))
    story.note("staging now holds build 0: production's previous build, the instant rollback")

    story.chapter("Build 2: the guard parks the rollback build, then deploys build 2 to staging")
    two = story.build("2")
    story.follow(two, staged("build 2", production="1", staging="2", park="0"))
    story.approve(two)
    story.follow(two, live("build 2", production="2", staging="1"))

    story.chapter("Build 2 misbehaves in production: one command rolls back")
    story.calls_orders("production", 500)
    story.slot("rollback")
    story.check(Expectation("the rollback", {"production": "1", "staging": "2"}))
    story.calls_orders("production", 200)

    story.chapter("Build 3 is broken: its smoke test fails in staging, it never reaches production")
    three = story.build("3")
    stopped = {"Staging": StageIs("rejected"), "Production": StageIs("notStarted")}
    story.follow(
        three,
        Expectation(
            "the release of build 3", {"production": "1", "staging": "3"}, stopped, DEPLOYMENT_FAILED
        ),
    )
    story.run("approvals", "list", approver=True)
    story.note("no approver was asked: a build that fails in staging never reaches production")

    story.chapter("Where everything stands")
    story.slot("status")
    story.table()


def staged(build: str, **serving: str) -> Expectation:
    """The release of ``build``: Staging succeeded, Production waits for its approver."""
    stages = {"Staging": StageIs("succeeded"), "Production": StageIs("inProgress", "preApproval")}
    return Expectation(f"the release of {build}, Staging", serving, stages, WAITS_FOR_APPROVAL)


def live(build: str, **serving: str) -> Expectation:
    """The release of ``build``, approved: Production succeeded."""
    return Expectation(f"the release of {build}, approved", serving, {"Production": StageIs("succeeded")})
