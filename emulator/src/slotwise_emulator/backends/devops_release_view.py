"""Releases, their environments and approvals as the release API answers them (JSON documents).

``base`` is ``https://host/{org}`` (the emulator serves every area on one host, so the ``vsrm``
URLs are the organization's). Shapes follow the 7.1 contract and its examples (``Release``,
``ReleaseEnvironment``, ``DeploymentAttempt``, ``ReleaseApproval``, ``ReleaseTask``).

Must not: change a record, or know HTTP.
"""

from __future__ import annotations

import copy
from typing import Any

from slotwise_emulator.backends.devops_release_model import (
    POST,
    PRE,
    Approval,
    Deployment,
    Release,
    Stage,
    TaskRecord,
)
from slotwise_emulator.clock import iso

_TASK_STATUS = {
    "succeeded": "succeeded",
    "succeededWithIssues": "partiallySucceeded",
    "failed": "failed",
    "canceled": "canceled",
    "skipped": "skipped",
}


def _t(ts: float | None) -> str | None:
    return iso(ts, precision=3) if ts is not None else None


def _api(base: str, release: Release) -> str:
    return f"{base}/{release.project_id}/_apis/Release"


def release_ref(base: str, release: Release) -> dict[str, Any]:
    url = f"{_api(base, release)}/releases/{release.id}"
    web = f"{base}/{release.project_id}/_release?releaseId={release.id}&_a=release-summary"
    return {
        "id": release.id,
        "name": release.name,
        "url": url,
        "_links": {"self": {"href": url}, "web": {"href": web}},
    }


def definition_ref(base: str, release: Release) -> dict[str, Any]:
    url = f"{_api(base, release)}/definitions/{release.definition_id}"
    web = f"{base}/{release.project_id}/_release?definitionId={release.definition_id}"
    return {
        "id": release.definition_id,
        "name": release.definition_name,
        "url": url,
        "_links": {"self": {"href": url}, "web": {"href": web}},
    }


def approval(base: str, release: Release, stage: Stage, item: Approval) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "revision": item.revision,
        "approver": item.approver,
        "approvalType": item.kind,
        "createdOn": _t(item.created_on),
        "modifiedOn": _t(item.modified_on),
        "status": item.status,
        "comments": item.comments,
        "isAutomated": item.is_automated,
        "isNotificationOn": False,
        "trialNumber": 1,
        "attempt": item.attempt,
        "rank": item.rank,
        "history": [
            dict(h, createdOn=_t(h["createdOn"]), modifiedOn=_t(h["modifiedOn"])) for h in item.history
        ],
        "release": release_ref(base, release),
        "releaseDefinition": definition_ref(base, release),
        "releaseEnvironment": {"id": stage.id, "name": stage.name, "_links": {}},
        "url": f"{_api(base, release)}/approvals/{item.id}",
    }
    if item.approved_by is not None:
        body["approvedBy"] = item.approved_by
    return body


def _task(
    item: TaskRecord, base: str, release: Release, stage: Stage, deployment: Deployment
) -> dict[str, Any]:
    log = (
        f"{_api(base, release)}/releases/{release.id}/environments/{stage.id}/deployPhases/"
        f"{deployment.phase_id}/tasks/{item.id}/logs"
    )
    return {
        "id": item.id,
        "timelineRecordId": item.record_id,
        "name": item.name,
        "status": item.status,
        "startTime": _t(item.start),
        "finishTime": _t(item.finish),
        "dateStarted": _t(item.start),
        "dateEnded": _t(item.finish),
        "rank": item.id,
        "lineCount": len(item.log),
        "issues": [],
        "agentName": "Emulated agent" if item.start is not None else "",
        "logUrl": log,
    }


def _deploy_step(base: str, release: Release, stage: Stage, deployment: Deployment) -> dict[str, Any]:
    jobs = []
    if deployment.job_record is not None:
        jobs.append(
            {
                "job": _task(deployment.job_record, base, release, stage, deployment),
                "tasks": [_task(t, base, release, stage, deployment) for t in deployment.tasks],
            }
        )
    phase_status = {"notDeployed": "notStarted", "inProgress": "inProgress"}.get(
        deployment.status, deployment.status
    )
    phases = (stage.snapshot.get("deployPhases") or [{}])[:1]
    return {
        "id": deployment.id,
        "deploymentId": deployment.id,
        "attempt": deployment.attempt,
        "reason": "manual" if stage.trigger_reason == "Manual" else "automated",
        "status": deployment.status,
        "operationStatus": deployment.operation[:1].upper() + deployment.operation[1:],
        "requestedBy": deployment.requested_by,
        "requestedFor": deployment.requested_by,
        "queuedOn": _t(deployment.queued_on),
        "lastModifiedBy": deployment.requested_by,
        "lastModifiedOn": _t(deployment.last_modified),
        "hasStarted": deployment.started is not None,
        "runPlanId": deployment.plan_id or None,
        "issues": [],
        "preDeploymentGates": {"id": 0, "gatesInstanceId": None, "status": "none"},
        "postDeploymentGates": {"id": 0, "gatesInstanceId": None, "status": "none"},
        "releaseDeployPhases": [
            {
                "id": deployment.phase_id,
                "phaseId": str(p.get("rank", 1)),
                "name": p.get("name", "Agent job"),
                "rank": p.get("rank", 1),
                "phaseType": p.get("phaseType", "agentBasedDeployment"),
                "status": phase_status,
                "runPlanId": deployment.plan_id or None,
                "deploymentJobs": jobs,
                "manualInterventions": [],
                "startedOn": _t(deployment.started),
            }
            for p in phases
        ],
    }


def _snapshot(stage: Stage, key: str) -> dict[str, Any]:
    found = copy.deepcopy(
        stage.snapshot.get(key) or {"approvals": [{"rank": 1, "isAutomated": True, "id": 0}]}
    )
    return {k: v for k, v in found.items() if k in ("approvals", "approvalOptions")}


def environment(base: str, release: Release, stage: Stage) -> dict[str, Any]:
    snapshot = stage.snapshot
    started = [d.started for d in stage.deployments if d.started is not None]
    return {
        "id": stage.id,
        "releaseId": release.id,
        "name": stage.name,
        "status": stage.status,
        "variables": {k: v for k, v in (snapshot.get("variables") or {}).items()},
        "variableGroups": [],
        "preDeployApprovals": [approval(base, release, stage, a) for a in stage.approvals if a.kind == PRE],
        "postDeployApprovals": [approval(base, release, stage, a) for a in stage.approvals if a.kind == POST],
        "preApprovalsSnapshot": _snapshot(stage, "preDeployApprovals"),
        "postApprovalsSnapshot": _snapshot(stage, "postDeployApprovals"),
        "deploySteps": [_deploy_step(base, release, stage, d) for d in stage.deployments],
        "rank": stage.rank,
        "definitionEnvironmentId": stage.definition_environment_id,
        "environmentOptions": copy.deepcopy(snapshot.get("environmentOptions") or {}),
        "demands": [],
        "conditions": [dict(c, result=False) for c in snapshot.get("conditions") or []],
        "modifiedOn": _t(stage.modified_on),
        "workflowTasks": [],
        "deployPhasesSnapshot": copy.deepcopy(snapshot.get("deployPhases") or []),
        "owner": snapshot.get("owner") or release.created_by,
        "schedules": [],
        "release": release_ref(base, release),
        "releaseDefinition": definition_ref(base, release),
        "releaseCreatedBy": release.created_by,
        "triggerReason": stage.trigger_reason or "Undefined",
        "timeToDeploy": round((stage.modified_on - min(started)) / 60, 2)
        if started and stage.step == ""
        else 0,
        "processParameters": {},
        "preDeploymentGatesSnapshot": {"id": 0, "gatesOptions": None, "gates": []},
        "postDeploymentGatesSnapshot": {"id": 0, "gatesOptions": None, "gates": []},
        "nextScheduledUtcTime": None,
    }


def release(
    base: str, item: Release, expands: frozenset[str] = frozenset({"environments", "artifacts", "variables"})
) -> dict[str, Any]:
    """A release; ``expands`` (lower case) says which collections a list carries (a get has all)."""
    url = f"{_api(base, item)}/releases/{item.id}"
    body: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "status": item.status,
        "createdOn": _t(item.created_on),
        "modifiedOn": _t(item.modified_on),
        "modifiedBy": item.modified_by or item.created_by,
        "createdBy": item.created_by,
        "createdFor": item.created_by,
        "variables": {},
        "variableGroups": [],
        "releaseDefinition": definition_ref(base, item),
        "releaseDefinitionRevision": item.definition_revision,
        "description": item.description,
        "reason": item.reason,
        "releaseNameFormat": "Release-$(rev:r)",
        "keepForever": item.keep_forever,
        "definitionSnapshotRevision": 1,
        "logsContainerUrl": f"{url}/logs",
        "url": url,
        "_links": release_ref(base, item)["_links"],
        "tags": [],
        "triggeringArtifactAlias": item.artifacts[0]["alias"]
        if item.artifacts and item.reason == "continuousIntegration"
        else None,
        "projectReference": {"id": item.project_id, "name": item.project_name},
        "properties": {},
    }
    if "environments" in expands:
        body["environments"] = [environment(base, item, s) for s in item.stages]
    if "artifacts" in expands:
        body["artifacts"] = copy.deepcopy(item.artifacts)
    if "variables" in expands:
        body["variables"] = copy.deepcopy(item.variables)
    return body
