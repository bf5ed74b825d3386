"""The release definition's contract: which fields the emulated server keeps, and nothing else.

``SCHEMAS`` lists, per contract type, every field the server knows and how to read it. It is the
union of the official OpenAPI ``ReleaseDefinition`` tree (release-7.1, with its derived types: a
deploy phase's ``deploymentInput`` by ``phaseType``, a trigger by ``triggerType``, a parallel
execution input by ``parallelExecutionType``), the fields the ``azure-devops`` client's models carry
beyond it (e.g. ``Artifact.sourceId``, ``EnvironmentOptions.emailRecipients``,
``ReleaseDefinitionEnvironment.runOptions``) and ``OBSERVED``: fields a real server returned in
``exported-definition-sample.json`` that neither names. ``prune`` keeps every such field (nulls
included) and drops the rest, as the real server does when it deserializes a body into its
contracts. ``tests/unit/test_devops_release_contract.py`` checks this table against the OpenAPI file.

Type notation: ``"s"`` a JSON scalar, ``"*"`` any JSON kept verbatim, ``"Name"`` a contract type,
``"[Name]"`` a list of it, ``"{Name}"`` a map to it (``[s]``/``{s}`` for scalars).

Must not: validate meaning (``devops_release_rules``), fill server fields, or know HTTP.
"""

from __future__ import annotations

from typing import Any

_IDENTITY = {
    "_links": "*", "descriptor": "s", "displayName": "s", "url": "s", "directoryAlias": "s", "id": "s",
    "imageUrl": "s", "inactive": "s", "isAadIdentity": "s", "isContainer": "s", "isDeletedInOrigin": "s",
    "profileUrl": "s", "uniqueName": "s",
}  # fmt: skip
_BASE_INPUT = {
    "condition": "s",
    "jobCancelTimeoutInMinutes": "s",
    "overrideInputs": "{s}",
    "timeoutInMinutes": "s",
}
_DEPLOYMENT_INPUT = {
    **_BASE_INPUT, "artifactsDownloadInput": "ArtifactsDownloadInput", "demands": "*",
    "enableAccessToken": "s", "queueId": "s", "skipArtifactsDownload": "s",
}  # fmt: skip
_PHASE = {"name": "s", "phaseType": "s", "rank": "s", "refName": "s", "workflowTasks": "[WorkflowTask]"}
_TRIGGER = {"triggerType": "s"}

SCHEMAS: dict[str, dict[str, str]] = {
    "ReleaseDefinition": {
        "_links": "*", "id": "s", "name": "s", "path": "s", "projectReference": "ProjectReference",
        "url": "s",
        "artifacts": "[Artifact]", "comment": "s", "createdBy": "IdentityRef", "createdOn": "s",
        "description": "s", "environments": "[ReleaseDefinitionEnvironment]", "isDeleted": "s",
        "lastRelease": "*", "modifiedBy": "IdentityRef", "modifiedOn": "s", "pipelineProcess": "*",
        "properties": "*", "releaseNameFormat": "s", "retentionPolicy": "*", "revision": "s", "source": "s",
        "tags": "[s]", "triggers": "[Trigger]", "variableGroups": "[s]",
        "variables": "{ConfigurationVariableValue}",
    },
    "ProjectReference": {"id": "s", "name": "s"},
    "IdentityRef": _IDENTITY,
    "Artifact": {
        "alias": "s", "definitionReference": "{ArtifactSourceReference}", "isPrimary": "s", "isRetained": "s",
        "sourceId": "s", "type": "s",
    },
    "ArtifactSourceReference": {"id": "s", "name": "s"},
    "ConfigurationVariableValue": {"allowOverride": "s", "isSecret": "s", "value": "s"},
    "ReleaseDefinitionEnvironment": {
        "badgeUrl": "s", "conditions": "[Condition]", "currentRelease": "ReleaseShallowReference",
        "demands": "*", "deployPhases": "[DeployPhase]", "deployStep": "ReleaseDefinitionDeployStep",
        "environmentOptions": "EnvironmentOptions", "environmentTriggers": "[EnvironmentTrigger]",
        "executionPolicy": "EnvironmentExecutionPolicy", "id": "s", "name": "s", "owner": "IdentityRef",
        "postDeployApprovals": "ReleaseDefinitionApprovals",
        "postDeploymentGates": "ReleaseDefinitionGatesStep",
        "preDeployApprovals": "ReleaseDefinitionApprovals",
        "preDeploymentGates": "ReleaseDefinitionGatesStep",
        "processParameters": "*", "properties": "*", "queueId": "s", "rank": "s",
        "retentionPolicy": "EnvironmentRetentionPolicy", "runOptions": "{s}",
        "schedules": "[ReleaseSchedule]",
        "variableGroups": "[s]", "variables": "{ConfigurationVariableValue}",
    },
    "Condition": {"conditionType": "s", "name": "s", "value": "s"},
    "ReleaseShallowReference": {"_links": "*", "id": "s", "name": "s", "url": "s"},
    "WorkflowTask": {
        "alwaysRun": "s", "condition": "s", "continueOnError": "s", "definitionType": "s", "enabled": "s",
        "environment": "{s}", "inputs": "{s}", "name": "s", "overrideInputs": "{s}", "refName": "s",
        "retryCountOnTaskFailure": "s", "taskId": "s", "timeoutInMinutes": "s", "version": "s",
    },
    "ReleaseDefinitionDeployStep": {"id": "s", "tasks": "[WorkflowTask]"},
    "EnvironmentOptions": {
        "autoLinkWorkItems": "s", "badgeEnabled": "s", "emailNotificationType": "s", "emailRecipients": "s",
        "enableAccessToken": "s", "publishDeploymentStatus": "s", "pullRequestDeploymentEnabled": "s",
        "skipArtifactsDownload": "s", "timeoutInMinutes": "s", "publishDeploymentStatusToWorkItems": "s",
    },
    "EnvironmentTrigger": {
        "definitionEnvironmentId": "s", "releaseDefinitionId": "s", "triggerContent": "s", "triggerType": "s",
    },
    "EnvironmentExecutionPolicy": {"concurrencyCount": "s", "queueDepthCount": "s"},
    "ReleaseDefinitionApprovals": {
        "approvalOptions": "ApprovalOptions", "approvals": "[ReleaseDefinitionApprovalStep]",
    },
    "ApprovalOptions": {
        "autoTriggeredAndPreviousEnvironmentApprovedCanBeSkipped": "s", "enforceIdentityRevalidation": "s",
        "executionOrder": "s", "releaseCreatorCanBeApprover": "s", "requiredApproverCount": "s",
        "timeoutInMinutes": "s",
    },
    "ReleaseDefinitionApprovalStep": {
        "id": "s", "approver": "IdentityRef", "isAutomated": "s", "isNotificationOn": "s", "rank": "s",
    },
    "ReleaseDefinitionGatesStep": {
        "gates": "[ReleaseDefinitionGate]", "gatesOptions": "ReleaseDefinitionGatesOptions", "id": "s",
    },
    "ReleaseDefinitionGate": {"tasks": "[WorkflowTask]"},
    "ReleaseDefinitionGatesOptions": {
        "isEnabled": "s", "minimumSuccessDuration": "s", "samplingInterval": "s", "stabilizationTime": "s",
        "timeout": "s",
    },
    "EnvironmentRetentionPolicy": {"daysToKeep": "s", "releasesToKeep": "s", "retainBuild": "s"},
    "ReleaseSchedule": {
        "daysToRelease": "s", "jobId": "s", "scheduleOnlyWithChanges": "s", "startHours": "s",
        "startMinutes": "s", "timeZoneId": "s",
    },
    # deploy phases, by phaseType
    "DeployPhase": _PHASE,
    "AgentBasedDeployPhase": {**_PHASE, "deploymentInput": "AgentDeploymentInput"},
    "RunOnServerDeployPhase": {**_PHASE, "deploymentInput": "ServerDeploymentInput"},
    "MachineGroupBasedDeployPhase": {**_PHASE, "deploymentInput": "MachineGroupDeploymentInput"},
    "GatesDeployPhase": {**_PHASE, "deploymentInput": "GatesDeploymentInput"},
    "AgentDeploymentInput": {
        **_DEPLOYMENT_INPUT, "agentSpecification": "AgentSpecification", "imageId": "s",
        "parallelExecution": "ExecutionInput",
    },
    "ServerDeploymentInput": {**_BASE_INPUT, "parallelExecution": "ExecutionInput"},
    "MachineGroupDeploymentInput": {
        **_DEPLOYMENT_INPUT, "deploymentHealthOption": "s", "healthPercent": "s", "tags": "[s]",
    },
    "GatesDeploymentInput": {
        **_BASE_INPUT, "minimumSuccessDuration": "s", "samplingInterval": "s", "stabilizationTime": "s",
    },
    "AgentSpecification": {"identifier": "s"},
    "ExecutionInput": {"parallelExecutionType": "s"},
    "MultiConfigInput": {
        "parallelExecutionType": "s", "continueOnError": "s", "maxNumberOfAgents": "s", "multipliers": "s",
    },
    "MultiMachineInput": {"parallelExecutionType": "s", "continueOnError": "s", "maxNumberOfAgents": "s"},
    "ArtifactsDownloadInput": {"downloadInputs": "[ArtifactDownloadInputBase]"},
    "ArtifactDownloadInputBase": {
        "alias": "s", "artifactDownloadMode": "s", "artifactItems": "[s]", "artifactType": "s",
    },
    # triggers, by triggerType
    "Trigger": _TRIGGER,
    "ArtifactSourceTrigger": {**_TRIGGER, "artifactAlias": "s", "triggerConditions": "[ArtifactFilter]"},
    "ScheduledReleaseTrigger": {**_TRIGGER, "schedule": "ReleaseSchedule"},
    "SourceRepoTrigger": {**_TRIGGER, "alias": "s", "branchFilters": "[s]"},
    "ContainerImageTrigger": {**_TRIGGER, "alias": "s", "tagFilters": "[TagFilter]"},
    "PackageTrigger": {**_TRIGGER, "alias": "s"},
    "PullRequestTrigger": {
        **_TRIGGER, "artifactAlias": "s", "pullRequestConfiguration": "*", "statusPolicyName": "s",
        "triggerConditions": "[PullRequestFilter]",
    },
    "ArtifactFilter": {
        "createReleaseOnBuildTagging": "s", "sourceBranch": "s", "tagFilter": "TagFilter", "tags": "[s]",
        "useBuildDefinitionBranch": "s",
    },
    "TagFilter": {"pattern": "s"},
    "PullRequestFilter": {"tags": "[s]", "targetBranch": "s"},
}  # fmt: skip

# Fields a real server returned (exported-definition-sample.json) that neither the OpenAPI nor the
# client's models name: kept, so a definition made in the portal round-trips.
OBSERVED: dict[str, tuple[str, ...]] = {"EnvironmentOptions": ("publishDeploymentStatusToWorkItems",)}

_PHASES = {
    "agentBasedDeployment": "AgentBasedDeployPhase",
    "runOnServer": "RunOnServerDeployPhase",
    "machineGroupBasedDeployment": "MachineGroupBasedDeployPhase",
    "deploymentGates": "GatesDeployPhase",
}
_TRIGGERS = {
    "artifactSource": "ArtifactSourceTrigger",
    "schedule": "ScheduledReleaseTrigger",
    "sourceRepo": "SourceRepoTrigger",
    "containerImage": "ContainerImageTrigger",
    "package": "PackageTrigger",
    "pullRequest": "PullRequestTrigger",
}
_EXECUTIONS = {"multiConfiguration": "MultiConfigInput", "multiMachine": "MultiMachineInput"}


def _concrete(schema: str, value: dict[str, Any]) -> str:
    """The derived type a polymorphic value is, by its discriminator (the server's JSON converters)."""
    if schema == "DeployPhase":
        return _PHASES.get(str(value.get("phaseType")), "DeployPhase")
    if schema == "Trigger":
        return _TRIGGERS.get(str(value.get("triggerType")), "Trigger")
    if schema == "ExecutionInput":
        return _EXECUTIONS.get(str(value.get("parallelExecutionType")), "ExecutionInput")
    return schema


def prune(value: Any, spec: str = "ReleaseDefinition") -> Any:
    """``value`` with only the fields the contract ``spec`` knows (recursively); nulls are kept."""
    if value is None or spec in ("s", "*"):
        return value
    if spec.startswith("[") and spec.endswith("]"):
        inner = spec[1:-1]
        return [prune(item, inner) for item in value] if isinstance(value, list) else value
    if spec.startswith("{") and spec.endswith("}"):
        inner = spec[1:-1]
        return {k: prune(v, inner) for k, v in value.items()} if isinstance(value, dict) else value
    if not isinstance(value, dict):
        return value
    fields = SCHEMAS[_concrete(spec, value)]
    return {key: prune(item, fields[key]) for key, item in value.items() if key in fields}
