"""``NodeAgentPool``: the emulated agent pool the release service hands deployment jobs to.

Owns: a queue of jobs and N agents (threads), each running one job at a time in a temporary working
directory of its own (removed afterwards); looking up the tasks' folders when a job is started (on the
caller's thread, the emulator's loop, so the organization's records are read where they live);
cancellation (a queued job ends canceled at once; a running one has its task stopped); delivering each
job's outcome exactly once through ``post`` (the emulator's loop), never from an agent's thread.

Must not: know releases or HTTP; change the organization's records.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from slotwise_emulator.agent.job import AgentSettings, run_job
from slotwise_emulator.backends.devops_jobs import DeploymentJob, JobOutcome, TaskOutcome
from slotwise_emulator.backends.devops_tasks import TaskFolder

Resolve = Callable[[str, str, str], TaskFolder]
"""(organization, task id, version spec) → the installed task's folder; ``LookupError`` saying why not
(``devops_tasks.task_folder`` over the organization's records)."""
Post = Callable[[Callable[[], None]], object]
"""Runs a callable on the emulator's loop (e.g. ``loop.call_soon_threadsafe``)."""


@dataclass
class _Entry:
    job: DeploymentJob
    folders: list[TaskFolder | LookupError]
    done: Callable[[JobOutcome], None]
    cancel: threading.Event = field(default_factory=threading.Event)


class NodeAgentPool:
    """An ``AgentPool`` of ``agents`` emulated agents that run Node task folders as the Azure Pipelines
    agent does (see emulator/README.md, "The emulated agent")."""

    def __init__(
        self,
        resolve: Resolve,
        post: Post,
        agents: int = 1,
        settings: AgentSettings | None = None,
        work_root: Path | None = None,
    ) -> None:
        if agents < 1:
            raise ValueError("A pool needs at least one agent.")
        self._resolve, self._post = resolve, post
        self._settings = settings or AgentSettings()
        self._work_root = work_root
        self._queue: list[_Entry] = []
        self._running: dict[str, _Entry] = {}
        self._lock = threading.Condition()
        self._closed = False
        self._agents = [
            threading.Thread(target=self._work, name=f"{self._settings.name}-{n + 1}", daemon=True)
            for n in range(agents)
        ]
        for agent in self._agents:
            agent.start()

    @property
    def settings(self) -> AgentSettings:
        """How its agents behave (their environment, tools directory...)."""
        return self._settings

    def start(self, job: DeploymentJob, done: Callable[[JobOutcome], None]) -> None:
        """Queue ``job``; ``done`` is posted once, with its outcome, when it ends."""
        folders: list[TaskFolder | LookupError] = []
        for task in job.tasks:
            try:
                folders.append(self._resolve(job.organization, task.task_id, task.version_spec))
            except LookupError as exc:
                folders.append(exc)
        with self._lock:
            if self._closed:
                raise RuntimeError("The agent pool is closed.")
            self._queue.append(_Entry(job, folders, done))
            self._lock.notify()

    def cancel(self, job_id: str) -> None:
        """Cancel a job: a queued one ends canceled now; a running one's task is stopped (SIGINT, then
        SIGTERM) and the later tasks are skipped. An unknown or finished job: nothing happens."""
        with self._lock:
            queued = next((entry for entry in self._queue if entry.job.job_id == job_id), None)
            if queued is not None:
                self._queue.remove(queued)
            running = self._running.get(job_id)
        if queued is not None:
            outcome = JobOutcome("canceled", [TaskOutcome(t.name, "skipped") for t in queued.job.tasks])
            self._deliver(queued, outcome)
        if running is not None:
            running.cancel.set()

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking jobs, cancel those queued and running, and wait for the agents."""
        with self._lock:
            self._closed = True
            queued, self._queue = self._queue, []
            running = list(self._running.values())
            self._lock.notify_all()
        for entry in queued:
            self._deliver(
                entry, JobOutcome("canceled", [TaskOutcome(t.name, "skipped") for t in entry.job.tasks])
            )
        for entry in running:
            entry.cancel.set()
        for agent in self._agents:
            agent.join(timeout)

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._lock.wait()
                if self._closed and not self._queue:
                    return
                entry = self._queue.pop(0)
                self._running[entry.job.job_id] = entry
            try:
                outcome = self._run(entry)
            finally:
                with self._lock:
                    self._running.pop(entry.job.job_id, None)
            self._deliver(entry, outcome)

    def _run(self, entry: _Entry) -> JobOutcome:
        if self._work_root is not None:
            self._work_root.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="agent-job-", dir=self._work_root))
        try:
            return run_job(entry.job, entry.folders, root, self._settings, entry.cancel)
        except Exception as exc:  # an agent never dies with its job: the job fails, saying why
            return JobOutcome(
                "failed", [TaskOutcome("Run job", "failed", [f"##[error]The agent failed: {exc!r}"])]
            )
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _deliver(self, entry: _Entry, outcome: JobOutcome) -> None:
        done = entry.done
        self._post(lambda: done(outcome))
