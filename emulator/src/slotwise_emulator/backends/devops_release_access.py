"""Approvals, logs and summaries of releases, and which builds a release takes: the read and decide
half of ``ReleasesBackend`` (a mixin of it).

``list_approvals`` / ``decide`` answer ``GET`` / ``PATCH .../approvals`` (rules in
``devops_approvals``); ``task_log``, ``all_logs``, ``summaries`` what the deployment jobs left;
``_builds`` (a ReleaseStartMetadata's ``instanceReference``s) and ``_builds_for`` (a CD trigger's)
the builds a new release deploys, and ``artifact`` how a release shows one.

Must not: move a stage on other than through ``devops_release_flow.advance``; know HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slotwise_emulator.backends import devops_approvals as approvals
from slotwise_emulator.backends import devops_release_flow as flow
from slotwise_emulator.backends import devops_release_view as view
from slotwise_emulator.backends.devops_records import GROUP, Build
from slotwise_emulator.backends.devops_release_model import ProjectReleases, Release
from slotwise_emulator.errors import ServiceError, devops_error

if TYPE_CHECKING:
    from slotwise_emulator.backends.devops_org import OrganizationBackend
    from slotwise_emulator.backends.devops_release import ReleaseDefinitionsBackend


def invalid(message: str) -> ServiceError:
    return devops_error(400, "InvalidRequestException", message)


class ReleaseReads(flow.Runtime):
    """Approvals, logs, summaries and artifact builds, over the state ``ReleasesBackend`` keeps."""

    directory: OrganizationBackend
    definitions: ReleaseDefinitionsBackend

    def _state(self, org: str, project_id: str) -> ProjectReleases:  # pragma: no cover - ReleasesBackend's
        raise NotImplementedError

    def _release(self, org: str, project: str, release_id: int) -> Release:  # pragma: no cover
        raise NotImplementedError

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

    # ---- approvals --------------------------------------------------------------------------------
    def list_approvals(
        self,
        org: str,
        project: str,
        base: str,
        *,
        caller: dict[str, Any],
        assigned_to: str | None = None,
        status: str | None = "pending",
        types: set[str] | None = None,
        release_ids: set[int] | None = None,
        top: int | None = None,
        continuation: int | None = None,
        ascending: bool = False,
        my_groups: bool = False,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """``GET .../approvals``: pending ones unless ``status`` says otherwise; newest first."""
        project_id = self.definitions.project(org, project)[0]
        groups: set[str] = set()
        if my_groups and assigned_to is not None:
            members = self._members(org)
            target = {str(caller.get(k, "")).lower() for k in ("id", "uniqueName", "displayName")}
            who = next(
                (
                    m
                    for m in self.directory.records_of(org).members.values()
                    if assigned_to in {m.id.lower(), m.unique_name.lower(), m.display_name.lower()}
                ),
                None,
            )
            if who is not None or assigned_to in target:
                ident = who.id if who else str(caller.get("id", ""))
                groups = {
                    g.id
                    for g in self.directory.records_of(org).members.values()
                    if g.kind == GROUP and ident in members(g.id)
                }
        items = [
            (r, s, a)
            for r in self._state(org, project_id).releases.values()
            for s in r.stages
            for a in s.approvals
            if approvals.listed(
                a,
                status=status,
                types=types,
                release_ids=release_ids,
                assigned_to=assigned_to,
                caller_groups=groups,
            )
        ]
        items.sort(key=lambda rsa: rsa[2].id, reverse=not ascending)
        if continuation is not None:
            items = [x for x in items if (x[2].id >= continuation if ascending else x[2].id <= continuation)]
        limit = 50 if top is None else top
        token = str(items[limit][2].id) if len(items) > limit else None
        return [view.approval(base, r, s, a) for r, s, a in items[:limit]], token

    def decide(
        self, org: str, project: str, approval_id: int, body: Any, caller: dict[str, Any], base: str
    ) -> dict[str, Any]:
        """``PATCH .../approvals/{id}``."""
        project_id = self.definitions.project(org, project)[0]
        for release in self._state(org, project_id).releases.values():
            for stage in release.stages:
                for item in stage.approvals:
                    if item.id == approval_id:
                        approvals.decide(
                            release,
                            stage,
                            item,
                            body if isinstance(body, dict) else {},
                            caller,
                            self._members(org),
                            lambda i: self.directory.identity(org, i),
                            self.now(),
                            lambda found=release: self.next_id(found),  # type: ignore[misc]
                        )
                        flow.advance(self, release)
                        return view.approval(base, release, stage, item)
        raise devops_error(
            404,
            "ReleaseApprovalNotFoundException",
            f"VS402854: Approval with id: {approval_id} does not exist.",
        )  # emulator wording

    # ---- logs and summaries -----------------------------------------------------------------------
    def task_log(
        self, org: str, project: str, release_id: int, stage_id: int, phase_id: int, task_id: int
    ) -> list[str]:
        release = self._release(org, project, release_id)
        stage = release.stage(stage_id)
        for deployment in stage.deployments if stage else []:
            if deployment.phase_id == phase_id:
                for record in [deployment.job_record, *deployment.tasks]:
                    if record is not None and record.id == task_id:
                        return record.log
        raise devops_error(
            404, "TaskLogNotFoundException", f"Log for task {task_id} was not found."
        )  # emulator wording

    def all_logs(self, org: str, project: str, release_id: int) -> dict[str, list[str]]:
        """Every task's log by the path the service's zip gives it (``<stage>/<phase>/<n>_<task>.log``)."""
        release = self._release(org, project, release_id)
        out: dict[str, list[str]] = {}
        for stage in release.stages:
            for d in stage.deployments:
                for record in d.tasks:
                    out[f"{stage.name}/Agent job/{record.id}_{record.name}.log"] = record.log
        return out

    def summaries(
        self, org: str, project: str, release_id: int, stage_id: int, attempt: int, plan_id: str
    ) -> list[tuple[str, str, str, float]]:
        """``(record id, name, markdown, when)`` of each summary the job uploaded."""
        release = self._release(org, project, release_id)
        stage = release.stage(stage_id)
        for d in stage.deployments if stage else []:
            if (
                d.attempt == attempt
                and d.plan_id == plan_id
                and d.outcome is not None
                and d.job_record is not None
            ):
                return [
                    (d.job_record.record_id, name, text, d.finished or 0.0)
                    for name, text in d.outcome.summaries
                ]
        return []

    def _builds(self, org: str, doc: dict[str, Any], given: list[Any]) -> dict[str, Build]:
        records = self.directory.records_of(org)
        chosen: dict[str, Build] = {}
        for artifact in doc.get("artifacts") or []:
            alias = str(artifact.get("alias"))
            entry = next((g for g in given if isinstance(g, dict) and g.get("alias") == alias), None)
            ref = (entry or {}).get("instanceReference") or {}
            definition_id = str(
                ((artifact.get("definitionReference") or {}).get("definition") or {}).get("id")
            )
            build = None
            if str(ref.get("id") or "").isdigit():
                build = records.builds.get(int(ref["id"]))
            elif ref.get("name"):
                build = next(
                    (
                        b
                        for b in records.builds.values()
                        if b.build_number == ref["name"] and str(b.definition_id) == definition_id
                    ),
                    None,
                )
            if build is None or str(build.definition_id) != definition_id:
                raise invalid(
                    f"VS402881: No artifact version is specified corresponding to artifact source '{alias}'. "
                    "Specify a valid value and try again."
                )
            chosen[alias] = build
        return chosen

    def _builds_for(self, org: str, doc: dict[str, Any], build: Build) -> dict[str, Build]:
        """The triggering build for its artifact, the latest succeeded build for the others."""
        records = self.directory.records_of(org)
        chosen: dict[str, Build] = {}
        for artifact in doc.get("artifacts") or []:
            definition_id = str(
                ((artifact.get("definitionReference") or {}).get("definition") or {}).get("id")
            )
            if definition_id == str(build.definition_id):
                chosen[str(artifact["alias"])] = build
                continue
            latest = max(
                (
                    b
                    for b in records.builds.values()
                    if str(b.definition_id) == definition_id
                    and b.result in ("succeeded", "partiallySucceeded")
                ),
                key=lambda b: b.id,
                default=None,
            )
            if latest is not None:
                chosen[str(artifact["alias"])] = latest
        return chosen


def artifact(artifact: dict[str, Any], build: Build, project_id: str, project_name: str) -> dict[str, Any]:
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
            "buildUri": {
                "id": f"vstfs:///Build/Build/{build.id}",
                "name": f"vstfs:///Build/Build/{build.id}",
            },
            "requestedFor": {"id": build.requested_for, "name": build.requested_for},
            "defaultVersionType": {"id": "latestType", "name": "Latest"},
        },
    }
