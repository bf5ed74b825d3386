"""Emulated Azure DevOps releases at run time: create, get, list, abandon, deploy a stage, approve.

Owns every project's releases (their stages, approvals, deployments, task logs and summaries), the
agent pool jobs are handed to (``pool``: a ``ManualPool`` unless another is plugged in), and the
continuous-deployment trigger (``build_completed``, which the organization calls for each completed
build). The flow (conditions, queueing, approvals, the job) is ``devops_release_flow``'s; the
approval rules ``devops_approvals``'; the JSON ``devops_release_view``'s. Definitions are read from
``ReleaseDefinitionsBackend``; builds, identities and groups from the ``OrganizationBackend``.

No HTTP here: routes pass plain values (``base`` = ``https://host/{org}``). Errors are
``ServiceError`` in Azure DevOps' shape; wordings not found in public sources are marked. Picklable.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slotwise_emulator.backends import devops_endpoints
from slotwise_emulator.backends import devops_release_flow as flow
from slotwise_emulator.backends import devops_release_view as view
from slotwise_emulator.backends import devops_release_work as work
from slotwise_emulator.backends.devops_jobs import AgentPool, JobOutcome
from slotwise_emulator.backends.devops_manual_pool import ManualPool
from slotwise_emulator.backends.devops_records import Build
from slotwise_emulator.backends.devops_release_access import ReleaseReads, artifact, invalid
from slotwise_emulator.backends.devops_release_model import ProjectReleases, Release, Stage
from slotwise_emulator.backends.devops_release_rules import definition_not_found
from slotwise_emulator.clock import Clock
from slotwise_emulator.errors import ServiceError, devops_error

if TYPE_CHECKING:
    from slotwise_emulator.backends.devops_org import OrganizationBackend
    from slotwise_emulator.backends.devops_release import ReleaseDefinitionsBackend


@dataclass
class _JobDone:
    """The pool's ``done`` callback for one job (a picklable callable)."""

    backend: ReleasesBackend
    org: str
    project_id: str
    release_id: int
    stage_id: int
    job_id: str

    def __call__(self, outcome: JobOutcome) -> None:
        self.backend.job_done(self, outcome)


def release_not_found(release_id: int) -> ServiceError:
    return devops_error(
        404, "ReleaseNotFoundException", f"VS402853: Release with id: {release_id} does not exist."
    )


class ReleasesBackend(ReleaseReads):
    """Releases of every organization, by project."""

    def __init__(
        self, clock: Clock, directory: OrganizationBackend, definitions: ReleaseDefinitionsBackend
    ) -> None:
        self._clock = clock
        self.directory = directory
        self.definitions = definitions
        self.pool: AgentPool = ManualPool()
        self._projects: dict[tuple[str, str], ProjectReleases] = {}

    # ---- the flow's Runtime -----------------------------------------------------------------------
    def now(self) -> float:
        return self._clock.now()

    def next_id(self, release: Release) -> int:
        state = self._state_of(release)
        state.next_step += 1
        return state.next_step - 1

    def identity(self, release: Release, identity_id: str) -> dict[str, Any] | None:
        return self.directory.identity(self._org(release), identity_id)

    def releases_of(self, release: Release) -> list[Release]:
        state = self._state_of(release)
        return sorted(
            (r for r in state.releases.values() if r.definition_id == release.definition_id),
            key=lambda r: r.id,
        )

    def start_job(self, release: Release, stage: Stage) -> None:
        org = self._org(release)
        job = work.make_job(org, release, stage, self._grant(org, release))
        stage.deployment.job_record.status = "inProgress"  # type: ignore[union-attr]
        self.pool.start(job, _JobDone(self, org, release.project_id, release.id, stage.id, job.job_id))

    def _grant(self, org: str, release: Release) -> work.JobGrant:
        """A pipeline job of the release hub, and what its tasks reach with it."""
        devops = self.directory.devops
        organization = devops.organization(org)
        project = organization.projects.get(release.project_id) if organization else None
        assert organization is not None
        assert project is not None
        issued = devops.create_job(organization.name, project.id, hub="release")
        endpoints = {
            connection.id: devops_endpoints.azurerm(
                connection,
                arm_url=self.directory.arm_url,
                authority=devops.identity.authority,
                key=devops_endpoints.spn_key(devops.identity, connection),
            )
            for connection in project.connections.values()
        }
        return work.JobGrant(
            job=issued,
            collection_uri=devops.collection_uri(org),
            collection_id=organization.id,
            oidc_request_uri=devops.oidc_request_uri(issued),
            server_type="Hosted" if self.directory.server.deployment_type == "hosted" else "OnPremises",
            endpoints=endpoints,
            builds=self.directory.records_of(org).builds,
        )

    def cancel_job(self, job_id: str) -> None:
        self.pool.cancel(job_id)

    def job_done(self, done: _JobDone, outcome: JobOutcome) -> None:
        release = self._state(done.org, done.project_id).releases.get(done.release_id)
        stage = release.stage(done.stage_id) if release else None
        if (
            release is None
            or stage is None
            or stage.deployment is None
            or stage.deployment.job_id != done.job_id
        ):
            return
        work.record_outcome(stage.deployment, outcome, self.now())
        flow.job_done(self, release, stage, outcome)

    # ---- a pool that lives beside the server ---------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Pickled with a ``ManualPool`` in place of a pool that lives beside the server (the emulated
        Node agent's threads and processes): after a restart its jobs are lost (``end_lost_jobs``)."""
        state = self.__dict__.copy()
        if not isinstance(self.pool, ManualPool):
            state["pool"] = ManualPool()
        return state

    def end_lost_jobs(self) -> list[str]:
        """After a restart: every stage still deploying whose job its pool does not hold (the agent that
        ran it stopped with the emulator) fails, as Azure DevOps fails a job whose agent stops
        answering; the release moves on (the later stages do not run). Answers the jobs' ids."""
        held = set(self.pool.pending) if isinstance(self.pool, ManualPool) else set()
        lost = []
        for (org, project_id), state in list(self._projects.items()):
            for release in list(state.releases.values()):
                for stage in release.stages:
                    deployment = stage.deployment
                    if stage.step != "deploying" or deployment is None or deployment.job_id in held:
                        continue
                    lost.append(deployment.job_id)
                    message = (
                        "The agent running this job stopped with the emulator before the job ended: "
                        "the job failed."
                    )  # emulator wording (Azure DevOps: "We stopped hearing from agent ...")
                    outcome = JobOutcome("failed", issues=[("error", message)])
                    _JobDone(self, org, project_id, release.id, stage.id, deployment.job_id)(outcome)
        return lost

    # ---- helpers ----------------------------------------------------------------------------------
    def _state(self, org: str, project_id: str) -> ProjectReleases:
        return self._projects.setdefault((org.lower(), project_id), ProjectReleases())

    def _state_of(self, release: Release) -> ProjectReleases:
        return self._state(self._org(release), release.project_id)

    def _org(self, release: Release) -> str:
        for (org, _), state in self._projects.items():
            if state.releases.get(release.id) is release:
                return org
        raise KeyError(release.id)

    def _release(self, org: str, project: str, release_id: int) -> Release:
        project_id = self.definitions.project(org, project)[0]
        found = self._state(org, project_id).releases.get(release_id)
        if found is None:
            raise release_not_found(release_id)
        return found

    # ---- releases ---------------------------------------------------------------------------------
    def create(
        self,
        org: str,
        project: str,
        body: Any,
        caller: dict[str, Any],
        base: str,
        *,
        reason: str | None = None,
        builds: dict[str, Build] | None = None,
    ) -> dict[str, Any]:
        """``POST .../releases`` (ReleaseStartMetadata): a release of the definition's current revision."""
        project_id, project_name = self.definitions.project(org, project)
        if not isinstance(body, dict) or not isinstance(body.get("definitionId"), int):
            raise invalid(
                "VS402881: Specify the release pipeline (definitionId) to create a release of."
            )  # emulator wording
        stored = next(
            (
                d
                for d in self.definitions.definitions(org, project_id)
                if d.id == body["definitionId"] and not d.deleted
            ),
            None,
        )
        if stored is None:
            raise definition_not_found(body["definitionId"])
        doc = copy.deepcopy(stored.current)
        chosen = builds or self._builds(org, doc, body.get("artifacts") or [])
        state = self._state(org, project_id)
        count = 1 + sum(1 for r in state.releases.values() if r.definition_id == stored.id)
        name_format = str(doc.get("releaseNameFormat") or "Release-$(rev:r)")
        now = self.now()
        release = Release(
            id=state.next_release,
            name=name_format.replace("$(rev:r)", str(count)),
            project_id=project_id,
            project_name=project_name,
            definition_id=stored.id,
            definition_name=str(doc.get("name")),
            definition_revision=int(doc.get("revision") or 1),
            created_by=caller,
            created_on=now,
            reason=str(reason or body.get("reason") or "manual"),
            description=str(body.get("description") or ""),
            artifacts=[
                artifact(a, chosen[a["alias"]], project_id, project_name)
                for a in doc.get("artifacts") or []
                if a.get("alias") in chosen
            ],
            variables=copy.deepcopy(doc.get("variables") or {}),
            secrets=dict(stored.secrets),
            modified_by=caller,
            modified_on=now,
        )
        manual = {str(n).lower() for n in body.get("manualEnvironments") or []}
        state.next_release += 1
        state.releases[release.id] = release
        for env in sorted(doc.get("environments") or [], key=lambda e: e.get("rank", 0)):
            release.stages.append(
                Stage(
                    id=self.next_id(release),
                    definition_environment_id=int(env.get("id") or 0),
                    name=str(env.get("name")),
                    rank=int(env.get("rank") or 0),
                    snapshot=env,
                    manual=str(env.get("name")).lower() in manual,
                    modified_on=now,
                )
            )
        for stage in release.stages:
            if flow.on_release_start(stage):
                flow.trigger(self, release, stage, "AfterReleaseCreated", caller)
        flow.advance(self, release)
        return view.release(base, release)

    def get(self, org: str, project: str, release_id: int, base: str) -> dict[str, Any]:
        return view.release(base, self._release(org, project, release_id))

    def list_releases(
        self,
        org: str,
        project: str,
        base: str,
        *,
        definition_id: int | None = None,
        status: str | None = None,
        top: int | None = None,
        ascending: bool = False,
        continuation: int | None = None,
        expands: frozenset[str] = frozenset(),
    ) -> tuple[list[dict[str, Any]], str | None]:
        """``GET .../releases``: newest first unless ``ascending``; the page and the continuation token."""
        project_id = self.definitions.project(org, project)[0]
        chosen = sorted(
            self._state(org, project_id).releases.values(), key=lambda r: r.id, reverse=not ascending
        )
        chosen = [
            r
            for r in chosen
            if (definition_id is None or r.definition_id == definition_id)
            and (status is None or r.status == status)
            and (continuation is None or (r.id >= continuation if ascending else r.id <= continuation))
        ]
        limit = 50 if top is None else top
        token = str(chosen[limit].id) if len(chosen) > limit else None
        return [view.release(base, r, expands) for r in chosen[:limit]], token

    def update(
        self, org: str, project: str, release_id: int, body: Any, caller: dict[str, Any], base: str
    ) -> dict[str, Any]:
        """``PATCH .../releases/{id}`` (ReleaseUpdateMetadata): abandon, keepForever, comment."""
        release = self._release(org, project, release_id)
        if not isinstance(body, dict):
            raise invalid("Send a ReleaseUpdateMetadata object.")  # emulator wording
        status = body.get("status")
        if status == "abandoned" and release.status != "abandoned":
            for stage in release.stages:
                flow.cancel(self, release, stage)
            release.status = "abandoned"
        elif status not in (None, "undefined", release.status):
            raise invalid(
                f"VS402876: The release cannot be moved from {release.status} to {status}."
            )  # emulator wording
        if isinstance(body.get("keepForever"), bool):
            release.keep_forever = body["keepForever"]
        release.modified_by, release.modified_on = caller, self.now()
        flow.advance(self, release)
        return view.release(base, release)

    def update_environment(
        self,
        org: str,
        project: str,
        release_id: int,
        stage_id: int,
        body: Any,
        caller: dict[str, Any],
        base: str,
    ) -> dict[str, Any]:
        """``PATCH .../releases/{id}/environments/{id}``: ``inProgress`` deploys the stage, ``canceled``
        stops its deployment."""
        release = self._release(org, project, release_id)
        stage = release.stage(stage_id)
        if stage is None:
            raise devops_error(
                404,
                "ReleaseEnvironmentNotFoundException",
                f"VS402873: Stage with id {stage_id} does not exist in release {release_id}.",
            )
        status = body.get("status") if isinstance(body, dict) else None
        if status == "inProgress":
            if release.status != "active":
                raise invalid(
                    f"VS402879: Release {release.name} is {release.status}: no stage of it can be deployed."
                )  # emulator wording
            if stage.step:
                raise invalid(f"VS402880: Stage {stage.name} is already being deployed.")  # emulator wording
            flow.trigger(self, release, stage, "Manual", caller)
        elif status == "canceled":
            flow.cancel(self, release, stage)
        else:
            raise invalid(
                f"The stage's status cannot be set to '{status}': use inProgress or canceled."
            )  # emulator wording
        flow.advance(self, release)
        return view.environment(base, release, stage)

    # ---- continuous deployment and the clock ------------------------------------------------------
    def build_completed(self, org: str, build: Build) -> None:
        """Every definition of the build's project whose artifact trigger fires creates a release."""
        member = self.directory.records_of(org).members.get(build.requested_for)
        caller = self.directory.identity(org, member.id) if member else None
        for stored in self.definitions.definitions(org, build.project_id):
            if stored.deleted or work.cd_matches(stored.current, build) is None:
                continue
            builds = self._builds_for(org, stored.current, build)
            body = {"definitionId": stored.id, "description": f"Triggered by {build.build_number}"}
            self.create(
                org,
                build.project_id,
                body,
                caller or {"id": "", "displayName": "Build service"},
                "",
                reason="continuousIntegration",
                builds=builds,
            )

    def tick(self) -> None:
        """Time-driven changes: approvals that time out."""
        for state in self._projects.values():
            for release in list(state.releases.values()):
                if release.status == "active" and any(
                    s.step in ("preApproval", "postApproval") for s in release.stages
                ):
                    flow.advance(self, release)

    def releases(self, org: str, project_id: str) -> list[Release]:
        """Every release of a project (for tests and the driver)."""
        return sorted(self._state(org, project_id).releases.values(), key=lambda r: r.id)
