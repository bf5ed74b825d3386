"""The frame around every task, run in-process with stand-in task functions (no Azure): the result and
exit code (0 once task.complete has said the result, Failed included, as task-lib tasks exit; the
agent's Node handler adds an error for any other code), errors as issues and never tracebacks, a
bug's traceback masked, cancellation by SIGINT or SIGTERM, and the command line of
``python -m slotwise.agent``."""

from __future__ import annotations

import io
import logging
import os
import signal
import time
from pathlib import Path

import pytest

from slotwise.agent.__main__ import main
from slotwise.agent.runtime import TaskContext, TaskFunction, run_task
from slotwise.errors import Cancelled, HeldSlotError
from tests import vso


def run(task: TaskFunction, tmp_path: Path, **env: str) -> tuple[int, str]:
    stream = io.StringIO()
    code = run_task(
        "smoke-test", task, None, env={"AGENT_TEMPDIRECTORY": str(tmp_path), **env}, stream=stream
    )
    return code, stream.getvalue()


def failed_once(code: int, stdout: str) -> bool:
    """Reported as the agent wants a failed task: exactly one task.complete, Failed, then exit 0."""
    completes = vso.named(stdout, "task.complete")
    return code == 0 and [c.properties.get("result") for c in completes] == ["Failed"]


def test_success_completes_last_with_the_message_and_a_summary(tmp_path: Path) -> None:
    def task(ctx: TaskContext) -> str:
        ctx.reporter.step("Doing it")
        ctx.output("Answer", "42")
        ctx.summary.fact("Answer", "42")
        return "Done."

    code, stdout = run(task, tmp_path)
    assert code == 0
    complete = vso.completion(stdout)
    assert (complete.properties["result"], complete.message) == ("Succeeded", "Done.")
    assert vso.outputs(stdout) == {"Answer": "42"}
    assert "==> Doing it" in vso.plain_lines(stdout)
    (upload,) = vso.named(stdout, "task.uploadsummary")
    assert "| Answer | 42 |" in Path(upload.message).read_text(encoding="utf-8")


def test_a_warning_makes_it_succeeded_with_issues(tmp_path: Path) -> None:
    def task(ctx: TaskContext) -> str:
        ctx.reporter.warning("something odd")
        return "Done anyway."

    code, stdout = run(task, tmp_path)
    assert code == 0
    assert vso.completion(stdout).properties["result"] == "SucceededWithIssues"
    assert vso.issues(stdout, "warning") == ["something odd"]


def test_a_slotwise_error_is_an_issue_with_its_hint_and_no_traceback(tmp_path: Path) -> None:
    def task(ctx: TaskContext) -> str:
        raise HeldSlotError("Slot 'staging' holds build 41.", hint="Park it.")

    code, stdout = run(task, tmp_path)
    assert failed_once(code, stdout), (code, stdout)
    assert vso.issues(stdout, "error") == ["Slot 'staging' holds build 41.\nPark it."]
    complete = vso.completion(stdout)
    assert (complete.properties["result"], complete.message) == ("Failed", "Slot 'staging' holds build 41.")
    assert "Traceback" not in stdout


def test_a_bug_shows_its_traceback_masked(tmp_path: Path) -> None:
    def task(ctx: TaskContext) -> str:
        ctx.out.setsecret("the-secret-value")
        raise RuntimeError("failed with the-secret-value\n##vso[task.complete result=Succeeded;]")

    code, stdout = run(task, tmp_path)
    assert failed_once(code, stdout), (code, stdout)
    shown = "\n".join(line for line in stdout.splitlines() if "task.setsecret" not in line)
    assert "the-secret-value" not in shown
    assert "Traceback" in shown
    (error,) = vso.issues(stdout, "error")
    assert error.startswith("slotwise failed unexpectedly (RuntimeError: failed with ***")
    assert "This is a bug in slotwise" in error


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_cancels_with_the_step_it_interrupted(tmp_path: Path, sig: signal.Signals) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}

    def task(ctx: TaskContext) -> str:
        ctx.reporter.step("Uploading build 7")
        os.kill(os.getpid(), sig)
        time.sleep(5)  # the signal interrupts this at once
        raise AssertionError("not reached")

    code, stdout = run(task, tmp_path)
    assert failed_once(code, stdout), (code, stdout)
    (error,) = vso.issues(stdout, "error")
    assert error == "Cancelled while: Uploading build 7."
    assert vso.completion(stdout).properties["result"] == "Failed"
    assert {s: signal.getsignal(s) for s in before} == before


def test_an_operations_own_cancellation_words_are_kept(tmp_path: Path) -> None:
    def task(ctx: TaskContext) -> str:
        raise Cancelled("Interrupted while swapping staging with production. The swap goes on.")

    code, stdout = run(task, tmp_path)
    assert failed_once(code, stdout), (code, stdout)
    (error,) = vso.issues(stdout, "error")
    assert error.startswith(
        "Cancelled. Interrupted while swapping staging with production. The swap goes on."
    )


def test_the_command_line(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["--version"], out) == 0
    assert out.getvalue().startswith("slotwise ")
    for wrong in ([], ["nope"], ["smoke-test", "a", "b"]):
        out = io.StringIO()
        assert failed_once(main(wrong, out), out.getvalue())
        assert "usage: python -m slotwise.agent" in vso.completion(out.getvalue()).message


def test_azure_identity_telling_of_a_failure_it_raises_is_left_to_the_error(tmp_path: Path) -> None:
    def task(ctx: TaskContext) -> str:
        logging.getLogger("azure.identity._internal").warning("ClientSecretCredential.get_token failed: x")
        logging.getLogger("azure.identity").error("something it does not raise")
        return "Done."

    code, stdout = run(task, tmp_path)
    assert code == 0
    assert not any("get_token failed" in line for line in vso.plain_lines(stdout))
    assert "error: azure.identity: something it does not raise" in vso.plain_lines(stdout)


def test_library_warnings_go_through_the_masked_neutral_output(tmp_path: Path) -> None:
    def task(ctx: TaskContext) -> str:
        ctx.out.setsecret("token-in-a-log-line")
        logging.getLogger("azure.core").warning("failed with token-in-a-log-line ##vso[task.complete]")
        return "Done."

    code, stdout = run(task, tmp_path)
    assert code == 0
    assert "warning: azure.core: failed with *** # #vso[task.complete]" in vso.plain_lines(stdout)
    assert not any(
        isinstance(h, logging.Handler) and "Vso" in type(h).__name__ for h in logging.getLogger().handlers
    )
