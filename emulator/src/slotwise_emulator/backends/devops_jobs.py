"""What the emulated release service hands an agent pool, and what it gets back: the interface.

A release's stage becomes a deployment job (``DeploymentJob``): the tasks of its agent phase in
order (as the definition names them: task id, version spec, inputs with ``$(variable)`` macros still
in them), the variables the agent must set (release, build, system and the definition's own, secret
ones marked), the service endpoints the inputs may name, and the artifacts to download. An
``AgentPool`` runs it and reports a ``JobOutcome`` (the job's result, each task's result and log
lines, output variables, the summaries uploaded, the issues logged) through the callback it was
given, when the job ends. The release service consumes pools; pools know nothing of releases.
State changes on the emulator's loop: a pool that works in other threads or processes must call
``done`` there (the backends give pools a ``post(callable)`` that does so), never from its own thread.

Must not: know HTTP, or how a pool runs tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

Result = Literal["succeeded", "succeededWithIssues", "failed", "canceled", "skipped"]


@dataclass(frozen=True)
class JobTask:
    """One task of the job, as the definition's ``workflowTasks`` says it."""

    task_id: str  # lower case GUID
    version_spec: str  # e.g. "1.*"
    name: str  # its display name
    inputs: dict[str, str]  # as written in the definition: $(macros) not expanded
    enabled: bool = True
    continue_on_error: bool = False
    always_run: bool = False
    condition: str = "succeeded()"
    timeout_minutes: int = 0  # 0: the job's timeout


@dataclass(frozen=True)
class Variable:
    value: str
    secret: bool = False


@dataclass(frozen=True)
class Endpoint:
    """A service endpoint as the agent exposes it to tasks (``ENDPOINT_URL_<id>``,
    ``ENDPOINT_AUTH_<id>``, ``ENDPOINT_AUTH_SCHEME_<id>``, ``ENDPOINT_AUTH_PARAMETER_<id>_<KEY>``,
    ``ENDPOINT_DATA_<id>_<KEY>``)."""

    id: str
    name: str
    type: str  # e.g. "azurerm"
    url: str
    scheme: str  # e.g. "WorkloadIdentityFederation", "ServicePrincipal"
    parameters: dict[str, str] = field(default_factory=dict)  # authorization parameters (secret)
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Artifact:
    """A build artifact to download into ``$(System.DefaultWorkingDirectory)/<alias>``."""

    alias: str
    files: dict[str, bytes]  # relative path -> content


@dataclass(frozen=True)
class DeploymentJob:
    job_id: str
    plan_id: str
    organization: str
    project: str
    project_id: str
    tasks: tuple[JobTask, ...]
    variables: dict[str, Variable]  # name (as written: Release.ReleaseId, System.AccessToken, ...) -> value
    endpoints: dict[str, Endpoint]  # by id
    artifacts: tuple[Artifact, ...] = ()
    timeout_minutes: int = 60


@dataclass
class TaskOutcome:
    name: str
    result: Result
    log: list[str] = field(default_factory=list)  # lines as the agent logs them, secrets masked
    progress: int | None = None  # the last ##vso[task.setprogress value=N] (0..100), if any


@dataclass
class JobOutcome:
    result: Result
    tasks: list[TaskOutcome] = field(default_factory=list)
    outputs: dict[str, Variable] = field(default_factory=dict)  # "<task name>.<variable>" -> value
    summaries: list[tuple[str, str]] = field(default_factory=list)  # (name, markdown) uploaded
    issues: list[tuple[str, str]] = field(default_factory=list)  # (type: error|warning, message)


class AgentPool(Protocol):
    """Runs deployment jobs: ``start`` returns at once; ``done`` is called once, when the job ends."""

    def start(self, job: DeploymentJob, done: Callable[[JobOutcome], None]) -> None: ...

    def cancel(self, job_id: str) -> None: ...
