"""The release service's validation of a definition, and its errors in Azure DevOps' shape.

``validate`` checks a pruned definition body against the organization (through the injected
``OrganizationDirectory``: every id is looked up there) and raises the first error the real server
would give. The error factories below carry the real status, ``typeKey`` and ``typeName``; each says
where its words come from. Where no real wording could be found the message is the emulator's
(marked *emulator wording*, and listed in emulator/README.md "Azure DevOps release definitions").

Sources: the exceptions' HTTP statuses are those of Azure DevOps Server 2022's
``ReleaseManagementProjectControllerBase.HttpExceptionsMap`` (decompiled, public); messages quoted
from real answers in public issues (VS402862: MicrosoftDocs/vsts-rest-api-specs#160; VS402934:
microsoft/AzureDevOpsDemoGenerator#528; VS402936: Azure/azure-cli-extensions#1505; the task
message: microsoft/AzureDevOpsDemoGenerator#311; VS402875, VS402973 and the stale revision: a public
exploration log of vsrm.dev.azure.com).

Must not: store anything, fill server-owned fields, or know HTTP.
"""

from __future__ import annotations

from typing import Any

from slotwise_emulator.backends.devops_directory import OrganizationDirectory
from slotwise_emulator.errors import ServiceError, devops_error

_WEBAPI = "Microsoft.VisualStudio.Services.ReleaseManagement.WebApi"
_DATA = "Microsoft.VisualStudio.Services.ReleaseManagement.Data.Exceptions"
INVALID_REQUEST = f"{_DATA}.InvalidRequestException, Microsoft.VisualStudio.Services.ReleaseManagement2.Data"


def invalid(message: str) -> ServiceError:
    """The release service's 400 for a request it refuses (``InvalidRequestException``)."""
    return devops_error(400, "InvalidRequestException", message, INVALID_REQUEST)


def _webapi(status: int, type_key: str, message: str) -> ServiceError:
    return devops_error(status, type_key, message, f"{_WEBAPI}.Exceptions.{type_key}, {_WEBAPI}")


def definition_not_found(definition_id: object) -> ServiceError:
    return _webapi(
        404,
        "ReleaseDefinitionNotFoundException",
        f"VS402936: Release pipeline with ID {definition_id} does not exist. Specify a valid ID and try "
        "again.",
    )


def revision_not_found(definition_id: int, revision: object) -> ServiceError:
    # emulator wording
    return _webapi(
        404,
        "ReleaseDefinitionRevisionNotFoundException",
        f"Revision {revision} of release pipeline with ID {definition_id} does not exist.",
    )


def already_exists(name: str) -> ServiceError:
    return _webapi(
        409,
        "ReleaseDefinitionAlreadyExistsException",
        f"VS402934: A release pipeline with the name '{name}' already exists. Specify a different name and "
        "try again.",
    )


def stale_revision() -> ServiceError:
    return invalid("You are using an old copy of the release pipeline. Refresh your copy and try again.")


def queue_not_found(queue_id: object, stage: str) -> ServiceError:
    # emulator wording; the type and its 400 are the server's (TaskAgentQueueNotFoundException)
    return devops_error(
        400,
        "TaskAgentQueueNotFoundException",
        f"Agent queue with id {queue_id} used in stage '{stage}' does not exist or you do not have "
        "permission to use it.",
        "Microsoft.TeamFoundation.DistributedTask.WebApi.TaskAgentQueueNotFoundException, "
        "Microsoft.TeamFoundation.DistributedTask.WebApi",
    )


def validate(body: dict[str, Any], directory: OrganizationDirectory, org: str, project_id: str) -> None:
    """Raise the server's error for the first thing wrong with ``body`` (already pruned)."""
    if not str(body.get("name") or "").strip():
        raise invalid("Release pipeline name cannot be empty.")  # emulator wording
    environments = body.get("environments") or []
    if not environments:
        raise invalid("VS402875: Release pipeline needs to have at least one stage.")
    _check_stage_names(environments)
    for artifact in body.get("artifacts") or []:
        _check_artifact(artifact, directory, org)
    for group in body.get("variableGroups") or []:
        _check_variable_group(group, directory, org, project_id, None)
    for env in environments:
        _check_stage(env, directory, org, project_id, {str(e.get("name")).lower() for e in environments})


def _check_stage_names(environments: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for env in environments:
        name = str(env.get("name") or "").strip()
        if not name:
            raise invalid("Stage name cannot be empty.")  # emulator wording
        if name.lower() in seen:
            # emulator wording
            raise invalid(f"Stage names must be unique. The name '{name}' is used by more than one stage.")
        seen.add(name.lower())


def _check_artifact(artifact: dict[str, Any], directory: OrganizationDirectory, org: str) -> None:
    reference = artifact.get("definitionReference") or {}
    source_missing = invalid(
        "VS402862: Artifact source should have source information. Specify a valid source and try again."
    )
    if not reference or not artifact.get("alias"):
        raise source_missing
    if str(artifact.get("type", "")).lower() != "build":
        return  # other artifact types live in services the emulator does not have
    definition = (reference.get("definition") or {}).get("id")
    project = (reference.get("project") or {}).get("id")
    if not definition or not project:
        raise source_missing
    found = directory.project(org, str(project))
    if found is None or not str(definition).isdigit():
        raise invalid(f"No artifact source with id '{project}:{definition}' exists.")  # emulator wording
    if directory.build_definition(org, found[0], int(definition)) is None:
        # emulator wording
        raise invalid(
            f"Build pipeline with id {definition} does not exist in project '{found[1]}' "
            f"(artifact '{artifact.get('alias')}')."
        )


def _check_variable_group(
    group: object, directory: OrganizationDirectory, org: str, project_id: str, stage: str | None
) -> None:
    if not isinstance(group, int) or directory.variable_group(org, project_id, group) is None:
        where = f" in stage '{stage}'" if stage else ""
        raise invalid(f"Variable group with id {group}{where} does not exist.")  # emulator wording


def _check_stage(
    env: dict[str, Any], directory: OrganizationDirectory, org: str, project_id: str, stages: set[str]
) -> None:
    stage = str(env.get("name"))
    for group in env.get("variableGroups") or []:
        _check_variable_group(group, directory, org, project_id, stage)
    for condition in env.get("conditions") or []:
        if (
            condition.get("conditionType") == "environmentState"
            and str(condition.get("name")).lower() not in stages
        ):
            # emulator wording
            raise invalid(
                f"Stage '{stage}' depends on stage '{condition.get('name')}', which does not exist."
            )
    policy = env.get("executionPolicy") or {}
    depth = policy.get("queueDepthCount")
    if depth not in (None, 0, 1):
        raise invalid(
            f"VS402973: Input not valid for executionPolicy:'queueDepthCount:{depth}, valid values are: "
            "0, 1.'"
        )
    for key in ("preDeployApprovals", "postDeployApprovals"):
        _check_approvals(env.get(key) or {}, directory, org, stage)
    for phase in env.get("deployPhases") or []:
        queue = (phase.get("deploymentInput") or {}).get("queueId")
        agent = phase.get("phaseType") == "agentBasedDeployment"
        if (
            agent
            and queue
            and (not isinstance(queue, int) or directory.queue(org, project_id, queue) is None)
        ):
            raise queue_not_found(queue, stage)
        for task in phase.get("workflowTasks") or []:
            if task.get("definitionType", "task") != "task":
                continue  # task groups (metaTask) are another service's
            version = str(task.get("version") or "")
            if not directory.task_installed(org, str(task.get("taskId") or ""), version):
                raise invalid(
                    f"Tasks with versions '{task.get('name')}:{version}' are not valid for deploy job "
                    f"'{phase.get('name')}' in stage {stage}."
                )


def _check_approvals(block: dict[str, Any], directory: OrganizationDirectory, org: str, stage: str) -> None:
    """Approval steps: automated alone, or people with ranks 1..n (all the same rank for "any order");
    every approver known; a required count no larger than the approvers. Emulator wording throughout."""
    steps = block.get("approvals") or []
    automated = [s for s in steps if s.get("isAutomated")]
    if automated and len(steps) > 1:
        raise invalid(f"Stage '{stage}': an automated approval cannot be combined with approvers.")
    manual = [s for s in steps if not s.get("isAutomated")]
    for step in manual:
        approver = (step.get("approver") or {}).get("id")
        if not approver or directory.identity(org, str(approver)) is None:
            raise invalid(f"Stage '{stage}': approver with id '{approver}' does not exist.")
    ranks = sorted(int(s.get("rank") or 0) for s in manual)
    if ranks and len(set(ranks)) > 1 and ranks != list(range(1, len(ranks) + 1)):
        raise invalid(
            f"Stage '{stage}': approval ranks must be 1, 2, ... in sequence, or all the same for approvers "
            "in any order."
        )
    count = (block.get("approvalOptions") or {}).get("requiredApproverCount")
    if count is not None and (not isinstance(count, int) or count < 0 or count > len(manual)):
        raise invalid(
            f"Stage '{stage}': requiredApproverCount {count} must be between 0 and the number of approvers "
            f"({len(manual)})."
        )
