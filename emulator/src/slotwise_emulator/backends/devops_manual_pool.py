"""The default agent pool of the emulated release service: it runs nothing, it holds jobs.

A ``ManualPool`` keeps every deployment job it is handed until the driver or the control plane
completes it (``complete``: a result, log lines per task, summaries) or the release service cancels
it. So the whole release flow is testable without an agent (Node). Another pool (the emulated Node
agent) replaces it through ``ReleasesBackend.pool``; both follow ``devops_jobs.AgentPool``.

Must not: know releases (it sees only ``DeploymentJob``); run anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from slotwise_emulator.backends.devops_jobs import DeploymentJob, JobOutcome, Result, TaskOutcome, Variable

_RESULTS = ("succeeded", "succeededWithIssues", "failed", "canceled", "skipped")


@dataclass
class ManualPool:
    """Jobs waiting for a person (a test) to say how they ended."""

    pending: dict[str, tuple[DeploymentJob, Callable[[JobOutcome], None]]] = field(default_factory=dict)
    finished: list[str] = field(default_factory=list)  # job ids, in the order they ended

    def start(self, job: DeploymentJob, done: Callable[[JobOutcome], None]) -> None:
        self.pending[job.job_id] = (job, done)

    def cancel(self, job_id: str) -> None:
        self.pending.pop(job_id, None)

    def jobs(self) -> list[DeploymentJob]:
        """The jobs waiting, oldest first."""
        return [job for job, _ in self.pending.values()]

    def complete(
        self,
        job_id: str,
        result: str,
        *,
        logs: dict[str, Sequence[str]] | None = None,
        summaries: Sequence[tuple[str, str]] = (),
        outputs: dict[str, str] | None = None,
        task_results: dict[str, str] | None = None,
    ) -> JobOutcome:
        """End the job: ``result`` (succeeded, succeededWithIssues, failed, canceled, skipped); ``logs``
        by task name; each task's result is ``task_results``' or the job's (``KeyError`` for an
        unknown job, ``ValueError`` for an unknown result)."""
        if job_id not in self.pending:
            raise KeyError(f"No deployment job '{job_id}' is waiting in the manual agent pool.")
        for given in (result, *(task_results or {}).values()):
            if given not in _RESULTS:
                raise ValueError(f"A job's result is one of {', '.join(_RESULTS)}, not '{given}'.")
        job, done = self.pending.pop(job_id)
        tasks = [
            TaskOutcome(
                name=task.name,
                result=_result((task_results or {}).get(task.name, result)),
                log=list((logs or {}).get(task.name, ())),
            )
            for task in job.tasks
            if task.enabled
        ]
        outcome = JobOutcome(
            result=_result(result),
            tasks=tasks,
            outputs={k: Variable(v) for k, v in (outputs or {}).items()},
            summaries=list(summaries),
        )
        self.finished.append(job_id)
        done(outcome)
        return outcome


def _result(value: str) -> Result:
    for known in ("succeeded", "succeededWithIssues", "failed", "canceled", "skipped"):
        if value == known:
            return known
    raise ValueError(value)
