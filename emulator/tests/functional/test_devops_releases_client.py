"""Releases at run time through the real ``azure-devops`` client (v7_1 ``ReleaseClient``) against a
seeded emulator: create and read a release, the manual agent pool's job completed by the driver,
task logs and summaries, approvals listed, refused and decided, a rejection stopping the later stage,
the CD trigger creating a release when a build completes, and the control plane's release section."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
import requests
from azure.devops.exceptions import AzureDevOpsServiceError
from azure.devops.v7_1.release.models import (
    ArtifactMetadata,
    BuildVersion,
    ReleaseApproval,
    ReleaseEnvironmentUpdateMetadata,
    ReleaseStartMetadata,
)

from tests.devops_client import Org, org

__all__ = ["org"]
ORG, PROJECT = "contoso", "Fabrikam"
LEAD, OPS, ADMIN = "lead@contoso.com", "ops@contoso.com", "admin@contoso.com"


def member_id(seeded: Org, email: str) -> str:
    def find(b: Any) -> str:
        return str(b.devops.directory.records_of(ORG).member_named(email).id)

    return seeded.emulator.call(find)


def setup(seeded: Org, *, trigger_branch: str | None = None) -> tuple[int, int]:
    """A build definition and a release definition: Staging after release, Production after Staging
    with the lead as approver (the creator may not approve). ``(build definition id, definition id)``."""
    build_definition = seeded.emulator.create_build_definition(ORG, PROJECT, "app-CI")
    triggers = []
    if trigger_branch is not None:
        condition = {"sourceBranch": trigger_branch, "tags": [], "useBuildDefinitionBranch": False}
        triggers = [
            {"triggerType": "artifactSource", "artifactAlias": "app", "triggerConditions": [condition]}
        ]
    task = {
        "taskId": "9a2f7c11-5d1e-4d0b-8c3b-2f4f1a6b7c01",
        "version": "1.*",
        "name": "deploy",
        "inputs": {},
    }
    phase = {
        "name": "Deploy",
        "phaseType": "agentBasedDeployment",
        "rank": 1,
        "deploymentInput": {"queueId": 1},
        "workflowTasks": [task],
    }
    automated = {"approvals": [{"rank": 1, "isAutomated": True}]}
    lead = {
        "approvals": [{"rank": 1, "isAutomated": False, "approver": {"id": member_id(seeded, LEAD)}}],
        "approvalOptions": {"requiredApproverCount": 1, "releaseCreatorCanBeApprover": False},
    }
    document = {
        "name": "app-release",
        "path": "\\",
        "artifacts": [
            {
                "alias": "app",
                "type": "Build",
                "isPrimary": True,
                "definitionReference": {"definition": {"id": str(build_definition.id), "name": "app-CI"}},
            }
        ],
        "triggers": triggers,
        "environments": [
            {
                "name": "Staging",
                "rank": 1,
                "conditions": [{"conditionType": "event", "name": "ReleaseStarted"}],
                "preDeployApprovals": automated,
                "postDeployApprovals": automated,
                "deployPhases": [phase],
            },
            {
                "name": "Production",
                "rank": 2,
                "conditions": [{"conditionType": "environmentState", "name": "Staging", "value": "4"}],
                "preDeployApprovals": lead,
                "postDeployApprovals": automated,
                "deployPhases": [phase],
            },
        ],
    }
    return build_definition.id, seeded.emulator.load_release_definition(ORG, PROJECT, document)


def client(seeded: Org, email: str = ADMIN) -> Any:
    pat = seeded.pat if email == ADMIN else seeded.emulator.issue_pat(ORG, email)
    return seeded.connect(pat).clients_v7_1.get_release_client()


def statuses(release: Any) -> dict[str, str]:
    return {e.name: e.status for e in release.environments}


def test_a_release_runs_waits_for_its_approver_and_deploys_production(org: Org) -> None:
    build_definition, definition_id = setup(org)
    build = org.emulator.complete_build(ORG, PROJECT, "app-CI", build_number="20260101.1")
    admin, lead, ops = client(org), client(org, LEAD), client(org, OPS)
    metadata = ReleaseStartMetadata(
        definition_id=definition_id,
        description="v1",
        is_draft=False,
        reason="manual",
        artifacts=[
            ArtifactMetadata(
                alias="app", instance_reference=BuildVersion(id=str(build.id), name="20260101.1")
            )
        ],
    )
    made = admin.create_release(metadata, PROJECT)
    assert (made.name, made.reason, made.description) == ("Release-1", "manual", "v1")
    assert statuses(made) == {"Staging": "inProgress", "Production": "notStarted"}
    assert made.artifacts[0].definition_reference["version"].id == str(build.id)

    (job,) = org.emulator.pending_jobs()
    assert (job["releaseId"], job["stage"], job["tasks"]) == (made.id, "Staging", ["deploy"])
    org.emulator.complete_job(
        job["jobId"],
        logs={"deploy": ["deployed v1", "smoke ok"]},
        summaries=[("Smoke test", "| check | result |")],
    )

    read = admin.get_release(PROJECT, made.id)
    assert statuses(read) == {"Staging": "succeeded", "Production": "inProgress"}
    staging = read.environments[0]
    step = staging.deploy_steps[0]
    phase = step.release_deploy_phases[0]
    task = phase.deployment_jobs[0].tasks[0]
    assert (task.name, task.status) == ("deploy", "succeeded")
    log = b"".join(admin.get_task_log(PROJECT, made.id, staging.id, phase.id, task.id)).decode()
    assert log.splitlines() == ["deployed v1", "smoke ok"]
    attachments = admin.get_release_task_attachments(
        PROJECT, made.id, staging.id, step.attempt, phase.run_plan_id, "Distributedtask.Core.Summary"
    )
    assert [a.name for a in attachments] == ["Smoke test"]
    content = admin.get_release_task_attachment_content(
        PROJECT,
        made.id,
        staging.id,
        step.attempt,
        phase.run_plan_id,
        attachments[0].timeline_id,
        attachments[0].record_id,
        "Distributedtask.Core.Summary",
        "Smoke test",
    )
    assert b"".join(content) == b"| check | result |"

    (approval,) = lead.get_approvals(PROJECT, assigned_to_filter=LEAD)
    assert (approval.approval_type, approval.status, approval.release.id) == ("preDeploy", "pending", made.id)
    assert approval.release_environment.name == "Production"
    assert ops.get_approvals(PROJECT, assigned_to_filter=OPS) == []
    with pytest.raises(AzureDevOpsServiceError) as refused:
        ops.update_release_approval(ReleaseApproval(status="approved", comments="me?"), PROJECT, approval.id)
    assert "not an approver" in str(refused.value)
    decided = lead.update_release_approval(
        ReleaseApproval(status="approved", comments="ship it"), PROJECT, approval.id
    )
    assert (decided.status, decided.comments, decided.approved_by.unique_name) == (
        "approved",
        "ship it",
        LEAD,
    )
    with pytest.raises(AzureDevOpsServiceError) as again:
        lead.update_release_approval(ReleaseApproval(status="rejected"), PROJECT, approval.id)
    assert "already been approved" in str(again.value)

    (job,) = org.emulator.pending_jobs()
    assert job["stage"] == "Production"
    org.emulator.complete_job(job["jobId"])
    assert statuses(admin.get_release(PROJECT, made.id)) == {
        "Staging": "succeeded",
        "Production": "succeeded",
    }
    listed = admin.get_releases(PROJECT, definition_id=definition_id, expand="environments")
    assert [(r.id, statuses(r)) for r in listed] == [
        (made.id, {"Staging": "succeeded", "Production": "succeeded"})
    ]
    assert build_definition > 0


def test_the_creator_may_not_approve_and_a_rejection_stops_production(org: Org) -> None:
    _, definition_id = setup(org)
    org.emulator.complete_build(ORG, PROJECT, "app-CI")
    made = org.emulator.create_release(ORG, PROJECT, definition_id, creator=LEAD)
    org.emulator.complete_job(org.emulator.pending_jobs()[0]["jobId"])
    lead = client(org, LEAD)
    (approval,) = lead.get_approvals(PROJECT, release_ids_filter=[made["id"]])
    with pytest.raises(AzureDevOpsServiceError) as refused:
        lead.update_release_approval(ReleaseApproval(status="approved"), PROJECT, approval.id)
    assert "creator" in str(refused.value)
    rejected = lead.update_release_approval(
        ReleaseApproval(status="rejected", comments="no"), PROJECT, approval.id
    )
    assert rejected.status == "rejected"
    assert statuses(lead.get_release(PROJECT, made["id"])) == {
        "Staging": "succeeded",
        "Production": "rejected",
    }
    assert org.emulator.pending_jobs() == []
    assert lead.get_approvals(PROJECT) == []


def test_a_completed_build_on_the_filtered_branch_creates_a_release(org: Org) -> None:
    _, definition_id = setup(org, trigger_branch="main")
    org.emulator.complete_build(ORG, PROJECT, "app-CI", source_branch="refs/heads/feature/x")
    admin = client(org)
    assert admin.get_releases(PROJECT, definition_id=definition_id) == []
    build = org.emulator.complete_build(ORG, PROJECT, "app-CI", source_branch="refs/heads/main")
    (release,) = admin.get_releases(PROJECT, definition_id=definition_id, expand="artifacts")
    assert release.reason == "continuousIntegration"
    assert release.artifacts[0].definition_reference["version"].id == str(build.id)
    abandoned = admin.update_release_resource({"status": "abandoned", "comment": "stop"}, PROJECT, release.id)
    assert abandoned.status == "abandoned"
    assert org.emulator.pending_jobs() == []


def test_the_control_plane_starts_lists_and_completes(org: Org) -> None:
    _, definition_id = setup(org)
    org.emulator.complete_build(ORG, PROJECT, "app-CI")
    base = f"{org.emulator.arm_url}/_emulator/devops"
    verify = str(org.emulator.ca_path)
    made = requests.post(
        f"{base}/{ORG}/{PROJECT}/releases", json={"definitionId": definition_id}, verify=verify, timeout=10
    )
    assert made.status_code == 201
    jobs = requests.get(f"{base}/jobs", verify=verify, timeout=10).json()
    assert [j["releaseId"] for j in jobs] == [made.json()["id"]]
    body = {"result": "failed", "taskResults": {"deploy": "succeededWithIssues"}}
    done = requests.post(f"{base}/jobs/{jobs[0]['jobId']}", json=body, verify=verify, timeout=10)
    assert done.json()["result"] == "failed"
    (listed,) = requests.get(f"{base}/{ORG}/{PROJECT}/releases", verify=verify, timeout=10).json()
    assert [s["status"] for s in listed["stages"]] == ["rejected", "notStarted"]
    staging = client(org).get_release(PROJECT, made.json()["id"]).environments[0]
    (task,) = staging.deploy_steps[0].release_deploy_phases[0].deployment_jobs[0].tasks
    assert (task.name, task.status) == ("deploy", "partiallySucceeded")  # its own result, not the job's
    unknown = requests.post(f"{base}/jobs/nope", json={}, verify=verify, timeout=10)
    assert unknown.status_code == 404


def test_a_manual_stage_is_deployed_through_the_client_and_the_logs_come_zipped(org: Org) -> None:
    _, definition_id = setup(org)
    org.emulator.complete_build(ORG, PROJECT, "app-CI")
    made = org.emulator.create_release(ORG, PROJECT, definition_id, manual_stages=["Staging"])
    admin = client(org)
    assert statuses(admin.get_release(PROJECT, made["id"])) == {
        "Staging": "notStarted",
        "Production": "notStarted",
    }
    staging = made["stages"][0]["id"]
    updated = admin.update_release_environment(
        ReleaseEnvironmentUpdateMetadata(status="inProgress", comment="go"), PROJECT, made["id"], staging
    )
    assert (updated.name, updated.status) == ("Staging", "inProgress")
    with pytest.raises(AzureDevOpsServiceError):
        admin.update_release_environment(
            ReleaseEnvironmentUpdateMetadata(status="inProgress"), PROJECT, made["id"], staging
        )
    org.emulator.complete_job(org.emulator.pending_jobs()[0]["jobId"], logs={"deploy": ["line 1"]})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(admin.get_logs(PROJECT, made["id"]))))
    assert [archive.read(n).decode().splitlines() for n in archive.namelist()] == [["line 1"]]
