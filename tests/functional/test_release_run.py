"""`slotwise release start | status | logs` against the emulated Azure DevOps, through the real
`azure-devops` client, as pipeline authors use them.

Each test stands up a seeded organization with the slotwise extension installed and
templates/release/article.yaml applied (Staging deploys when a release is created; Production after
Staging, once lead@contoso.com or any member of [Fabrikam]\\Release Approvers approves). Builds are
completed on a branch the continuous-deployment trigger ignores, so only the commands make releases.
The deployment jobs wait in the emulator's manual agent pool; with --watch, the clock handed to the
command does the work a person or an agent would do when the command sleeps between polls (end a
job with log lines, approve, reject): no real waits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise.devops.approvals import RawApprovals
from slotwise.devops.organization import open_organization
from slotwise.factory import devops_settings
from slotwise_emulator import Emulator
from tests.fakes import FastClock
from tests.functional.control import add_fault
from tests.functional.devops_org import ROOT, article_organization, devops_env

ORG, PROJECT = "contoso", "Fabrikam"
ARTICLE = ROOT / "templates" / "release" / "article.yaml"
LEAD, OPS = "lead@contoso.com", "ops@contoso.com"
GROUP = "[Fabrikam]\\Release Approvers"
SIDE = "refs/heads/feature/x"  # the CD trigger releases refs/heads/main only


@pytest.fixture
def emu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with article_organization(tmp_path, monkeypatch) as emulator:
        yield emulator


class DrivingClock:
    """Virtual time; each sleep first does the next step (a person's or an agent's work), if any."""

    def __init__(self, *steps: Callable[[], None]) -> None:
        self.steps = list(steps)
        self.sleeps: list[float] = []
        self._t = 0.0

    def now(self) -> datetime:
        return datetime(2026, 12, 2, tzinfo=timezone.utc) + timedelta(seconds=self._t)

    def monotonic(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._t += seconds
        if self.steps:
            self.steps.pop(0)()


def slotwise(emu: Emulator, *args: str, clock: Any = None) -> Result:
    obj = {"clock": clock} if clock is not None else None
    return CliRunner().invoke(cli, list(args), env=devops_env(emu), obj=obj, catch_exceptions=False)


def build(emu: Emulator, **kwargs: Any) -> Any:
    return emu.complete_build(ORG, PROJECT, "orders-api-CI", source_branch=SIDE, **kwargs)


def releases(emu: Emulator) -> list[dict[str, Any]]:
    return emu.releases(ORG, PROJECT)


def finish_job(emu: Emulator, stage: str, result: str = "succeeded") -> Callable[[], None]:
    """A step: the agent ends the stage's job, each task logging eight numbered lines."""

    def step() -> None:
        job = next(j for j in emu.pending_jobs() if j["stage"] == stage)
        logs = {task: [f"{task[:5]} line {n}" for n in range(1, 9)] for task in job["tasks"]}
        emu.complete_job(job["jobId"], result, logs=logs)

    return step


def decide(emu: Emulator, user: str, status: str, comment: str) -> Callable[[], None]:
    """A step: ``user`` approves or rejects every pending approval of Production they may decide."""

    def step() -> None:
        env = devops_env(emu) | {"AZURE_DEVOPS_EXT_PAT": emu.issue_pat(ORG, user)}
        approvals = RawApprovals(open_organization(devops_settings(env), clock=FastClock()).connection)
        me = str(approvals.signed_in()["id"])
        mine = approvals.approvals(PROJECT, assigned_to=me, my_groups=True)
        assert mine, f"nothing waits for {user}"
        approvals.update(PROJECT, int(mine[0]["id"]), {"status": status, "comments": comment})

    return step


def served_release_gets(emu: Emulator) -> int:
    entries = emu.call(lambda b: b.log.entries())
    return sum(1 for e in entries if e.method == "GET" and e.path.rstrip("/").split("/")[-2] == "releases")


# ---- start ------------------------------------------------------------------------------------------------
def test_start_creates_the_release_of_the_latest_build_and_says_what_each_stage_does(emu: Emulator) -> None:
    build(emu)
    latest = build(emu)
    result = slotwise(emu, "release", "start", "orders-api")
    assert result.exit_code == 0, result.output
    made = releases(emu)
    assert [r["name"] for r in made] == ["Release-1"]
    assert made[0]["builds"] == {"drop": latest.build_number}
    out = result.output
    assert f"Created Release-1 (id {made[0]['id']}) of {PROJECT}/\\Functions\\orders-api" in out
    assert "_release?releaseId=1" in out
    assert f"build: orders-api-CI {latest.build_number} (id {latest.id}), branch {SIDE}" in out
    assert "stage Staging: deploys now" in out
    assert f"stage Production: deploys after Staging, once approved by {LEAD} or {GROUP}" in out
    assert [j["stage"] for j in emu.pending_jobs()] == ["Staging"]


def test_start_by_folder_path_with_a_build_number_or_id(emu: Emulator) -> None:
    older = build(emu)
    build(emu)
    by_number = slotwise(emu, "release", "start", "\\Functions\\orders-api", "--build", older.build_number)
    assert by_number.exit_code == 0, by_number.output
    by_id = slotwise(emu, "release", "start", "orders-api", "--build", str(older.id), "-o", "json")
    assert by_id.exit_code == 0, by_id.output
    assert [r["builds"]["drop"] for r in releases(emu)] == [older.build_number, older.build_number]
    shown = json.loads(by_id.output)
    assert shown["release"]["name"] == "Release-2"
    assert shown["definition"]["path"] == "\\Functions"
    assert shown["builds"][0]["number"] == older.build_number
    assert shown["builds"][0]["id"] == older.id
    assert [(s["name"], s["automatic"]) for s in shown["stages"]] == [("Staging", True), ("Production", True)]


def test_unknown_definition_build_or_stage_makes_no_release(emu: Emulator) -> None:
    build(emu)
    failed = build(emu, result="failed")
    pat = devops_env(emu)["AZURE_DEVOPS_EXT_PAT"]
    cases = [
        (
            ("orders-apj",),
            4,
            "No release definition 'orders-apj' in any project you can see (did you mean 'orders-api'?)",
        ),
        (
            ("\\Other\\orders-api",),
            4,
            "No release definition '\\Other\\orders-api' in any project you can see "
            "(did you mean '\\Functions\\orders-api'?)",
        ),
        (
            ("orders-api", "--build", "20991231.9"),
            4,
            "Build pipeline orders-api-CI has no completed build numbered",
        ),
        (
            ("orders-api", "--build", failed.build_number),
            2,
            f"Build {failed.build_number} of orders-api-CI did not succeed",
        ),
        (("orders-api", "--stage", "Prod"), 2, "has no stage 'Prod'"),
        (("orders-api", "--build", "1", "--latest"), 2, "Give --build or --latest, not both."),
    ]
    for args, code, said in cases:
        result = slotwise(emu, "release", "start", *args)
        assert result.exit_code == code, (args, result.output)
        assert said in result.output, (args, result.output)
        assert "Traceback" not in result.output
        assert pat not in result.output
    stage = slotwise(emu, "release", "start", "orders-api", "--stage", "Prod")
    assert "its stages are Staging, Production" in stage.output
    assert "Its latest builds:" in slotwise(emu, "release", "start", "orders-api", "--build", "nope").output
    assert releases(emu) == []


def test_a_chosen_stage_deploys_the_others_become_manual_and_watch_ends_when_it_succeeds(
    emu: Emulator,
) -> None:
    build(emu)
    clock = DrivingClock(finish_job(emu, "Staging"))
    result = slotwise(emu, "release", "start", "orders-api", "--stage", "Staging", "--watch", clock=clock)
    assert result.exit_code == 0, result.output
    assert "stage Production: manual in this release: deploys only when someone deploys it" in result.output
    assert "Stage Staging: succeeded" in result.output
    assert "Release-1 succeeded." in result.output
    production = next(s for s in releases(emu)[0]["stages"] if s["name"] == "Production")
    assert (production["status"], production["pendingApprovals"]) == ("notStarted", [])
    assert clock.sleeps == [5.0]


# ---- --watch --------------------------------------------------------------------------------
def test_watch_prints_tasks_with_their_last_lines_and_ends_waiting_for_approval(emu: Emulator) -> None:
    build(emu)
    clock = DrivingClock(finish_job(emu, "Staging"))
    before = served_release_gets(emu)
    result = slotwise(emu, "release", "start", "orders-api", "--watch", "--poll", "2", clock=clock)
    assert result.exit_code == 11, result.output
    lines = result.output.splitlines()
    assert "Stage Staging: deploying (attempt 1)" in lines
    smoke = lines.index("  Staging / Smoke test func-orders/staging: succeeded")
    assert lines[smoke + 1 : smoke + 6] == [f"      | Smoke line {n}" for n in range(4, 9)]
    assert lines.index("Stage Staging: succeeded") > smoke
    waiting = [line for line in lines if line.startswith("Stage Production: waiting for approval")]
    assert len(waiting) == 2
    assert f"by {LEAD}, since " in waiting[0]
    assert "times out " in waiting[0]
    assert f"any member of {GROUP}" in waiting[1]
    assert (
        f"error: Release-1 waits for a person: stage Production waits for approval by {LEAD} or "
        in result.output
    )
    assert clock.sleeps == [2.0]
    assert served_release_gets(emu) - before == 2  # one get_release per poll


def test_watch_of_a_failed_deployment_exits_12_with_the_failed_task_log(emu: Emulator) -> None:
    build(emu)
    clock = DrivingClock(finish_job(emu, "Staging", "failed"))
    result = slotwise(emu, "release", "start", "orders-api", "--watch", clock=clock)
    assert result.exit_code == 12, result.output
    assert "  Staging / Guard func-orders/staging against overwrite (park): failed" in result.output
    assert "      | Guard line 8" in result.output
    assert "Stage Staging: failed" in result.output
    assert "error: Release-1 failed: stage Staging's deployment failed: task 'Guard" in result.output
    assert "waiting for approval" not in result.output


def test_watch_of_a_rejected_release_exits_13_saying_who_and_why(emu: Emulator) -> None:
    build(emu)

    def staged_then_rejected() -> None:  # the approver decides before the next poll
        finish_job(emu, "Staging")()
        decide(emu, LEAD, "rejected", "not today")()

    clock = DrivingClock(staged_then_rejected)
    result = slotwise(emu, "release", "start", "orders-api", "--watch", clock=clock)
    assert result.exit_code == 13, result.output
    assert "Stage Staging: succeeded" in result.output
    assert f'Stage Production: rejected before deployment by {LEAD}: "not today"' in result.output
    assert "Stage Production: rejected" in result.output.splitlines()
    assert (
        "error: Release-1 stopped: stage Production was rejected before its deployment "
        f'by {LEAD}, saying "not today"' in result.output
    )
    again = slotwise(emu, "release", "status", "1", "--watch", clock=clock)  # a rejected release: at once
    assert again.exit_code == 13, again.output
    assert clock.sleeps == [5.0]


def test_watch_follows_an_approved_release_through_production(emu: Emulator) -> None:
    build(emu)
    clock = DrivingClock(finish_job(emu, "Staging"))
    assert slotwise(emu, "release", "start", "orders-api", "--watch", clock=clock).exit_code == 11
    waiting = slotwise(emu, "release", "status", "1", "--watch", clock=clock)
    assert waiting.exit_code == 11  # still waiting: watching ends at once
    assert clock.sleeps == [5.0]
    decide(emu, OPS, "approved", "smoke green")()
    clock.steps = [finish_job(emu, "Production", "succeededWithIssues")]
    result = slotwise(
        emu, "release", "status", "--definition", "orders-api", "--watch", "-o", "json", clock=clock
    )
    assert result.exit_code == 0, result.output
    final = json.loads(result.stdout)
    assert final["ending"] == "succeeded"
    assert [s["state"] for s in final["stages"]] == ["succeeded", "partiallySucceeded"]
    assert final["stages"][1]["decisions"][0]["by"] == OPS
    said = result.stderr
    assert f'Stage Production: approved before deployment by {OPS}: "smoke green"' in said
    assert "Stage Production: deploying (attempt 1)" in said
    assert "Production / Swap staging of func-orders" in said
    assert "warning: Release-1: stage Production only partially succeeded" in said


def test_watch_gives_up_after_the_timeout_and_ctrl_c_stops_watching(emu: Emulator) -> None:
    build(emu)
    clock = DrivingClock()
    late = slotwise(
        emu, "release", "start", "orders-api", "--watch", "--poll", "5", "--timeout", "12", clock=clock
    )
    assert late.exit_code == 6, late.output
    assert "Stopped watching Release-1 after 12 s: it is still going on in Azure DevOps." in late.output
    assert clock.sleeps == [5.0, 5.0, 2.0]

    def interrupt() -> None:
        raise KeyboardInterrupt

    stopped = slotwise(emu, "release", "status", "1", "--watch", clock=DrivingClock(interrupt))
    assert stopped.exit_code == 130, stopped.output
    assert "Stopped watching Release-1 (Ctrl-C): the release goes on in Azure DevOps." in stopped.output
    assert [j["stage"] for j in emu.pending_jobs()] == ["Staging"]


# ---- status and logs --------------------------------------------------------------------------------
def test_status_shows_the_build_stages_tasks_and_approvals(emu: Emulator) -> None:
    made = build(emu)
    assert slotwise(emu, "release", "start", "orders-api").exit_code == 0
    finish_job(emu, "Staging")()
    text = slotwise(emu, "release", "status", "1")
    assert text.exit_code == 0, text.output
    out = text.output.splitlines()
    assert out[0] == f"Release-1 (id 1) of {PROJECT}/orders-api: active"
    assert (
        f"  build: orders-api-CI {made.build_number}, branch {SIDE}, "
        f"commit {made.source_version} (artifact drop)" in out
    )
    assert "Stage Staging: succeeded" in out
    assert "  succeeded          Smoke test func-orders/staging" in out
    assert "Stage Production: waiting for approval" in out
    assert any(
        line.startswith("  approval ") and f"(before deployment): {LEAD}, waiting since" in line
        for line in out
    )
    shown = json.loads(
        slotwise(emu, "release", "status", "-d", "orders-api", "--latest", "-o", "json").output
    )
    assert shown["ending"] == "waiting"
    assert shown["builds"][0]["number"] == made.build_number
    assert [s["state"] for s in shown["stages"]] == ["succeeded", "waitingForApproval"]
    assert [p["whoMayApprove"] for p in shown["stages"][1]["approvalsPending"]] == [
        LEAD,
        f"any member of {GROUP}",
    ]
    missing = slotwise(emu, "release", "status", "99")
    assert missing.exit_code == 4
    assert "There is no release 99 in any project you can see." in missing.output
    neither = slotwise(emu, "release", "status")
    assert neither.exit_code == 2


def test_logs_print_each_task_of_each_stage_and_say_a_stage_never_deployed(emu: Emulator) -> None:
    build(emu)
    assert slotwise(emu, "release", "start", "orders-api", "--stage", "Staging").exit_code == 0
    finish_job(emu, "Staging")()
    result = slotwise(emu, "release", "logs", "1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "=== Stage Staging (attempt 1): succeeded ==="
    assert lines[1] == "--- Guard func-orders/staging against overwrite (park): succeeded ---"
    assert lines[2:10] == [f"Guard line {n}" for n in range(1, 9)]
    assert "--- Smoke test func-orders/staging: succeeded ---" in lines
    assert lines[-1] == "=== Stage Production: never deployed (not started) ==="
    one = slotwise(emu, "release", "logs", "1", "--stage", "production")
    assert one.output.splitlines() == ["=== Stage Production: never deployed (not started) ==="]
    unknown = slotwise(emu, "release", "logs", "1", "--stage", "Prodution")
    assert unknown.exit_code == 2
    assert (
        "Release-1 has no stage 'Prodution' (did you mean 'Production'?); its stages are Staging, Production."
        in (unknown.output)
    )


def test_a_task_log_the_service_refuses_is_said_and_watching_goes_on(emu: Emulator) -> None:
    build(emu)
    add_fault(
        emu, kind="devops", path="tasks/[0-9]+/logs", method="GET", status=404, shape="devops",
        code="ReleaseTaskLogNotFoundException", message="The log is gone.",
    )  # fmt: skip
    result = slotwise(
        emu, "release", "start", "orders-api", "--watch", clock=DrivingClock(finish_job(emu, "Staging"))
    )
    assert result.exit_code == 11, result.output
    assert "  Staging / Smoke test func-orders/staging: succeeded" in result.output
    assert "      | (its log could not be read: Azure DevOps refused reading the log of task" in result.output
    assert "The log is gone." in result.output


def test_a_refused_create_is_one_message_without_the_pat(emu: Emulator) -> None:
    build(emu)
    add_fault(
        emu, kind="devops", path="release/releases$", method="POST", status=403, shape="devops",
        code="AccessCheckException", message="VS402904: Access denied: you need Create releases permission.",
    )  # fmt: skip
    result = slotwise(emu, "release", "start", "orders-api")
    assert result.exit_code == 3, result.output
    assert "Azure DevOps refused creating a release of definition 1 in 'Fabrikam'" in result.output
    assert "VS402904" in result.output
    assert "Create releases permission" in result.output
    assert "Traceback" not in result.output
    assert devops_env(emu)["AZURE_DEVOPS_EXT_PAT"] not in result.output
    assert releases(emu) == []


def test_watch_of_a_release_queued_behind_one_waiting_for_approval_exits_11_naming_it(
    emu: Emulator,
) -> None:
    build(emu)
    first = slotwise(emu, "release", "start", "orders-api", "--watch", "--poll", "2",
                     clock=DrivingClock(finish_job(emu, "Staging")))  # fmt: skip
    assert first.exit_code == 11, first.output  # Release-1 waits in Production for its approvers
    clock = DrivingClock(finish_job(emu, "Staging"))
    second = slotwise(emu, "release", "start", "orders-api", "--watch", "--poll", "2", clock=clock)
    assert second.exit_code == 11, second.output
    assert "Stage Production: queued" in second.output
    assert (
        "Release-2 waits for a person: stage Production is queued (one deployment at a time) behind "
        f"Release-1, whose stage Production waits for approval by {LEAD} or any member of {GROUP}"
    ) in " ".join(second.output.split())
    assert len(clock.sleeps) <= 2  # it did not poll on until the timeout
