"""``slotwise release start --watch`` against polling by hand, on the emulated Azure DevOps with its
manual agent pool (issue 10's benchmark: the overhead of watching).

Both sides do the same thing ``RELEASES`` times, alternately: create a release of
templates/release/article.yaml's definition and poll it every ``POLL`` seconds until it waits for a
person (Production's approval is pending). The agent's work is the same on both sides: on the
``DONE_AFTER``-th sleep between polls, the Staging job ends (three tasks, ``LOG`` log lines each);
the sleeps are real, so wall time is polls times ``POLL`` plus each side's own work. Each release is
abandoned after its run (not timed): Production deploys one release at a time, and a release waiting
for its approval holds it.

- slotwise: the command in-process (``slotwise release start orders-api --watch --poll POLL``), as a
  user runs it: it signs in (the location handshake), finds the definition by name and the latest
  succeeded build, creates the release, then one ``get_release`` per poll, plus the last lines of
  each task that finished (one task log request each, once), and prints every change.
- baseline: a script with the same ``azure-devops`` client that already knows the ids: one
  ``create_release`` (definition id and build id given), then ``get_release`` in a loop at the same
  interval until Production has a pending approval; it prints nothing, reads no log.

Printed: requests per release (sign-in and lookups, create, polls, task logs), requests per poll,
and wall time, for each; then slotwise's wall time over the baseline's. Asserted (counts, not
timings): slotwise sends one ``get_release`` per poll and one task log request per finished task,
and both sides poll the same number of times.

The emulator runs in this process (instant speed), as the functional tests run it; both sides pay that
alike. Run with ``scripts/bench -k watch``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.devops.connection import Connection
from azure.devops.v7_1.release.models import (
    ArtifactMetadata,
    BuildVersion,
    ReleaseStartMetadata,
    ReleaseUpdateMetadata,
)
from click.testing import CliRunner
from msrest.authentication import BasicAuthentication

from slotwise.cli.main import cli
from slotwise_emulator import Emulator
from tests.functional.devops_org import ROOT, article_organization, devops_env

ORG, PROJECT = "contoso", "Fabrikam"
ARTICLE = ROOT / "templates" / "release" / "article.yaml"
RELEASES = 5
POLL = 0.5  # seconds between polls, both sides
DONE_AFTER = 3  # the Staging job ends during the 3rd sleep
LOG = 40  # lines each task logs


@dataclass
class Run:
    side: str
    seconds: float
    polls: int
    requests: Counter[str]


class PacedClock:
    """The real clock; on the ``DONE_AFTER``-th sleep the agent (``finish``) ends the Staging job."""

    def __init__(self, finish: Callable[[], None]) -> None:
        self.finish = finish
        self.sleeps = 0

    def now(self) -> Any:
        from datetime import datetime, timezone

        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
        self.sleeps += 1
        if self.sleeps == DONE_AFTER:
            self.finish()


def finisher(emu: Emulator) -> Callable[[], None]:
    def finish() -> None:
        job = next(j for j in emu.pending_jobs() if j["stage"] == "Staging")
        emu.complete_job(job["jobId"], logs={t: [f"{t[:8]} {n}" for n in range(LOG)] for t in job["tasks"]})

    return finish


def kind(method: str, path: str) -> str:
    """What one request was for."""
    parts = path.rstrip("/").split("/")
    if method == "POST" and parts[-1] == "releases":
        return "create"
    if method == "GET" and len(parts) >= 2 and parts[-2] == "releases":
        return "poll"
    if parts[-1] == "logs" and "tasks" in parts:
        return "task log"
    return "sign-in and lookups"


def counted(emu: Emulator, run: Callable[[], int], side: str) -> Run:
    before = len(emu.call(lambda b: b.log.entries()))
    started = time.perf_counter()
    polls = run()
    seconds = time.perf_counter() - started
    entries = emu.call(lambda b: b.log.entries())[before:]
    return Run(side, seconds, polls, Counter(kind(e.method, e.path) for e in entries))


def waits_for_approval(release: Any) -> bool:
    production = next(e for e in release.environments if e.name == "Production")
    return any(a.status == "pending" for a in production.pre_deploy_approvals or [])


@pytest.fixture
def emu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with article_organization(tmp_path, monkeypatch) as emulator:
        yield emulator


def test_release_start_watch_against_polling_by_hand(emu: Emulator) -> None:
    env = devops_env(emu)
    build = emu.complete_build(ORG, PROJECT, "orders-api-CI", source_branch="refs/heads/feature/bench")
    client = Connection(env["AZURE_DEVOPS_ORG_URL"], BasicAuthentication("", env["AZURE_DEVOPS_EXT_PAT"]))
    releases = client.clients_v7_1.get_release_client()
    definition_id = releases.get_release_definitions(PROJECT, search_text="orders-api")[0].id  # known

    def slotwise() -> int:
        clock = PacedClock(finisher(emu))
        args = ["release", "start", "orders-api", "--watch", "--poll", str(POLL)]
        result = CliRunner().invoke(cli, args, env=env, obj={"clock": clock})
        assert result.exit_code == 11, result.output
        return clock.sleeps

    def by_hand() -> int:
        clock = PacedClock(finisher(emu))
        metadata = ReleaseStartMetadata(
            definition_id=definition_id,
            artifacts=[ArtifactMetadata(alias="drop", instance_reference=BuildVersion(id=str(build.id)))],
        )
        made = releases.create_release(metadata, PROJECT)
        while not waits_for_approval(releases.get_release(PROJECT, made.id)):
            clock.sleep(POLL)
        return clock.sleeps

    def abandon_last() -> None:  # Production deploys one release at a time: free it for the next
        last = emu.releases(ORG, PROJECT)[-1]
        releases.update_release_resource(ReleaseUpdateMetadata(status="abandoned"), PROJECT, last["id"])

    ours: list[Run] = []
    theirs: list[Run] = []
    for _ in range(RELEASES):
        ours.append(counted(emu, slotwise, "slotwise"))
        abandon_last()
        theirs.append(counted(emu, by_hand, "by hand"))
        abandon_last()
    report(ours, theirs)

    for run in ours:
        assert run.requests["poll"] == run.polls + 1  # one get_release per poll
        assert run.requests["task log"] == 3  # once per finished task
        assert run.requests["create"] == 1
    assert [r.polls for r in ours] == [r.polls for r in theirs]
    assert all(r.requests["poll"] == r.polls + 1 for r in theirs)


def report(ours: list[Run], theirs: list[Run]) -> None:
    print(
        f"\nrelease start --watch: {RELEASES} releases each, poll {POLL:g} s, "
        f"Staging ends on sleep {DONE_AFTER}"
    )
    kinds = ["sign-in and lookups", "create", "poll", "task log"]
    print(f"{'side':<10}" + "".join(f"{k:>21}" for k in kinds) + f"{'req/poll':>10}{'seconds':>9}")
    total: dict[str, float] = {}
    for side, runs in (("slotwise", ours), ("by hand", theirs)):
        n = len(runs)
        counts = [sum(r.requests[k] for r in runs) / n for k in kinds]
        polls = sum(r.polls + 1 for r in runs) / n
        seconds = sum(r.seconds for r in runs) / n
        total[side] = seconds
        per_poll = sum(sum(r.requests.values()) for r in runs) / n / polls
        print(f"{side:<10}" + "".join(f"{c:>21.1f}" for c in counts) + f"{per_poll:>10.2f}{seconds:>9.3f}")
    print(f"wall time ratio slotwise / by hand: {total['slotwise'] / total['by hand']:.3f}")
