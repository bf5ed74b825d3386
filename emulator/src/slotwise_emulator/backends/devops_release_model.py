"""The records of releases at run time: a release, its stages (release environments), their
approvals and deployments, as the emulated release service keeps them.

Plain picklable dataclasses and the enumerations of the contract (``EnvironmentStatus`` bit values
for stage conditions). Must not: decide anything (``devops_release_flow``), render (``devops_release_view``)
or know HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slotwise_emulator.backends.devops_jobs import JobOutcome

# EnvironmentStatus as the contract numbers it: a stage condition's value is a mask of these
ENVIRONMENT_STATUS_BITS = {
    "undefined": 0,
    "notStarted": 1,
    "inProgress": 2,
    "succeeded": 4,
    "canceled": 8,
    "rejected": 16,
    "queued": 32,
    "scheduled": 64,
    "partiallySucceeded": 128,
}
FINISHED = frozenset({"succeeded", "partiallySucceeded", "rejected", "canceled"})
PRE, POST = "preDeploy", "postDeploy"


@dataclass
class Approval:
    """One ``ReleaseApproval``: who must approve a stage's deployment, before or after it."""

    id: int
    release_id: int
    stage_id: int
    kind: str  # preDeploy | postDeploy
    rank: int
    approver: dict[str, Any]  # IdentityRef (a user, or a group: isContainer)
    created_on: float
    modified_on: float
    attempt: int = 1
    status: str = "pending"  # pending | approved | rejected | reassigned | canceled | skipped
    comments: str = ""
    approved_by: dict[str, Any] | None = None
    revision: int = 1
    is_automated: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TaskRecord:
    """One task of a deployment job, as ``deploySteps[].releaseDeployPhases[].deploymentJobs[].tasks``
    shows it, with its log."""

    id: int
    name: str
    record_id: str  # timeline record id (GUID)
    status: str = (
        "pending"  # pending | inProgress | succeeded | failed | canceled | skipped | partiallySucceeded
    )
    start: float | None = None
    finish: float | None = None
    log: list[str] = field(default_factory=list)


@dataclass
class Deployment:
    """One attempt at deploying a stage (a ``deployStep``) and its single agent phase."""

    id: int  # the deploy step id
    attempt: int
    phase_id: int  # releaseDeployPhaseId
    job_id: str
    plan_id: str
    requested_by: dict[str, Any]
    queued_on: float
    status: str = (
        "notDeployed"  # DeploymentStatus: notDeployed | inProgress | succeeded | partiallySucceeded | failed
    )
    operation: str = "pending"  # DeploymentOperationStatus (lower camel case)
    job_record: TaskRecord | None = None
    tasks: list[TaskRecord] = field(default_factory=list)
    outcome: JobOutcome | None = None
    started: float | None = None
    finished: float | None = None
    last_modified: float = 0.0


@dataclass
class Stage:
    """A release environment: the definition's environment as snapshotted when the release was made."""

    id: int
    definition_environment_id: int
    name: str
    rank: int
    snapshot: dict[str, Any]  # the definition's environment (conditions, approvals, phases, options)
    status: str = "notStarted"
    step: str = ""  # "" | queued | preApproval | deploying | postApproval
    trigger_reason: str = ""
    manual: bool = False  # named in the release's manualEnvironments
    approvals: list[Approval] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    step_since: float = 0.0  # when the current step began (approval timeouts count from here)
    modified_on: float = 0.0

    @property
    def deployment(self) -> Deployment | None:
        return self.deployments[-1] if self.deployments else None

    def approvals_of(self, kind: str, attempt: int) -> list[Approval]:
        return [a for a in self.approvals if a.kind == kind and a.attempt == attempt]


@dataclass
class Release:
    id: int
    name: str
    project_id: str
    project_name: str
    definition_id: int
    definition_name: str
    definition_revision: int
    created_by: dict[str, Any]
    created_on: float
    reason: str  # none | manual | continuousIntegration | schedule | pullRequest
    description: str
    artifacts: list[dict[str, Any]]
    variables: dict[str, Any]
    secrets: dict[str, str]  # the definition's secret values, "<envId>/<name>" or "<name>"
    stages: list[Stage] = field(default_factory=list)
    status: str = "active"  # draft | active | abandoned
    modified_by: dict[str, Any] = field(default_factory=dict)
    modified_on: float = 0.0
    keep_forever: bool = False

    def stage(self, stage_id: int) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)


@dataclass
class ProjectReleases:
    """One project's releases and its id counters."""

    releases: dict[int, Release] = field(default_factory=dict)
    next_release: int = 1
    next_step: int = 1  # stage, deploy step, phase and approval ids share one counter
