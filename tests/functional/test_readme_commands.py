"""Every ``slotwise ...`` command the README shows runs against the emulator, as the README says.

The commands are read from the README itself: each line of a fenced code block that starts with
``slotwise `` (its ``# comment`` stripped), split as sh splits it, in README order. A comment that says
``exit N`` is the exit code the README promises for that command; otherwise it must exit 0. Each runs
in-process (``CliRunner``) in a folder holding a copy of ``templates/``, with the environment a user of
``slotwise emulator`` has (its env file), against a seeded emulator (``contoso``/Fabrikam, the apps the
templates name) with the slotwise extension's tasks installed. README placeholders (``my-rg``,
``./app.zip``, ``SPEC...``, an approval's ``ID``, release ``7``...) become real values through
``PLACEHOLDERS`` and the set-up of the command's family (``SETUPS``): a build deployed where the slot
commands need it, a release whose Staging job ended in the manual agent pool before the approvals
commands, the PAT of the approver a decision needs. Commands that cannot run here are in ``NOT_RUN``
with the reason, and the README must still show each of them.

No command may print a traceback or any secret the emulator issued.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise_emulator import Emulator, Speed
from tests.functional.devops_org import install_slotwise
from tests.packages import SMOKE_CHECKS, good_build
from tests.secrets_sweep import issued, watch

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ORG, PROJECT, BUILD_PIPELINE = "contoso", "Fabrikam", "orders-api-CI"
LEAD, OPS = "lead@contoso.com", "ops@contoso.com"
SIDE = "refs/heads/feature/readme"  # the article's continuous-deployment trigger releases main only
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
COMMENT = re.compile(r"\s#\s(.*)$")
EXIT = re.compile(r"\bexit (\d+)\b")

# Commands the README shows that this test does not run, and why.
NOT_RUN = {
    "slotwise emulator": "serves until Ctrl-C; this test stands up the same seeded emulator in-process",
    "slotwise demo": "the story of scripts/demo, with a .vsix built and run; test_demo.py tests it",
}


@dataclass(frozen=True)
class Command:
    """A README command: its line, its arguments after ``slotwise``, the exit code it promises."""

    line: str
    args: tuple[str, ...]
    expect: int


def readme_commands(text: str) -> list[Command]:
    """The ``slotwise`` lines of the README's code blocks, in order."""
    found = []
    for block in FENCE.findall(text):
        for line in block.splitlines():
            if not line.startswith("slotwise "):
                continue
            comment = COMMENT.search(line)
            said = EXIT.search(comment.group(1)) if comment else None
            args = shlex.split(line, comments=True)[1:]
            found.append(Command(line.strip(), tuple(args), int(said.group(1)) if said else 0))
    return found


def family(command: Command) -> str:
    """``slotwise release plan`` for ``slotwise release plan --as yaml ...``: the words before options."""
    words = ["slotwise"]
    for arg in command.args[:2]:
        if not re.fullmatch(r"[a-z][a-z-]*", arg):
            break
        words.append(arg)
    return " ".join(words)


def not_run(command: Command) -> str | None:
    return next((name for name in NOT_RUN if f"{family(command)} ".startswith(f"{name} ")), None)


# ------------------------------------------------------------------------------- the world
class DrivingClock:
    """Virtual time for ``--watch``: each sleep first does the next step (an agent's work), if any."""

    def __init__(self, *steps: Callable[[], None]) -> None:
        self.steps = list(steps)
        self._t = 0.0

    def now(self) -> datetime:
        return datetime(2026, 12, 2, tzinfo=timezone.utc) + timedelta(seconds=self._t)

    def monotonic(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        self._t += seconds
        if self.steps:
            self.steps.pop(0)()


@dataclass
class Run:
    """How to run one command: placeholder values, the user whose PAT signs in, a clock for --watch."""

    values: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    clock: DrivingClock | None = None
    says: str | None = None  # what the output must say, given the state the set-up made


class World:
    """The seeded emulator, the folder the commands run in, and what the set-ups made."""

    def __init__(self, emu: Emulator, folder: Path) -> None:
        self.emu = emu
        self.folder = folder
        self.env: dict[str, str | None] = {**emu.env()}
        for key in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "SLOTWISE_CLOUD"):
            self.env[key] = None  # as in a shell that sourced only the emulator's env file
        self.package = folder / "app.zip"
        good_build(self.package, "1")
        self.checks = folder / "smoke-checks.yaml"
        self.checks.write_text(SMOKE_CHECKS)
        self.org_url = self.env["AZURE_DEVOPS_ORG_URL"] or ""
        self.builds = 1

    def placeholders(self) -> dict[str, str]:
        return {
            "my-rg": "rg-orders",
            "my-func": "func-orders",
            "./app.zip": str(self.package),
            "smoke.yaml": str(self.checks),
            "SPEC...": "templates/release/article.yaml",
            "[--prune]": "--prune",
            "P": PROJECT,
            "NAME|ID": "orders-api",
            "https://dev.azure.com/contoso": self.org_url.rstrip("/"),
        }

    def invoke(self, command: Command, run: Run) -> Result:
        values = self.placeholders() | run.values
        args = [values.get(arg, arg) for arg in command.args]
        env = dict(self.env)
        if run.user is not None:
            env["AZURE_DEVOPS_EXT_PAT"] = self.emu.issue_pat(ORG, run.user)
        obj = {"clock": run.clock} if run.clock is not None else None
        return CliRunner().invoke(cli, args, env=env, obj=obj)

    # ---- state the commands need
    def finish_jobs(self) -> None:
        """End every deployment job waiting in the manual pool (succeeded), as an agent would."""
        for job in self.emu.pending_jobs():
            self.emu.complete_job(job["jobId"], summaries=[("Smoke", "| check | result |\n|---|---|")])

    def staged_release(self) -> list[int]:
        """Production's pending approvals (lead's, then the group's) of the newest release; when none
        waits, a build of main (the CD trigger releases it) whose Staging job ended makes some."""
        for attempt in range(2):
            releases = self.emu.releases(ORG, PROJECT)
            stages = releases[-1]["stages"] if releases else []
            production = next((s for s in stages if s["name"] == "Production"), None)
            if production is not None and len(production["pendingApprovals"]) == 2:
                pending: list[int] = production["pendingApprovals"]
                return pending
            assert attempt == 0, production
            self.finish_jobs()
            self.emu.complete_build(ORG, PROJECT, BUILD_PIPELINE)
            self.finish_jobs()
        raise AssertionError("unreachable")

    def reject_waiting(self) -> None:
        """Reject every approval still waiting (as its approvers would), so no release queues behind."""
        for release in self.emu.releases(ORG, PROJECT):
            for user in (OPS, LEAD):
                if any(stage["pendingApprovals"] for stage in self.release(release["id"])["stages"]):
                    env = self.env | {"AZURE_DEVOPS_EXT_PAT": self.emu.issue_pat(ORG, user)}
                    args = ["approvals", "reject", "--all-for", str(release["id"]), "-c", "not this one"]
                    CliRunner().invoke(cli, args, env=env)
            assert not any(stage["pendingApprovals"] for stage in self.release(release["id"])["stages"])

    def release(self, release_id: int) -> dict[str, Any]:
        found: dict[str, Any] = next(r for r in self.emu.releases(ORG, PROJECT) if r["id"] == release_id)
        return found

    def latest_release(self) -> str:
        return str(self.emu.releases(ORG, PROJECT)[-1]["id"])


def applied(world: World, command: Command) -> Run:
    """Release commands that read the organization's definitions need the article applied."""
    done = CliRunner().invoke(cli, ["release", "apply", "templates/release/article.yaml"], env=world.env)
    assert done.exit_code == 0, done.output
    return Run()


def approvals(world: World, command: Command) -> Run:
    """A fresh release waiting for Production's approval; a decision is made by one who may make it."""
    lead_id, group_id = world.staged_release()
    verb = command.args[1]
    if verb == "approve":  # the release's creator (lead) may not approve: a member of the group does
        return Run({"ID": str(group_id)}, user=OPS)
    return Run({"ID": str(lead_id)}, user=LEAD)  # list, show; reassign: lead hands their own over


def release_run(world: World, command: Command) -> Run:
    """The article applied; builds to release; for --watch, an agent that ends the Staging job."""
    applied(world, command)
    world.finish_jobs()
    if "--build" in command.args:
        number = command.args[command.args.index("--build") + 1]
        world.emu.complete_build(ORG, PROJECT, BUILD_PIPELINE, build_number=number, source_branch=SIDE)
    release = world.latest_release() if world.emu.releases(ORG, PROJECT) else "1"
    if "--watch" not in command.args:
        return Run({"7": release})
    world.reject_waiting()  # else the new release's Production queues behind an older one's approval
    return Run(
        {"7": release}, clock=DrivingClock(world.finish_jobs), says="stage Production waits for approval"
    )


def nothing(world: World, command: Command) -> Run:
    return Run()


def held_staging(world: World, command: Command) -> Run:
    """Staging holds production's previous build: a new build deployed to staging and swapped live."""
    world.builds += 1
    package = world.folder / f"build-{world.builds}.zip"
    good_build(package, str(world.builds))
    app = ["-g", "rg-orders", "-n", "func-orders", "-s", "staging"]
    for args in (["deploy", *app, "--package", str(package)], ["swap", *app]):
        done = CliRunner().invoke(cli, ["slot", *args], env=world.env)
        assert done.exit_code == 0, done.output
    said = {"guard": "Parked", "release-hold": "Released: slot 'staging' no longer holds"}
    return Run(says=said[command.args[1]])


SETUPS: dict[str, Callable[[World, Command], Run]] = {
    "slotwise slot": nothing,  # in README order: deploy, smoke, swap (held: staging), status, rollback
    "slotwise slot guard": held_staging,
    "slotwise slot release-hold": held_staging,
    "slotwise release validate": nothing,
    "slotwise release render": nothing,
    "slotwise release plan": nothing,
    "slotwise release apply": nothing,
    "slotwise release export": applied,
    "slotwise release": nothing,  # --print-schema
    "slotwise approvals": approvals,
    "slotwise release start": release_run,
    "slotwise release status": release_run,
    "slotwise release logs": release_run,
}


def setup_for(command: Command) -> Callable[[World, Command], Run]:
    name = family(command)
    while name not in SETUPS:
        assert " " in name, f"no set-up for {command.line!r}: add its family to SETUPS"
        name = name.rsplit(" ", 1)[0]
    return SETUPS[name]


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    folder = tmp_path / "work"
    shutil.copytree(ROOT / "templates", folder / "templates")
    monkeypatch.chdir(folder)
    with Emulator(speed=Speed.instant(), seed=True) as emu:
        keep = watch(request.node, emu)
        install_slotwise(emu, tmp_path)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emu.ca_path))  # for the set-ups' own clients
        yield World(emu, folder)
        keep()


# --------------------------------------------------------------------------------- tests
COMMANDS = readme_commands(README.read_text(encoding="utf-8"))


def test_the_readme_shows_commands_of_every_family_slotwise_has() -> None:
    assert len(COMMANDS) > 20
    said = CliRunner().invoke(cli, ["--help"]).output
    families = re.findall(r"^  ([a-z]+)  ", said.split("Commands:", 1)[1], re.M)
    assert set(families) == {"approvals", "demo", "emulator", "release", "slot"}
    shown = {command.args[0] for command in COMMANDS}
    assert set(families) <= shown, f"the README shows no command of {set(families) - shown}"


def test_every_command_not_run_is_still_shown() -> None:
    shown = {not_run(command) for command in COMMANDS}
    assert set(NOT_RUN) <= shown, f"NOT_RUN names commands the README no longer shows: {set(NOT_RUN) - shown}"


def test_placeholders_are_read_as_sh_reads_them() -> None:
    (command,) = readme_commands("```sh\nslotwise release start '\\F\\a' --watch  # exit 11 at once\n```\n")
    assert command.args == ("release", "start", "\\F\\a", "--watch")
    assert command.expect == 11
    assert family(command) == "slotwise release start"
    assert (
        not_run(readme_commands("```\nslotwise emulator --env-file e.env\n```\n")[0]) == "slotwise emulator"
    )


def test_every_readme_command_runs_against_the_emulator_as_the_readme_says(world: World) -> None:
    failures = []
    ran = 0
    for command in COMMANDS:
        if not_run(command):
            continue
        run = setup_for(command)(world, command)
        result = world.invoke(command, run)
        ran += 1
        printed = result.output + (result.stderr if result.stderr_bytes is not None else "")
        if result.exit_code != command.expect:
            failures.append(
                f"{command.line}\n  exit {result.exit_code}, README says {command.expect}:\n{printed}"
            )
        if run.says is not None and run.says not in printed:
            failures.append(f"{command.line}\n  does not say {run.says!r}:\n{printed}")
        if "Traceback" in printed or (result.exception and not isinstance(result.exception, SystemExit)):
            failures.append(f"{command.line}\n  crashed: {result.exception!r}\n{printed}")
        for kind, values in issued(world.emu).items():
            if any(value and value in printed for value in values):
                failures.append(f"{command.line}\n  printed a {kind} the emulator issued")
    assert ran == len(COMMANDS) - sum(1 for c in COMMANDS if not_run(c))
    assert not failures, "\n\n".join(failures)
    # They did their work, not only exited 0:
    assert (world.folder / "smoke.xml").is_file()  # slot smoke --junit smoke.xml
    assert (world.folder / "pipelines" / "article.yml").is_file()  # render --as yaml --output-dir pipelines
    environments = {e["name"] for e in world.emu.environments(ORG, PROJECT)}
    assert {"orders-api-staging", "orders-api-production"} <= environments  # apply --as yaml
    releases = world.emu.releases(ORG, PROJECT)
    assert any(r["builds"]["drop"] == "20261202.3" for r in releases)  # start --build 20261202.3
