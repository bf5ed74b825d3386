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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slotwise_emulator.backends import devops_approvals as approvals
from slotwise_emulator.backends import devops_release_flow as flow
from slotwise_emulator.backends import devops_release_view as view
from slotwise_emulator.backends import devops_release_work as work
from slotwise_emulator.backends.devops_jobs import AgentPool, JobOutcome
from slotwise_emulator.backends.devops_manual_pool import ManualPool
from slotwise_emulator.backends.devops_records import GROUP, Build
from slotwise_emulator.backends.devops_release_model import Release, Stage
from slotwise_emulator.backends.devops_release_rules import definition_not_found
from slotwise_emulator.clock import Clock
from slotwise_emulator.errors import ServiceError, devops_error

if TYPE_CHECKING:
    from slotwise_emulator.backends.devops_org import OrganizationBackend
    from slotwise_emulator.backends.devops_release import ReleaseDefinitionsBackend


@dataclass
class _Project:
    releases: dict[int, Release] = field(default_factory=dict)
    next_release: int = 1
    next_step: int = 1


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


def _invalid(message: str) -> ServiceError:
    return devops_error(400, "InvalidRequestException", message)


def release_not_found(release_id: int) -> ServiceError:
    return devops_error(404, "ReleaseNotFoundException",
                        f"VS402853: Release with id: {release_id} does not exist.")  # fmt: skip


class ReleasesBackend:
    """Releases of every organization, by project."""

    def __init__(self, clock: Clock, directory: OrganizationBackend, definitions: ReleaseDefinitionsBackend) -> None:
        self._clock = clock
        self.directory = directory
        self.definitions = definitions
        self.pool: AgentPool = ManualPool()
        self._projects: dict[tuple[str, str], _Project] = {}

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
        return sorted((r for r in state.releases.values() if r.definition_id == release.definition_id), key=lambda r: r.id)

    def start_job(self, release: Release, stage: Stage) -> None:
        org = self._org(release)
        project = self.directory.devops.organization(org)
        found = project.projects.get(release.project_id) if project else None
        job = work.make_job(org, release, stage, self.directory.devops.collection_uri(org),
                            found.connections if found else {}, self.directory.arm_url)  # fmt: skip
        stage.deployment.job_record.status = "inProgress"  # type: ignore[union-attr]
        self.pool.start(job, _JobDone(self, org, release.project_id, release.id, stage.id, job.job_id))

    def cancel_job(self, job_id: str) -> None:
        self.pool.cancel(job_id)

    def job_done(self, done: _JobDone, outcome: JobOutcome) -> None:
        release = self._state(done.org, done.project_id).releases.get(done.release_id)
        stage = release.stage(done.stage_id) if release else None
        if release is None or stage is None or stage.deployment is None or stage.deployment.job_id != done.job_id:
            return
        work.record_outcome(stage.deployment, outcome, self.now())
        flow.job_done(self, release, stage, outcome)

    # ---- helpers ----------------------------------------------------------------------------------
    def _state(self, org: str, project_id: str) -> _Project:
        return self._projects.setdefault((org.lower(), project_id), _Project())

    def _state_of(self, release: Release) -> _Project:
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

    def _members(self, org: str) -> approvals.Members:
        members = self.directory.records_of(org).members

        def of(group_id: str, seen: frozenset[str] = frozenset()) -> set[str]:
            group = members.get(group_id.lower())
            if group is None or group.kind != GROUP or group_id in seen:
                return set()
            out = set(group.members)
            for member in group.members:
                out |= of(member, seen | {group_id})
            return out

        return of

    # ---- releases ---------------------------------------------------------------------------------
    def create(self, org: str, project: str, body: Any, caller: dict[str, Any], base: str, *,
               reason: str | None = None, builds: dict[str, Build] | None = None) -> dict[str, Any]:  # fmt: skip
        """``POST .../releases`` (ReleaseStartMetadata): a release of the definition's current revision."""
        project_id, project_name = self.definitions.project(org, project)
        if not isinstance(body, dict) or not isinstance(body.get("definitionId"), int):
            raise _invalid("VS402881: Specify the release pipeline (definitionId) to create a release of.")  # emulator wording
        stored = next((d for d in self.definitions.definitions(org, project_id)
                       if d.id == body["definitionId"] and not d.deleted), None)  # fmt: skip
        if stored is None:
            raise definition_not_found(body["definitionId"])
        doc = copy.deepcopy(stored.current)
        chosen = builds or self._builds(org, doc, body.get("artifacts") or [])
        state = self._state(org, project_id)
        count = 1 + sum(1 for r in state.releases.values() if r.definition_id == stored.id)
        name_format = str(doc.get("releaseNameFormat") or "Release-$(rev:r)")
        now = self.now()
        release = Release(
            id=state.next_release, name=name_format.replace("$(rev:r)", str(count)), project_id=project_id,
            project_name=project_name, definition_id=stored.id, definition_name=str(doc.get("name")),
            definition_revision=int(doc.get("revision") or 1), created_by=caller, created_on=now,
            reason=str(reason or body.get("reason") or "manual"), description=str(body.get("description") or ""),
            artifacts=[_artifact(a, chosen[a["alias"]], project_id, project_name) for a in doc.get("artifacts") or []
                       if a.get("alias") in chosen],
            variables=copy.deepcopy(doc.get("variables") or {}), secrets=dict(stored.secrets),
            modified_by=caller, modified_on=now,
        )  # fmt: skip
        manual = {str(n).lower() for n in body.get("manualEnvironments") or []}
        state.next_release += 1
        state.releases[release.id] = release
        for env in sorted(doc.get("environments") or [], key=lambda e: e.get("rank", 0)):
            release.stages.append(Stage(id=self.next_id(release), definition_environment_id=int(env.get("id") or 0),
                                        name=str(env.get("name")), rank=int(env.get("rank") or 0), snapshot=env,
                                        manual=str(env.get("name")).lower() in manual, modified_on=now))  # fmt: skip
        for stage in release.stages:
            if flow.on_release_start(stage):
                flow.trigger(self, release, stage, "AfterReleaseCreated", caller)
        flow.advance(self, release)
        return view.release(base, release)

    def _builds(self, org: str, doc: dict[str, Any], given: list[Any]) -> dict[str, Build]:
        records = self.directory.records_of(org)
        chosen: dict[str, Build] = {}
        for artifact in doc.get("artifacts") or []:
            alias = str(artifact.get("alias"))
            entry = next((g for g in given if isinstance(g, dict) and g.get("alias") == alias), None)
            ref = (entry or {}).get("instanceReference") or {}
            definition_id = str(((artifact.get("definitionReference") or {}).get("definition") or {}).get("id"))
            build = None
            if str(ref.get("id") or "").isdigit():
                build = records.builds.get(int(ref["id"]))
            elif ref.get("name"):
                build = next((b for b in records.builds.values()
                              if b.build_number == ref["name"] and str(b.definition_id) == definition_id), None)  # fmt: skip
            if build is None or str(build.definition_id) != definition_id:
                raise _invalid(
                    f"VS402881: No artifact version is specified corresponding to artifact source '{alias}'. "
                    "Specify a valid value and try again."
                )
            chosen[alias] = build
        return chosen

    def get(self, org: str, project: str, release_id: int, base: str) -> dict[str, Any]:
        return view.release(base, self._release(org, project, release_id))

    def list_releases(self, org: str, project: str, base: str, *, definition_id: int | None = None,
                      status: str | None = None, top: int | None = None, ascending: bool = False,
                      continuation: int | None = None, expands: frozenset[str] = frozenset()) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
        """``GET .../releases``: newest first unless ``ascending``; the page and the continuation token."""
        project_id = self.definitions.project(org, project)[0]
        chosen = sorted(self._state(org, project_id).releases.values(), key=lambda r: r.id, reverse=not ascending)
        chosen = [r for r in chosen if (definition_id is None or r.definition_id == definition_id)
                  and (status is None or r.status == status)
                  and (continuation is None or (r.id >= continuation if ascending else r.id <= continuation))]  # fmt: skip
        limit = 50 if top is None else top
        token = str(chosen[limit].id) if len(chosen) > limit else None
        return [view.release(base, r, expands) for r in chosen[:limit]], token

    def update(self, org: str, project: str, release_id: int, body: Any, caller: dict[str, Any], base: str) -> dict[str, Any]:
        """``PATCH .../releases/{id}`` (ReleaseUpdateMetadata): abandon, keepForever, comment."""
        release = self._release(org, project, release_id)
        if not isinstance(body, dict):
            raise _invalid("Send a ReleaseUpdateMetadata object.")  # emulator wording
        status = body.get("status")
        if status == "abandoned" and release.status != "abandoned":
            for stage in release.stages:
                flow.cancel(self, release, stage)
            release.status = "abandoned"
        elif status not in (None, "undefined", release.status):
            raise _invalid(f"VS402876: The release cannot be moved from {release.status} to {status}.")  # emulator wording
        if isinstance(body.get("keepForever"), bool):
            release.keep_forever = body["keepForever"]
        release.modified_by, release.modified_on = caller, self.now()
        flow.advance(self, release)
        return view.release(base, release)

    def update_environment(self, org: str, project: str, release_id: int, stage_id: int, body: Any,
                           caller: dict[str, Any], base: str) -> dict[str, Any]:  # fmt: skip
        """``PATCH .../releases/{id}/environments/{id}``: ``inProgress`` deploys the stage, ``canceled``
        stops its deployment."""
        release = self._release(org, project, release_id)
        stage = release.stage(stage_id)
        if stage is None:
            raise devops_error(404, "ReleaseEnvironmentNotFoundException",
                               f"VS402873: Stage with id {stage_id} does not exist in release {release_id}.")  # fmt: skip
        status = body.get("status") if isinstance(body, dict) else None
        if status == "inProgress":
            if release.status != "active":
                raise _invalid(f"VS402879: The release {release.name} is {release.status}; its stages cannot be deployed.")  # emulator wording
            if stage.step:
                raise _invalid(f"VS402880: Stage {stage.name} is already being deployed.")  # emulator wording
            flow.trigger(self, release, stage, "Manual", caller)
        elif status == "canceled":
            flow.cancel(self, release, stage)
        else:
            raise _invalid(f"The stage's status cannot be set to '{status}': use inProgress or canceled.")  # emulator wording
        flow.advance(self, release)
        return view.environment(base, release, stage)

    # ---- approvals --------------------------------------------------------------------------------
    def list_approvals(self, org: str, project: str, base: str, *, caller: dict[str, Any],
                       assigned_to: str | None = None, status: str | None = "pending", types: set[str] | None = None,
                       release_ids: set[int] | None = None, top: int | None = None, continuation: int | None = None,
                       ascending: bool = False, my_groups: bool = False) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
        """``GET .../approvals``: pending ones unless ``status`` says otherwise; newest first."""
        project_id = self.definitions.project(org, project)[0]
        groups: set[str] = set()
        if my_groups and assigned_to is not None:
            members = self._members(org)
            target = {str(caller.get(k, "")).lower() for k in ("id", "uniqueName", "displayName")}
            who = next((m for m in self.directory.records_of(org).members.values()
                        if assigned_to in {m.id.lower(), m.unique_name.lower(), m.display_name.lower()}), None)  # fmt: skip
            if who is not None or assigned_to in target:
                ident = who.id if who else str(caller.get("id", ""))
                groups = {g.id for g in self.directory.records_of(org).members.values()
                          if g.kind == GROUP and ident in members(g.id)}  # fmt: skip
        items = [(r, s, a) for r in self._state(org, project_id).releases.values() for s in r.stages for a in s.approvals
                 if approvals.listed(a, status=status, types=types, release_ids=release_ids,
                                     assigned_to=assigned_to, caller_groups=groups)]  # fmt: skip
        items.sort(key=lambda rsa: rsa[2].id, reverse=not ascending)
        if continuation is not None:
            items = [x for x in items if (x[2].id >= continuation if ascending else x[2].id <= continuation)]
        limit = 50 if top is None else top
        token = str(items[limit][2].id) if len(items) > limit else None
        return [view.approval(base, r, s, a) for r, s, a in items[:limit]], token

    def decide(self, org: str, project: str, approval_id: int, body: Any, caller: dict[str, Any], base: str) -> dict[str, Any]:
        """``PATCH .../approvals/{id}``."""
        project_id = self.definitions.project(org, project)[0]
        for release in self._state(org, project_id).releases.values():
            for stage in release.stages:
                for item in stage.approvals:
                    if item.id == approval_id:
                        approvals.decide(release, stage, item, body if isinstance(body, dict) else {}, caller,
                                         self._members(org), lambda i: self.directory.identity(org, i), self.now(),
                                         lambda: self.next_id(release))  # fmt: skip
                        flow.advance(self, release)
                        return view.approval(base, release, stage, item)
        raise devops_error(404, "ReleaseApprovalNotFoundException",
                           f"VS402854: Approval with id: {approval_id} does not exist.")  # emulator wording  # fmt: skip

    # ---- logs and summaries -----------------------------------------------------------------------
    def task_log(self, org: str, project: str, release_id: int, stage_id: int, phase_id: int, task_id: int) -> list[str]:
        release = self._release(org, project, release_id)
        stage = release.stage(stage_id)
        for deployment in stage.deployments if stage else []:
            if deployment.phase_id == phase_id:
                for record in [deployment.job_record, *deployment.tasks]:
                    if record is not None and record.id == task_id:
                        return record.log
        raise devops_error(404, "TaskLogNotFoundException", f"Log for task {task_id} was not found.")  # emulator wording

    def all_logs(self, org: str, project: str, release_id: int) -> dict[str, list[str]]:
        """Every task's log by the path the service's zip gives it (``<stage>/<phase>/<n>_<task>.log``)."""
        release = self._release(org, project, release_id)
        out: dict[str, list[str]] = {}
        for stage in release.stages:
            for d in stage.deployments:
                for record in d.tasks:
                    out[f"{stage.name}/Agent job/{record.id}_{record.name}.log"] = record.log
        return out

    def summaries(self, org: str, project: str, release_id: int, stage_id: int, attempt: int, plan_id: str) -> list[tuple[str, str, str, float]]:
        """``(record id, name, markdown, when)`` of each summary the job uploaded."""
        release = self._release(org, project, release_id)
        stage = release.stage(stage_id)
        for d in stage.deployments if stage else []:
            if d.attempt == attempt and d.plan_id == plan_id and d.outcome is not None and d.job_record is not None:
                return [(d.job_record.record_id, name, text, d.finished or 0.0) for name, text in d.outcome.summaries]
        return []

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
            self.create(org, build.project_id, body, caller or {"id": "", "displayName": "Build service"}, "",
                        reason="continuousIntegration", builds=builds)  # fmt: skip

    def _builds_for(self, org: str, doc: dict[str, Any], build: Build) -> dict[str, Build]:
        """The triggering build for its artifact, the latest succeeded build for the others."""
        records = self.directory.records_of(org)
        chosen: dict[str, Build] = {}
        for artifact in doc.get("artifacts") or []:
            definition_id = str(((artifact.get("definitionReference") or {}).get("definition") or {}).get("id"))
            if definition_id == str(build.definition_id):
                chosen[str(artifact["alias"])] = build
                continue
            latest = max((b for b in records.builds.values() if str(b.definition_id) == definition_id
                          and b.result in ("succeeded", "partiallySucceeded")), key=lambda b: b.id, default=None)  # fmt: skip
            if latest is not None:
                chosen[str(artifact["alias"])] = latest
        return chosen

    def tick(self) -> None:
        """Time-driven changes: approvals that time out."""
        for state in self._projects.values():
            for release in list(state.releases.values()):
                if release.status == "active" and any(s.step in ("preApproval", "postApproval") for s in release.stages):
                    flow.advance(self, release)

    def releases(self, org: str, project_id: str) -> list[Release]:
        """Every release of a project (for tests and the driver)."""
        return sorted(self._state(org, project_id).releases.values(), key=lambda r: r.id)


def _artifact(artifact: dict[str, Any], build: Build, project_id: str, project_name: str) -> dict[str, Any]:
    ref = artifact.get("definitionReference") or {}
    definition = ref.get("definition") or {}
    return {
        "sourceId": f"{project_id}:{build.definition_id}",
        "type": "Build",
        "alias": artifact["alias"],
        "isPrimary": bool(artifact.get("isPrimary", True)),
        "isRetained": False,
        "definitionReference": {
            "definition": {"id": str(build.definition_id), "name": str(definition.get("name") or "")},
            "project": {"id": project_id, "name": project_name},
            "version": {"id": str(build.id), "name": build.build_number},
            "branch": {"id": build.source_branch, "name": build.source_branch},
            "sourceVersion": {"id": build.source_version, "name": build.source_version},
            "buildUri": {"id": f"vstfs:///Build/Build/{build.id}", "name": f"vstfs:///Build/Build/{build.id}"},
            "requestedFor": {"id": build.requested_for, "name": build.requested_for},
            "defaultVersionType": {"id": "latestType", "name": "Latest"},
        },
    }
