"""Jobs of several tasks run by the emulated agent: order, results, conditions, variables passed on,
masking, timeouts and cancellation (real ``node`` processes running tests/agent/step.js)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from slotwise_emulator.agent.commands import MASK
from slotwise_emulator.agent.job import run_job
from slotwise_emulator.backends.devops_jobs import Artifact, Variable
from slotwise_emulator.backends.devops_tasks import TaskFolder
from tests.agent.support import FAST, STEP_MANIFEST, folder, job, needs_node, run_steps, step

pytestmark = needs_node


def lines(outcome_log: list[str]) -> list[str]:
    """The task's own output, without the agent's header and footer lines."""
    return [
        line for line in outcome_log if not line.startswith(("##[section]", "Task ", "Version ", "[Node"))
    ]


def test_a_failed_task_stops_the_later_ones_and_fails_the_job(tmp_path: Path) -> None:
    outcome = run_steps(
        tmp_path, job((step("one", "say 1"), step("two", "say 2 && exit 3"), step("three", "say 3")))
    )
    assert [(t.name, t.result) for t in outcome.tasks] == [
        ("one", "succeeded"),
        ("two", "failed"),
        ("three", "skipped"),
    ]
    assert outcome.result == "failed"
    assert any("Exit code 3" in line for line in outcome.tasks[1].log)


def test_continue_on_error_makes_a_failure_succeeded_with_issues_and_later_tasks_run(tmp_path: Path) -> None:
    tasks = (step("one", "exit 1", continue_on_error=True), step("two", "say ran"))
    outcome = run_steps(tmp_path, job(tasks))
    assert [t.result for t in outcome.tasks] == ["succeededWithIssues", "succeeded"]
    assert outcome.result == "succeededWithIssues"
    assert "ran" in lines(outcome.tasks[1].log)


def test_always_run_and_condition_always_run_after_a_failure_and_failed_only_then(tmp_path: Path) -> None:
    tasks = (
        step("bad", "exit 1"),
        step("cleanup", "say cleaned", always_run=True),
        step("report", "say reported", condition="always()"),
        step("on failure", "say noticed", condition="failed()"),
        step("normal", "say never"),
        step("off", "say never", enabled=False),
    )
    outcome = run_steps(tmp_path, job(tasks))
    assert [t.result for t in outcome.tasks] == [
        "failed",
        "succeeded",
        "succeeded",
        "succeeded",
        "skipped",
        "skipped",
    ]
    assert outcome.result == "failed"
    ok = run_steps(
        tmp_path / "again", job((step("fine", "say ok"), step("on failure", "say x", condition="failed()")))
    )
    assert [t.result for t in ok.tasks] == ["succeeded", "skipped"]
    assert ok.result == "succeeded"


def test_a_condition_the_agent_cannot_evaluate_fails_the_task_saying_so(tmp_path: Path) -> None:
    outcome = run_steps(tmp_path, job((step("odd", "say x", condition="eq(variables['a'], 'b')"),)))
    assert outcome.tasks[0].result == "failed"
    assert "cannot evaluate the condition" in outcome.tasks[0].log[0]


def test_variables_set_by_a_task_reach_later_ones_and_secrets_stay_secret(tmp_path: Path) -> None:
    tasks = (
        step(
            "setter",
            "vso task.setvariable variable=color]blue"
            " && vso task.setvariable variable=token;issecret=true]s3cr3t-v",
        ),
        step("reader", "env COLOR && env TOKEN && env SECRET_TOKEN && say the token is s3cr3t-v"),
        step("out", "vso task.setvariable variable=url;isOutput=true]https://app"),
        step("user", "env OUT_URL"),
    )
    outcome = run_steps(tmp_path, job(tasks, {"Preset": Variable("pre-secret", secret=True)}))
    assert lines(outcome.tasks[1].log) == [
        "COLOR=blue",
        "TOKEN unset",
        f"SECRET_TOKEN={MASK}",
        f"the token is {MASK}",
    ]
    assert outcome.outputs == {"out.url": Variable("https://app")}
    assert lines(outcome.tasks[3].log) == ["OUT_URL=https://app"]


def test_setsecret_masks_every_later_line_and_a_secret_variable_is_masked_from_the_start(
    tmp_path: Path,
) -> None:
    script = (
        "say before minted-key && vso task.setsecret]minted-key && say after minted-key && say pw pre-secret"
    )
    outcome = run_steps(tmp_path, job((step("t", script),), {"Preset": Variable("pre-secret", secret=True)}))
    assert lines(outcome.tasks[0].log) == ["before minted-key", f"after {MASK}", f"pw {MASK}"]


def test_task_complete_sets_the_result_and_the_exit_code_still_counts(tmp_path: Path) -> None:
    tasks = (
        step("issues", "vso task.complete result=SucceededWithIssues]done"),
        step("failed by command", "vso task.complete result=Failed]broken", continue_on_error=True),
        step("fails anyway", "vso task.complete result=Succeeded]fine && exit 2"),
    )
    outcome = run_steps(tmp_path, job(tasks))
    assert [t.result for t in outcome.tasks] == ["succeededWithIssues", "succeededWithIssues", "failed"]


def test_a_task_past_its_timeout_is_interrupted_and_fails_and_the_job_goes_on(tmp_path: Path) -> None:
    tasks = (
        step("slow", "say started && sleep 30", timeout_minutes=1),
        step("next", "say next ran", always_run=True),
    )
    began = time.monotonic()
    outcome = run_steps(tmp_path, job(tasks))  # a minute lasts 0.5 s here
    assert time.monotonic() - began < 10
    slow = outcome.tasks[0]
    assert slow.result == "failed"
    assert "got SIGINT" in slow.log  # SIGINT first, as the agent sends it
    assert any("timed out" in line for line in slow.log)
    assert outcome.tasks[1].result == "succeeded"


def test_the_jobs_timeout_cancels_it_with_sigterm_after_sigint_is_ignored(tmp_path: Path) -> None:
    tasks = (step("stubborn", "stubborn && say waiting && sleep 30"), step("later", "say x", always_run=True))
    began = time.monotonic()
    outcome = run_steps(tmp_path, job(tasks, timeout_minutes=1))
    assert time.monotonic() - began < 10
    assert outcome.result == "canceled"
    assert outcome.tasks[0].result == "canceled"
    assert "ignoring SIGINT" in outcome.tasks[0].log  # then SIGTERM ended it
    assert any("ran longer than the maximum time of 1 minutes" in line for line in outcome.tasks[0].log)
    assert outcome.tasks[1].result == "skipped"


def test_a_cancelled_job_stops_its_task_and_skips_the_rest(tmp_path: Path) -> None:
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    outcome = run_steps(tmp_path, job((step("long", "sleep 30"), step("after", "say x"))), cancel)
    assert outcome.result == "canceled"
    assert [t.result for t in outcome.tasks] == ["canceled", "skipped"]
    assert "got SIGINT" in outcome.tasks[0].log


def test_artifacts_are_downloaded_into_the_default_working_directory_which_is_the_tasks_cwd(
    tmp_path: Path,
) -> None:
    artifact = Artifact("_app", {"drop/app.zip": b"zip!", "readme.txt": b"hi"})
    script = "env SYSTEM_DEFAULTWORKINGDIRECTORY && env AGENT_TEMPDIRECTORY && env RELEASE_RELEASEID"
    deployment = job((step("look", script),), {"Release.ReleaseId": Variable("42")}, artifacts=(artifact,))
    seen: dict[str, bytes] = {}

    outcome = run_steps(tmp_path, deployment)
    default = tmp_path / "_work" / "r1" / "a"
    seen = {p.relative_to(default).as_posix(): p.read_bytes() for p in default.rglob("*") if p.is_file()}
    assert seen == {"_app/drop/app.zip": b"zip!", "_app/readme.txt": b"hi"}
    assert lines(outcome.tasks[0].log) == [
        f"SYSTEM_DEFAULTWORKINGDIRECTORY={default}",
        f"AGENT_TEMPDIRECTORY={tmp_path / '_work' / '_temp'}",
        "RELEASE_RELEASEID=42",
    ]


def test_an_artifact_path_leaving_its_directory_fails_the_job_before_any_task(tmp_path: Path) -> None:
    deployment = job((step("never", "say x"),), artifacts=(Artifact("a", {"../../escape": b"x"}),))
    outcome = run_steps(tmp_path, deployment)
    assert outcome.result == "failed"
    assert [t.name for t in outcome.tasks] == ["Initialize job"]
    assert not (tmp_path / "escape").exists()


def test_a_task_without_code_fails_with_the_reason(tmp_path: Path) -> None:
    deployment = job((step("builtin", "say x"), step("next", "say y")))
    reason = LookupError("Task AzureFunctionApp@2.* (501dd25d) is a built-in Microsoft task: no code.")
    outcome = run_job(deployment, [reason, reason], tmp_path, FAST, threading.Event())
    assert outcome.tasks[0].result == "failed"
    assert f"##[error]{reason}" in outcome.tasks[0].log
    assert outcome.tasks[1].result == "skipped"


def test_a_task_printing_without_pause_still_times_out(tmp_path: Path) -> None:
    began = time.monotonic()
    outcome = run_steps(tmp_path, job((step("chatty", "spam", timeout_minutes=1),)))
    assert time.monotonic() - began < 10
    assert outcome.tasks[0].result == "failed"
    assert any("timed out" in line for line in outcome.tasks[0].log)


def test_a_task_without_a_node_handler_or_that_cannot_start_fails_saying_why(tmp_path: Path) -> None:
    powershell = dict(STEP_MANIFEST, execution={"PowerShell3": {"target": "run.ps1"}})
    elsewhere = dict(
        STEP_MANIFEST, execution={"Node20_1": {"target": "index.js", "workingDirectory": "/nonexistent/x"}}
    )
    deployment = job((step("ps", "say x", continue_on_error=True), step("cwd", "say x")))
    folders: list[TaskFolder | LookupError] = [folder(powershell, "step.js"), folder(elsewhere, "step.js")]
    outcome = run_job(deployment, folders, tmp_path, FAST, threading.Event())
    assert [t.result for t in outcome.tasks] == ["succeededWithIssues", "failed"]
    assert (
        "##[error]The task declares no Node execution handler (it declares: PowerShell3)."
        in outcome.tasks[0].log
    )
    assert any(line.startswith("##[error]Cannot start node") for line in outcome.tasks[1].log)
