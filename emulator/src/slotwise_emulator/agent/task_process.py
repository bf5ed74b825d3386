"""One task of a job, run as the agent runs a Node task: pick the handler, start ``node`` on its target
with the mapped environment, read its output line by line, act on each ``##vso`` command, mask secrets,
and stop it (SIGINT, then SIGTERM, then SIGKILL) when its time is up or the job is cancelled.

Owns: the task's result (exit code, ``task.complete``, timeout, cancellation) and its log.
Must not: decide whether a task runs (the job does), know releases.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from slotwise_emulator.agent import environment
from slotwise_emulator.agent.commands import Command, CommandError, SecretMasker, parse
from slotwise_emulator.backends.devops_jobs import (
    Endpoint,
    JobOutcome,
    JobTask,
    Result,
    TaskOutcome,
    Variable,
)
from slotwise_emulator.backends.devops_tasks import TaskFolder

# newest first: the agent runs the newest Node handler a task declares (node on PATH runs them all here)
HANDLERS = ("Node24", "Node20_1", "Node16", "Node10", "Node")
_RESULTS: dict[str, Result] = {
    "succeeded": "succeeded",
    "succeededwithissues": "succeededWithIssues",
    "failed": "failed",
    "canceled": "canceled",
    "cancelled": "canceled",
    "skipped": "skipped",
}
_SEVERITY: dict[Result, int] = {
    "succeeded": 0,
    "succeededWithIssues": 1,
    "failed": 2,
    "canceled": 3,
    "skipped": 4,
}


class Ending(Enum):
    """How the process ended."""

    EXITED = "exited"
    TIMED_OUT = "timed out"  # the task's own timeout
    CANCELED = "canceled"  # the job was cancelled or ran out of time


@dataclass(frozen=True)
class Limit:
    """When the task must stop (``time.monotonic()``), whether that is the job's end (the job is
    cancelled) or the task's own timeout (the task fails), and what the log says then."""

    deadline: float
    cancels_job: bool
    message: str


@dataclass
class JobContext:
    """What the tasks of one job share (the job updates it; each task reads and adds to it)."""

    variables: dict[str, Variable]
    endpoints: dict[str, Endpoint]  # by id
    masker: SecretMasker
    outcome: JobOutcome
    base_env: dict[str, str]
    working_directory: Path
    cancel: threading.Event
    grace_seconds: float = 7.5  # between SIGINT and SIGTERM (the agent's wait), and again before SIGKILL


def merge(first: Result, second: Result) -> Result:
    """The worse of two results, as the agent merges a command's result with the process's."""
    return first if _SEVERITY[first] >= _SEVERITY[second] else second


def run(
    step: JobTask, folder: TaskFolder, task_dir: Path, job: JobContext, limit: Limit
) -> tuple[TaskOutcome, Ending]:
    """Run the task (its folder already written to ``task_dir``) until it exits, the job is cancelled or
    ``limit`` passes; its outcome and how it ended (``CANCELED`` also when the job ran out of time)."""
    outcome = TaskOutcome(step.name, "succeeded")
    log = _Log(outcome, job.masker)
    log.line(f"##[section]Starting: {step.name}")
    version = ".".join(map(str, folder.definition.version))
    log.line(f"Task         : {folder.definition.friendly_name}")
    log.line(f"Version      : {version}")
    handler = _handler(folder.manifest)
    if handler is None:
        declared = ", ".join((folder.manifest.get("execution") or {}).keys()) or "none"
        log.line(f"##[error]The task declares no Node execution handler (it declares: {declared}).")
        outcome.result = "failed"
        log.line(f"##[section]Finishing: {step.name}")
        return outcome, Ending.EXITED
    name, data = handler
    target = str(data.get("target", "")).replace("$(currentDirectory)", str(task_dir))
    script = Path(target) if os.path.isabs(target) else task_dir / target
    cwd_text = str(data.get("workingDirectory") or "").replace("$(currentDirectory)", str(task_dir))
    cwd = Path(environment.expand(cwd_text, job.variables)) if cwd_text else job.working_directory
    inputs = environment.task_inputs(folder.manifest, step.inputs, job.variables, str(job.working_directory))
    endpoints = environment.referenced_endpoints(folder.manifest, inputs, job.endpoints)
    env = environment.process_environment(job.base_env, inputs, job.variables, endpoints)
    try:
        process = subprocess.Popen(
            ["node", str(script)],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        log.line(f"##[error]Cannot start node {script} in {cwd}: {exc.strerror or exc}.")
        outcome.result = "failed"
        log.line(f"##[section]Finishing: {step.name}")
        return outcome, Ending.EXITED
    log.line(f"[{name}] node {script}", masked=False)
    actions = _Actions(step, job, outcome, log, cwd)
    ending = Ending.EXITED
    for line in _lines(process, job, limit.deadline):
        if isinstance(line, Ending):
            ending = line
            continue
        actions.take(line)
    code = process.wait()
    if ending is Ending.TIMED_OUT:
        log.line(f"##[error]{limit.message}")
        outcome.result = "canceled" if limit.cancels_job else "failed"
        ending = Ending.CANCELED if limit.cancels_job else ending
    elif ending is Ending.CANCELED:
        log.line("##[error]The operation was canceled.")
        outcome.result = "canceled"
    else:
        result: Result = "succeeded" if code == 0 else "failed"
        if code != 0:
            log.line(
                f"##[error]Exit code {code} returned from process: file name 'node', arguments '{script}'."
            )
        outcome.result = merge(result, actions.completed or "succeeded")
    log.line(f"##[section]Finishing: {step.name}")
    return outcome, ending


def _handler(manifest: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    execution = manifest.get("execution") or {}
    by_name = {
        str(key).lower(): (str(key), value) for key, value in execution.items() if isinstance(value, dict)
    }
    for wanted in HANDLERS:
        if wanted.lower() in by_name:
            return by_name[wanted.lower()]
    return None


def _lines(process: subprocess.Popen[bytes], job: JobContext, deadline: float) -> Iterator[str | Ending]:
    """The process's output lines; an ``Ending`` when it had to be stopped (then the rest of its output)."""
    lines: queue.Queue[bytes | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            lines.put(raw)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    stopping: Ending | None = None
    while True:
        if stopping is None and (job.cancel.is_set() or time.monotonic() >= deadline):
            stopping = Ending.CANCELED if job.cancel.is_set() else Ending.TIMED_OUT
            yield stopping
            threading.Thread(target=_stop, args=(process, job.grace_seconds), daemon=True).start()
        try:
            raw = lines.get(timeout=0.05)
        except queue.Empty:
            continue
        if raw is None:
            return
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGINT to the task's process group, then SIGTERM, then SIGKILL, each after ``grace`` seconds."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


class _Log:
    def __init__(self, outcome: TaskOutcome, masker: SecretMasker) -> None:
        self.outcome, self.masker = outcome, masker

    def line(self, text: str, masked: bool = True) -> None:
        self.outcome.log.append(self.masker.mask(text) if masked else text)


class _Actions:
    """What the agent does with each output line of one task."""

    def __init__(self, step: JobTask, job: JobContext, outcome: TaskOutcome, log: _Log, cwd: Path) -> None:
        self.step, self.job, self.outcome, self.log, self.cwd = step, job, outcome, log, cwd
        self.completed: Result | None = None
        self.commands: dict[str, Callable[[Command], None]] = {
            "task.setvariable": self.set_variable,
            "task.setsecret": self.set_secret,
            "task.uploadsummary": self.upload_summary,
            "task.addattachment": self.add_attachment,
            "task.logissue": self.log_issue,
            "task.setprogress": self.set_progress,
            "task.complete": self.complete,
            "task.debug": self.debug,
            "task.prependpath": self.prepend_path,
        }

    def take(self, line: str) -> None:
        try:
            command = parse(line)
        except CommandError as exc:
            self.log.line(line)
            self.log.line(f"##[warning]Unable to process the logging command: {exc}.")
            return
        if command is None:
            self.log.line(line)
            return
        act = self.commands.get(command.name)
        if act is None:
            self.log.line(f"##[warning]The emulated agent does not process ##vso[{command.name}]: ignored.")
            return
        act(command)

    def set_variable(self, command: Command) -> None:
        name = command.properties.get("variable", "").strip()
        if not name:
            self.log.line("##[warning]##vso[task.setvariable] without a variable name: ignored.")
            return
        secret = command.flag("issecret")
        if secret and not self._add_secret(command.message):
            return
        variable = Variable(command.message, secret)
        if command.flag("isoutput"):
            name = f"{self.step.name}.{name}"
            self.job.outcome.outputs[name] = variable
        self.job.variables[name] = variable

    def set_secret(self, command: Command) -> None:
        self._add_secret(command.message)

    def _add_secret(self, value: str) -> bool:
        try:
            self.job.masker.add(value)
        except ValueError:
            self.log.line("##[warning]A secret may not span several lines: refused.")
            return False
        return True

    def upload_summary(self, command: Command) -> None:
        path = self.cwd / command.message.strip()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            self.log.line(f"##[warning]Cannot upload the summary {path}: {exc.strerror}.")
            return
        self.job.outcome.summaries.append((path.name, text))

    def add_attachment(self, command: Command) -> None:
        if command.properties.get("type", "").lower() == "distributedtask.core.summary":
            self.upload_summary(command)

    def log_issue(self, command: Command) -> None:
        kind = command.properties.get("type", "").lower()
        if kind not in ("error", "warning"):
            self.log.line(f"##[warning]##vso[task.logissue] of unknown type '{kind}': ignored.")
            return
        message = self.job.masker.mask(command.message)
        self.job.outcome.issues.append((kind, message))
        self.log.line(f"##[{kind}]{message}")

    def set_progress(self, command: Command) -> None:
        try:
            self.outcome.progress = max(0, min(100, int(command.properties.get("value", ""))))
        except ValueError:
            self.log.line("##[warning]##vso[task.setprogress] needs value=<0..100>: ignored.")

    def complete(self, command: Command) -> None:
        result = _RESULTS.get(command.properties.get("result", "succeeded").strip().lower())
        if result is None:
            self.log.line("##[warning]##vso[task.complete] with unknown result: ignored.")
            return
        self.completed = result if self.completed is None else merge(self.completed, result)
        if command.message:
            self.log.line(command.message)

    def debug(self, command: Command) -> None:
        wanted = self.job.variables.get("System.Debug")
        if wanted is not None and wanted.value.strip().lower() == "true":
            self.log.line(f"##[debug]{command.message}")

    def prepend_path(self, command: Command) -> None:
        path = command.message.strip()
        if path:
            old = self.job.base_env.get("PATH", "")
            self.job.base_env["PATH"] = path + (os.pathsep + old if old else "")
