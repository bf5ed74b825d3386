"""Specs rendered as the ReleaseDefinition documents Azure DevOps takes (REST shape, camelCase).

``render(definition, resolver)`` answers a ``Rendered``: the project and the document to POST or PUT
to ``{vsrm}/{org}/{project}/_apis/release/definitions``, shaped as the ``azure-devops`` client's
models serialize it and as the portal makes it (see ``shared/reference``'s exported definition):
one Build artifact (primary) with its continuous-deployment trigger, one stage (environment) per
spec stage with its conditions, approvals, one agent job and its tasks. Deterministic: the same
spec and ids give the same document (stages ranked in spec order, inputs and variables sorted, no
server-owned ids, revisions or dates). Ownership is marked by the definition property
``MANAGED_BY`` (what plan and apply look for). A spec's ``verbatim`` merge patches (the escape
hatch, ``release.verbatim``) are laid on the definition and on each stage last;
``redact_secrets`` blanks secret values before a document is shown.

Must not: resolve names itself (the resolver does), read the environment, or print.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from slotwise.release.model import (
    AfterRelease,
    AfterStages,
    Approval,
    Artifact,
    DefaultVersion,
    Definition,
    Named,
    Stage,
    Step,
    Variable,
)
from slotwise.release.resolve import Resolver
from slotwise.release.verbatim import apply_patch

MANAGED_BY = "Slotwise.ManagedBy"  # a definition property; its value is MANAGED_BY_VALUE
MANAGED_BY_VALUE = "slotwise"
SUCCEEDED = "4"  # environmentState: the stage succeeded
VERSION_TYPES = {
    DefaultVersion.LATEST: ("latestType", "Latest"),
    DefaultVersion.LATEST_WITH_BRANCH_AND_TAGS: (
        "latestWithBranchAndTagsType",
        "Latest from a specific branch with tags",
    ),
    DefaultVersion.LATEST_WITH_BUILD_DEFINITION_BRANCH_AND_TAGS: (
        "latestWithBuildDefinitionBranchAndTagsType",
        "Latest from the build pipeline default branch with tags",
    ),
    DefaultVersion.SELECT_DURING_RELEASE_CREATION: (
        "selectDuringReleaseCreationType",
        "Specify at the time of release creation",
    ),
}
Document = dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """A ReleaseDefinition document and the project it belongs in (by name, as the spec says)."""

    project: str
    document: Document

    def as_dict(self) -> dict[str, Any]:
        return {"project": self.project, "definition": self.document}


def render_all(definitions: Iterable[Definition], resolver: Resolver) -> list[Rendered]:
    return [render(definition, resolver) for definition in definitions]


def render(definition: Definition, resolver: Resolver) -> Rendered:
    """The ReleaseDefinition document for ``definition``, names resolved by ``resolver``."""
    d = definition
    document: Document = {
        "name": d.name,
        "path": d.folder,
        "description": d.description,
        "releaseNameFormat": d.release_name_format,
        "tags": list(d.tags),
        "properties": {MANAGED_BY: {"$type": "System.String", "$value": MANAGED_BY_VALUE}},
        "variables": _variables(d.variables, resolver),
        "variableGroups": _groups(d.project, d.variable_groups, resolver),
        "artifacts": [_artifact(d.artifact, resolver)],
        "triggers": _triggers(d.artifact),
        "environments": [_stage(d, stage, resolver) for stage in d.stages],
    }
    return Rendered(d.project, apply_patch(document, d.verbatim))


def redact_secrets(document: Document) -> Document:
    """A copy of ``document`` with every secret variable's value blanked (``None``), for showing."""
    shown = copy.deepcopy(document)
    holders = [shown, *shown.get("environments", [])]
    for holder in holders:
        for value in holder.get("variables", {}).values():
            if value.get("isSecret"):
                value["value"] = None
    return shown


def _variables(variables: tuple[Variable, ...], resolver: Resolver) -> dict[str, Any]:
    rendered: dict[str, Any] = {}
    for variable in variables:
        value: dict[str, Any] = {
            "value": resolver.environment(variable) if variable.from_env is not None else variable.value
        }
        if variable.secret:
            value["isSecret"] = True
        if variable.settable_at_release:
            value["allowOverride"] = True
        rendered[variable.name] = value
    return rendered


def _groups(project: str, groups: tuple[Named, ...], resolver: Resolver) -> list[Any]:
    return [resolver.variable_group(project, group.name, group.at) for group in groups]


def _artifact(artifact: Artifact, resolver: Resolver) -> Document:
    project_id = resolver.project(artifact.project, artifact.at)
    build_id = resolver.build_definition(artifact.project, artifact.build, artifact.at)
    version_id, version_name = VERSION_TYPES[artifact.default_version]
    tags = ",".join(artifact.default_tags)
    return {
        "alias": artifact.alias,
        "type": "Build",
        "isPrimary": True,
        "isRetained": False,
        "sourceId": f"{project_id}:{build_id}",
        "definitionReference": {
            "definition": {"id": str(build_id), "name": artifact.build},
            "project": {"id": project_id, "name": artifact.project},
            "defaultVersionType": {"id": version_id, "name": version_name},
            "defaultVersionBranch": {"id": artifact.default_branch, "name": artifact.default_branch},
            "defaultVersionTags": {"id": tags, "name": tags},
            "defaultVersionSpecific": {"id": "", "name": ""},
        },
    }


def _triggers(artifact: Artifact) -> list[Document]:
    trigger = artifact.trigger
    if trigger is None:
        return []
    conditions = [
        {
            "sourceBranch": branch,
            "tags": list(trigger.tags),
            "useBuildDefinitionBranch": False,
            "createReleaseOnBuildTagging": False,
        }
        for branch in trigger.branches
    ]
    return [
        {"triggerType": "artifactSource", "artifactAlias": artifact.alias, "triggerConditions": conditions}
    ]


def _stage(definition: Definition, stage: Stage, resolver: Resolver) -> Document:
    document: Document = apply_patch(_stage_document(definition, stage, resolver), stage.verbatim)
    return document


def _stage_document(definition: Definition, stage: Stage, resolver: Resolver) -> Document:
    project = definition.project
    return {
        "name": stage.name,
        "rank": stage.rank,
        "variables": _variables(stage.variables, resolver),
        "variableGroups": _groups(project, stage.variable_groups, resolver),
        "preDeployApprovals": _approvals(stage.before, "beforeGates", resolver),
        "postDeployApprovals": _approvals(stage.after, "afterSuccessfulGates", resolver),
        "deployPhases": [_agent_job(definition, stage, resolver)],
        "environmentOptions": {
            "autoLinkWorkItems": False,
            "badgeEnabled": False,
            "publishDeploymentStatus": True,
            "pullRequestDeploymentEnabled": False,
        },
        "demands": [],
        "conditions": _conditions(stage),
        "executionPolicy": {
            "concurrencyCount": stage.max_concurrent,
            "queueDepthCount": 1 if stage.deploy_latest_only else 0,
        },
        "schedules": [],
        "retentionPolicy": {
            "daysToKeep": stage.retention.days,
            "releasesToKeep": stage.retention.releases_to_keep,
            "retainBuild": stage.retention.retain_build,
        },
        "properties": {},
        "environmentTriggers": [],
    }


def _conditions(stage: Stage) -> list[Document]:
    start = stage.start
    if isinstance(start, AfterRelease):
        return [{"conditionType": "event", "name": "ReleaseStarted", "value": ""}]
    if isinstance(start, AfterStages):
        return [
            {"conditionType": "environmentState", "name": name, "value": SUCCEEDED} for name in start.stages
        ]
    return []  # Manual: only when someone deploys the stage


def _approvals(approval: Approval | None, order: str, resolver: Resolver) -> Document:
    if approval is None:
        return {
            "approvals": [{"rank": 1, "isAutomated": True, "isNotificationOn": False}],
            "approvalOptions": _approval_options(None, order),
        }
    steps = [
        {
            "rank": index + 1 if approval.sequential else 1,
            "isAutomated": False,
            "isNotificationOn": False,
            "approver": {"id": resolver.identity(approver.name, approver.at)},
        }
        for index, approver in enumerate(approval.approvers)
    ]
    return {"approvals": steps, "approvalOptions": _approval_options(approval, order)}


def _approval_options(approval: Approval | None, order: str) -> Document:
    return {
        "requiredApproverCount": (approval.required or 0) if approval else 0,  # 0: all of them
        "releaseCreatorCanBeApprover": approval.creator_can_approve if approval else False,
        "autoTriggeredAndPreviousEnvironmentApprovedCanBeSkipped": False,
        "enforceIdentityRevalidation": approval.revalidate_identity if approval else False,
        "timeoutInMinutes": approval.timeout_minutes if approval else 0,
        "executionOrder": order,
    }


def _agent_job(definition: Definition, stage: Stage, resolver: Resolver) -> Document:
    deployment_input: Document = {
        "queueId": resolver.queue(definition.project, stage.queue.name, stage.queue.at),
        "parallelExecution": {"parallelExecutionType": "none"},
        "skipArtifactsDownload": False,
        "artifactsDownloadInput": {
            "downloadInputs": [
                {
                    "alias": definition.artifact.alias,
                    "artifactType": "Build",
                    "artifactDownloadMode": "All",
                    "artifactItems": [],
                }
            ]
        },
        "demands": [],
        "enableAccessToken": False,
        "timeoutInMinutes": stage.job_timeout_minutes,
        "jobCancelTimeoutInMinutes": 1,
        "condition": "succeeded()",
        "overrideInputs": {},
    }
    if stage.vm_image:
        deployment_input["agentSpecification"] = {"identifier": stage.vm_image}
    return {
        "rank": 1,
        "phaseType": "agentBasedDeployment",
        "name": "Agent job",
        "workflowTasks": [_task(definition, step, resolver) for step in stage.steps],
        "deploymentInput": deployment_input,
    }


def _task(definition: Definition, step: Step, resolver: Resolver) -> Document:
    inputs = dict(step.inputs)
    inputs[step.connection_input] = resolver.service_endpoint(definition.project, step.connection, step.at)
    return {
        "taskId": resolver.task(step.task, step.at),
        "version": step.task.version,
        "name": step.name,
        "refName": "",
        "enabled": step.enabled,
        "alwaysRun": False,
        "continueOnError": step.continue_on_error,
        "timeoutInMinutes": step.timeout_minutes,
        "retryCountOnTaskFailure": step.retries,
        "definitionType": "task",
        "overrideInputs": {},
        "condition": step.condition,
        "environment": {},
        "inputs": dict(sorted(inputs.items())),
    }
