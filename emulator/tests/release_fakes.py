"""A small, honest ``OrganizationDirectory`` for the release service's tests, and definition bodies.

``FakeDirectory`` decides authentication (one PAT, one bearer token), api-versions (a server that
speaks up to 7.1, or 7.0 as Azure DevOps Server 2022) and which projects, queues, build definitions,
identities, variable groups and tasks exist. It is module-level and picklable, like the real one.
"""

from __future__ import annotations

import base64
import copy
import re
from dataclasses import dataclass, field
from typing import Any

from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.errors import ServiceError, devops_error

PAT = "fake-pat-0123456789"
BEARER = "fake-entra-token"
PROJECT_ID = "6e6a7c5b-5b0e-4f0f-9a52-3b5a1f0c9d11"
TASK_SLOT_DEPLOY = "1f4f1d58-1111-4c3a-9f00-5e1de9a1a001"
APPROVER = "aeb95c63-4fac-4948-84ce-711b0a9dda97"
CALLER = {
    "id": "4adb1680-0eac-6149-b5ee-fc8b4f6ca227",
    "displayName": "Ada Admin",
    "uniqueName": "ada@contoso.com",
}
_VERSION = re.compile(r"^(\d+)\.(\d+)(?:-preview(?:\.(\d+))?)?$")


@dataclass
class FakeDirectory:
    server_max: tuple[int, int] = (7, 1)
    projects: dict[str, str] = field(default_factory=lambda: {PROJECT_ID: "web"})
    queues: dict[int, str] = field(default_factory=lambda: {7: "Azure Pipelines"})
    builds: dict[int, str] = field(default_factory=lambda: {12: "app-CI"})
    groups: dict[int, str] = field(default_factory=lambda: {3: "shared"})
    identities: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            APPROVER: {"id": APPROVER, "displayName": "Rita Reviewer", "uniqueName": "rita@contoso.com"},
            CALLER["id"]: dict(CALLER),
        }
    )
    tasks: set[tuple[str, int]] = field(default_factory=lambda: {(TASK_SLOT_DEPLOY, 1)})

    def authorize(self, org: str, authorization: str | None) -> dict[str, Any]:
        if org.lower() != "contoso":
            raise devops_error(404, "AccountNotFoundException", f"Organization '{org}' does not exist.")
        scheme, _, value = (authorization or "").partition(" ")
        token = value
        if scheme.lower() == "basic":
            token = base64.b64decode(value).decode().partition(":")[2]
        if token not in (PAT, BEARER):
            raise ServiceError(401, "UnauthorizedRequestException", "TF400813", shape="empty")
        return dict(CALLER)

    def check_version(self, org: str, location: ApiLocation, requested: str | None) -> str:
        parsed = _VERSION.match(requested or "")
        if parsed is None:
            raise devops_error(400, "VssVersionNotSpecifiedException", "No api-version was supplied.")
        wanted = (int(parsed.group(1)), int(parsed.group(2)))
        preview = int(parsed.group(3) or 0)
        if wanted > self.server_max or preview > location.resource_version:
            raise devops_error(400, "VssVersionOutOfRangeException", f"{requested} is out of range.")
        return str(requested)

    def project(self, org: str, name_or_id: str) -> tuple[str, str] | None:
        for pid, name in self.projects.items():
            if name_or_id.lower() in (pid, name.lower()):
                return pid, name
        return None

    def task_installed(self, org: str, task_id: str, version_spec: str) -> bool:
        major = version_spec.split(".")[0]
        return major.isdigit() and (task_id.lower(), int(major)) in self.tasks

    def queue(self, org: str, project_id: str, queue_id: int) -> str | None:
        return self.queues.get(queue_id) if project_id in self.projects else None

    def build_definition(self, org: str, project_id: str, definition_id: int) -> str | None:
        return self.builds.get(definition_id) if project_id in self.projects else None

    def service_endpoint(self, org: str, project_id: str, endpoint_id: str) -> str | None:
        return None

    def identity(self, org: str, identity_id: str) -> dict[str, Any] | None:
        return self.identities.get(identity_id)

    def variable_group(self, org: str, project_id: str, group_id: int) -> str | None:
        return self.groups.get(group_id)


def stage(
    name: str, *, conditions: list[dict[str, Any]] | None = None, approver: str | None = None
) -> dict[str, Any]:
    """A stage as slotwise would send it: one agent job with the slot-deploy task."""
    pre: dict[str, Any] = {"approvals": [{"rank": 1, "isAutomated": True}]}
    if approver:
        pre = {
            "approvals": [{"rank": 1, "isAutomated": False, "approver": {"id": approver}}],
            "approvalOptions": {"requiredApproverCount": 1, "releaseCreatorCanBeApprover": False},
        }
    return {
        "name": name,
        "conditions": conditions if conditions is not None else [
            {"conditionType": "event", "name": "ReleaseStarted", "value": ""}
        ],
        "preDeployApprovals": pre,
        "postDeployApprovals": {"approvals": [{"rank": 1, "isAutomated": True}]},
        "executionPolicy": {"concurrencyCount": 1, "queueDepthCount": 0},
        "deployPhases": [
            {
                "name": "Deploy",
                "phaseType": "agentBasedDeployment",
                "rank": 1,
                "deploymentInput": {"queueId": 7},
                "workflowTasks": [
                    {"taskId": TASK_SLOT_DEPLOY, "version": "1.*", "name": "deploy-to-slot",
                     "inputs": {"slot": "staging"}}
                ],
            }
        ],
    }  # fmt: skip


def definition(name: str = "app-release", **extra: Any) -> dict[str, Any]:
    """A definition body: the build artifact with its CD trigger, Staging, then Production."""
    body: dict[str, Any] = {
        "name": name,
        "path": "\\apps",
        "artifacts": [
            {
                "alias": "app",
                "type": "Build",
                "definitionReference": {
                    "definition": {"id": "12"},
                    "project": {"id": PROJECT_ID, "name": "web"},
                },
            }
        ],
        "triggers": [{"triggerType": "artifactSource", "artifactAlias": "app", "triggerConditions": []}],
        "environments": [
            stage("Staging"),
            stage(
                "Production",
                conditions=[{"conditionType": "environmentState", "name": "Staging", "value": "4"}],
                approver=APPROVER,
            ),
        ],
        "variables": {"region": {"value": "westeurope"}},
    }
    body.update(copy.deepcopy(extra))
    return body
