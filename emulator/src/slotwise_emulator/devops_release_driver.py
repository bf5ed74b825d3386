"""The releases-at-run-time part of ``Emulator``'s Python API (a mixin of ``Emulator``).

Tests and the demo start releases as a user would (``create_release``), read what happened
(``releases``), see the deployment jobs waiting in the manual agent pool and end them
(``pending_jobs``, ``complete_job``: a result, log lines per task, summaries), and plug another
agent pool in (``set_agent_pool``). A completed build (``complete_build``) triggers releases by
itself. Each method runs on the server's loop and saves the state; errors in what was asked are
``EmulatorError``.

Must not: talk to a listener; hold state (the backends do).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from slotwise_emulator.backends import Backends
from slotwise_emulator.backends.devops_jobs import AgentPool, JobOutcome
from slotwise_emulator.backends.devops_manual_pool import ManualPool
from slotwise_emulator.backends.devops_release_model import Release
from slotwise_emulator.errors import EmulatorError

T = TypeVar("T")


def release_summary(release: Release) -> dict[str, Any]:
    """A release as the control plane and the driver describe it."""
    return {
        "id": release.id,
        "name": release.name,
        "status": release.status,
        "definitionId": release.definition_id,
        "reason": release.reason,
        "createdBy": release.created_by.get("uniqueName"),
        "builds": {a["alias"]: a["definitionReference"]["version"]["name"] for a in release.artifacts},
        "stages": [
            {
                "id": s.id,
                "name": s.name,
                "status": s.status,
                "step": s.step,
                "jobId": s.deployment.job_id if s.deployment else None,
                "pendingApprovals": [a.id for a in s.approvals if a.status == "pending"],
            }
            for s in release.stages
        ],
    }


def manual_pool(b: Backends) -> ManualPool:
    pool = b.releases.pool
    if not isinstance(pool, ManualPool):
        raise ValueError(
            "The release service's agent pool is not the manual one: its jobs end by themselves."
        )
    return pool


def create_release(
    b: Backends,
    org: str,
    project: str,
    definition_id: int,
    *,
    build_id: int | None = None,
    creator: str | None = None,
    manual_stages: Sequence[str] = (),
) -> dict[str, Any]:
    """A release made by ``creator`` (an e-mail; the seed's admin by default) of the build (the
    definition's artifact's latest when None)."""
    directory = b.devops.directory
    records = directory.records_of(org)
    member = records.member_named(creator or b.seed.get("devops_admin", ""))
    caller = directory.identity(org, member.id) if member else None
    if caller is None:
        raise KeyError(f"No user '{creator}' in organization '{org}'.")
    project_id = b.release.project(org, project)[0]
    stored = next(
        (d for d in b.release.definitions(org, project_id) if d.id == definition_id and not d.deleted), None
    )
    if stored is None:
        raise KeyError(f"No release definition {definition_id} in project '{project}'.")
    artifacts = []
    for artifact in stored.current.get("artifacts") or []:
        wanted = str(((artifact.get("definitionReference") or {}).get("definition") or {}).get("id"))
        chosen = build_id or max(
            (x.id for x in records.builds.values() if str(x.definition_id) == wanted), default=0
        )
        artifacts.append({"alias": artifact.get("alias"), "instanceReference": {"id": str(chosen)}})
    body = {
        "definitionId": definition_id,
        "artifacts": artifacts,
        "isDraft": False,
        "reason": "manual",
        "manualEnvironments": list(manual_stages),
    }
    made = b.releases.create(org, project, body, caller, "")
    return release_summary(b.releases.releases(org, project_id)[-1]) if made else {}


class ReleaseDriver:
    """Driver methods for the emulated releases at run time."""

    def call(self, fn: Callable[[Backends], T]) -> T:  # pragma: no cover - Emulator's
        raise NotImplementedError

    def _do(self, fn: Callable[[Backends], T]) -> T:  # pragma: no cover - DevOpsDriver's
        raise NotImplementedError

    def create_release(
        self,
        org: str,
        project: str,
        definition_id: int,
        *,
        build_id: int | None = None,
        creator: str | None = None,
        manual_stages: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Start a release as ``creator`` (e-mail) would in the portal; answers its summary."""
        return self._do(
            lambda b: create_release(
                b,
                org,
                project,
                definition_id,
                build_id=build_id,
                creator=creator,
                manual_stages=manual_stages,
            )
        )

    def releases(self, org: str, project: str) -> list[dict[str, Any]]:
        """Every release of the project, oldest first, with its stages' statuses and pending approvals."""
        return self._do(
            lambda b: [
                release_summary(r) for r in b.releases.releases(org, b.release.project(org, project)[0])
            ]
        )

    def pending_jobs(self) -> list[dict[str, Any]]:
        """The deployment jobs waiting in the manual agent pool: id, release and stage, task names."""

        def read(b: Backends) -> list[dict[str, Any]]:
            return [
                {
                    "jobId": j.job_id,
                    "releaseId": int(j.variables["Release.ReleaseId"].value),
                    "stage": j.variables["Release.EnvironmentName"].value,
                    "tasks": [t.name for t in j.tasks],
                }
                for j in manual_pool(b).jobs()
            ]

        return self._do(read)

    def complete_job(
        self,
        job_id: str,
        result: str = "succeeded",
        *,
        logs: Mapping[str, Sequence[str]] | None = None,
        summaries: Sequence[tuple[str, str]] = (),
        outputs: Mapping[str, str] | None = None,
        task_results: Mapping[str, str] | None = None,
    ) -> JobOutcome:
        """End a job of the manual pool: its result (succeeded, succeededWithIssues, failed, canceled),
        log lines by task name, summaries ``(name, markdown)``, each task's own result by name (the
        job's for those not named: e.g. the last task failed, the ones before it succeeded); the
        release moves on."""
        return self._do(
            lambda b: manual_pool(b).complete(
                job_id,
                result,
                logs=dict(logs or {}),
                summaries=summaries,
                outputs=dict(outputs or {}),
                task_results=dict(task_results or {}),
            )
        )

    def set_agent_pool(self, pool: AgentPool) -> None:
        """Hand deployment jobs to ``pool`` from now on (e.g. the emulated Node agent)."""

        def plug(b: Backends) -> None:
            b.releases.pool = pool

        try:
            self.call(plug)
        except Exception as exc:  # pragma: no cover - only the loop's own failures
            raise EmulatorError(str(exc), hint="") from exc
