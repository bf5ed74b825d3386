"""What the release service gives an agent and takes back, and which builds start releases.

``make_job``: a stage's deployment as a ``DeploymentJob`` of the pipeline job the DevOps host issued
(``JobGrant``: its ids, its access token as ``System.AccessToken`` and in the ``SystemVssConnection``
endpoint, ``System.OidcRequestUri``): its first agent phase's tasks, the release/build/system
variables and the definition's own with secret values, the AzureRM endpoints the inputs name, the
artifacts' build files (unless the phase skips the download); ``record_outcome``: the job's
``JobOutcome`` into the deployment's task records (status, log lines). ``cd_matches``: whether a
definition's ``artifactSource`` trigger fires for a completed build (the artifact's build
definition, branch filters with ``*`` and a ``-`` exclusion, required tags).

Must not: move a stage (the flow does), know HTTP, or know how a pool runs tasks.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slotwise_emulator.backends.devops import Job
from slotwise_emulator.backends.devops_endpoints import SYSTEM_VSS_CONNECTION, system_vss
from slotwise_emulator.backends.devops_jobs import (
    Artifact,
    DeploymentJob,
    Endpoint,
    JobOutcome,
    JobTask,
    Variable,
)
from slotwise_emulator.backends.devops_records import Build, build_artifacts
from slotwise_emulator.backends.devops_release_model import Deployment, Release, Stage, TaskRecord

_STATUS = {
    "succeeded": "succeeded",
    "succeededWithIssues": "partiallySucceeded",
    "failed": "failed",
    "canceled": "canceled",
    "skipped": "skipped",
}


def _tasks(stage: Stage) -> list[dict[str, Any]]:
    phases = [p for p in stage.snapshot.get("deployPhases") or [] if isinstance(p, dict)]
    return [t for t in (phases[0].get("workflowTasks") or []) if isinstance(t, dict)] if phases else []


def _variables(
    release: Release, stage: Stage, collection_uri: str, deployment: Deployment
) -> dict[str, Variable]:
    out: dict[str, Variable] = {}
    for prefix, variables in (
        ("", release.variables),
        (f"{stage.definition_environment_id}/", stage.snapshot.get("variables") or {}),
    ):
        for name, variable in variables.items():
            if not isinstance(variable, dict):
                continue
            secret = bool(variable.get("isSecret"))
            value = release.secrets.get(prefix + name, "") if secret else str(variable.get("value") or "")
            out[name] = Variable(value, secret)
    requested = deployment.requested_by
    own = {
        "System.HostType": "release",
        "System.CollectionUri": collection_uri,
        "System.TeamFoundationCollectionUri": collection_uri,
        "System.TeamProject": release.project_name,
        "System.TeamProjectId": release.project_id,
        "System.DefinitionId": str(release.definition_id),
        "System.JobId": deployment.job_id,
        "System.PlanId": deployment.plan_id,
        "System.TimelineId": deployment.plan_id,
        "Release.ReleaseId": str(release.id),
        "Release.ReleaseName": release.name,
        "Release.ReleaseUri": f"vstfs:///ReleaseManagement/Release/{release.id}",
        "Release.ReleaseDescription": release.description,
        "Release.Reason": release.reason,
        "Release.DefinitionId": str(release.definition_id),
        "Release.DefinitionName": release.definition_name,
        "Release.EnvironmentId": str(stage.id),
        "Release.EnvironmentName": stage.name,
        "Release.DefinitionEnvironmentId": str(stage.definition_environment_id),
        "Release.AttemptNumber": str(deployment.attempt),
        "Release.DeployPhaseId": str(deployment.phase_id),
        "Release.DeploymentID": str(deployment.id),
        "Release.RequestedFor": str(release.created_by.get("displayName", "")),
        "Release.RequestedForId": str(release.created_by.get("id", "")),
        "Release.Deployment.RequestedFor": str(requested.get("displayName", "")),
        "Release.Deployment.RequestedForId": str(requested.get("id", "")),
    }
    for index, artifact in enumerate(release.artifacts):
        ref = artifact["definitionReference"]
        facts = {
            "Type": "Build",
            "DefinitionName": ref["definition"]["name"],
            "DefinitionId": ref["definition"]["id"],
            "BuildId": ref["version"]["id"],
            "BuildNumber": ref["version"]["name"],
            "SourceBranch": ref["branch"]["id"],
            "SourceBranchName": ref["branch"]["id"].rsplit("/", 1)[-1],
            "SourceVersion": ref["sourceVersion"]["id"],
            "RequestedFor": ref["requestedFor"]["name"],
        }
        for key, value in facts.items():
            own[f"Release.Artifacts.{artifact['alias']}.{key}"] = value
        if index == 0:
            own["Release.PrimaryArtifactSourceAlias"] = artifact["alias"]
            own["Release.TriggeringArtifact.Alias"] = (
                artifact["alias"] if release.reason == "continuousIntegration" else ""
            )
            for key in (
                "BuildId",
                "BuildNumber",
                "SourceBranch",
                "SourceBranchName",
                "SourceVersion",
                "DefinitionName",
            ):
                own[f"Build.{key}"] = facts[key]
    out.update({name: Variable(value) for name, value in own.items()})
    return out


@dataclass(frozen=True)
class JobGrant:
    """What the DevOps host gives a deployment job: its pipeline job (``devops.create_job``: plan and job
    ids, access token), the collection it runs in, where it asks for OIDC tokens, the server type
    (``Hosted`` or ``OnPremises``), the project's AzureRM endpoints by id (``devops_endpoints.azurerm``)
    and the builds its artifacts name, by id."""

    job: Job
    collection_uri: str
    collection_id: str
    oidc_request_uri: str
    server_type: str
    endpoints: Mapping[str, Endpoint]
    builds: Mapping[int, Build]


def _artifacts(release: Release, builds: Mapping[int, Build]) -> tuple[Artifact, ...]:
    """Each artifact's build's files, as the agent lays them out: ``<build artifact name>/<path>``
    under the alias's folder."""
    out = []
    for artifact in release.artifacts:
        version = str(artifact["definitionReference"]["version"]["id"])
        build = builds.get(int(version)) if version.isdigit() else None
        files = {
            f"{name}/{path}": content
            for name, published in (build_artifacts(build) if build else {}).items()
            for path, content in published.items()
        }
        out.append(Artifact(artifact["alias"], files))
    return tuple(out)


def make_job(org: str, release: Release, stage: Stage, grant: JobGrant) -> DeploymentJob:
    """The stage's current deployment as the job ``grant`` issued (its ids recorded, task records made)."""
    deployment = stage.deployment
    assert deployment is not None
    deployment.job_id, deployment.plan_id = grant.job.job_id, grant.job.plan_id
    definitions = _tasks(stage)
    tasks = tuple(
        JobTask(
            task_id=str(t.get("taskId", "")).lower(),
            version_spec=str(t.get("version", "")),
            name=str(t.get("name", "")),
            inputs={k: str(v) for k, v in (t.get("inputs") or {}).items()},
            enabled=t.get("enabled", True) is not False,
            continue_on_error=bool(t.get("continueOnError")),
            always_run=bool(t.get("alwaysRun")),
            condition=str(t.get("condition") or "succeeded()"),
            timeout_minutes=int(t.get("timeoutInMinutes") or 0),
        )
        for t in definitions
    )
    deployment.job_record = TaskRecord(1, "Agent job", deployment.job_id, "pending")
    deployment.tasks = [
        TaskRecord(i + 2, t.name, str(uuid.uuid4())) for i, t in enumerate(tasks) if t.enabled
    ]
    named = {v.strip().lower() for t in tasks for value in t.inputs.values() for v in value.split(",")}
    endpoints = {e.id: e for e in grant.endpoints.values() if e.id.lower() in named}
    endpoints[SYSTEM_VSS_CONNECTION] = system_vss(grant.collection_uri, grant.job.access_token)
    phase = (stage.snapshot.get("deployPhases") or [{}])[0]
    given = phase.get("deploymentInput") or {}
    timeout = int(given.get("timeoutInMinutes") or 0) or 60
    variables = _variables(release, stage, grant.collection_uri, deployment)
    variables |= {
        "System.CollectionId": Variable(grant.collection_id),
        "System.ServerType": Variable(grant.server_type),
        "System.OidcRequestUri": Variable(grant.oidc_request_uri),
        "System.EnableAccessToken": Variable(str(bool(given.get("enableAccessToken"))).lower()),
        "System.AccessToken": Variable(grant.job.access_token, secret=True),
    }
    return DeploymentJob(
        job_id=deployment.job_id,
        plan_id=deployment.plan_id,
        organization=org,
        project=release.project_name,
        project_id=release.project_id,
        tasks=tasks,
        variables=variables,
        endpoints=endpoints,
        artifacts=() if given.get("skipArtifactsDownload") else _artifacts(release, grant.builds),
        timeout_minutes=timeout,
    )


def record_outcome(deployment: Deployment, outcome: JobOutcome, now: float) -> None:
    """The job's outcome into the deployment's records: each task's status and log, the job's."""
    by_name = {t.name: t for t in outcome.tasks}
    for record in deployment.tasks:
        found = by_name.get(record.name)
        record.status = _STATUS[found.result] if found else "skipped"
        record.log = list(found.log) if found else []
        record.start, record.finish = deployment.started, now
    if deployment.job_record is not None:
        deployment.job_record.status = _STATUS[outcome.result]
        deployment.job_record.start, deployment.job_record.finish = deployment.started, now
        deployment.job_record.log = [f"##[{kind}]{message}" for kind, message in outcome.issues]


def _branch_matches(pattern: str, branch: str) -> bool:
    full = pattern if pattern.startswith("refs/") else f"refs/heads/{pattern}"
    regex = ".*".join(re.escape(part) for part in full.split("*"))
    return re.fullmatch(regex, branch, re.IGNORECASE) is not None


def cd_matches(definition: dict[str, Any], build: Build) -> str | None:
    """The alias of the definition's artifact whose CD trigger this completed build fires, or None."""
    if build.result not in ("succeeded", "partiallySucceeded"):
        return None
    aliases = {
        str(a.get("alias")): a
        for a in definition.get("artifacts") or []
        if str(a.get("type", "")).lower() == "build"
        and str(((a.get("definitionReference") or {}).get("definition") or {}).get("id"))
        == str(build.definition_id)
    }
    for trigger in definition.get("triggers") or []:
        if (
            trigger.get("triggerType") not in ("artifactSource", 1)
            or trigger.get("artifactAlias") not in aliases
        ):
            continue
        conditions = trigger.get("triggerConditions") or []
        includes = [c for c in conditions if not str(c.get("sourceBranch") or "").startswith("-")]
        excludes = [
            str(c["sourceBranch"])[1:] for c in conditions if str(c.get("sourceBranch") or "").startswith("-")
        ]
        if any(_branch_matches(p, build.source_branch) for p in excludes):
            continue
        for condition in includes or [{}]:
            branch = str(condition.get("sourceBranch") or "*")
            tags = {str(t).lower() for t in condition.get("tags") or []}
            if _branch_matches(branch, build.source_branch) and tags <= {t.lower() for t in build.tags}:
                return str(trigger["artifactAlias"])
    return None
