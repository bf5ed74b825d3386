"""A deployment job, run as the agent runs a release job: lay out a working directory, download the
artifacts, add the agent's variables, then run the tasks in order by their conditions.

Owns: the workspace layout (``_work/r1/a`` is ``System.DefaultWorkingDirectory``, ``_work/_temp`` is
``Agent.TempDirectory``, task folders under ``_work/_tasks``), which task runs (disabled ones are
skipped; ``succeeded()``, ``succeededOrFailed()``, ``failed()``, ``always()``; after a cancellation none),
``continue_on_error`` (a failure becomes succeededWithIssues), the job's timeout (it cancels the job)
and each task's (it fails the task), and the job's result.

Must not: know releases or HTTP; call back anyone (the pool delivers the outcome).
"""

from __future__ import annotations

import os
import platform
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from slotwise_emulator.agent.commands import SecretMasker
from slotwise_emulator.agent.environment import SYSTEM_VSS_CONNECTION, resolve_variables
from slotwise_emulator.agent.task_process import Ending, JobContext, Limit, merge, run
from slotwise_emulator.backends.devops_jobs import (
    DeploymentJob,
    JobOutcome,
    JobTask,
    Result,
    TaskOutcome,
    Variable,
)
from slotwise_emulator.backends.devops_tasks import TaskFolder

_OS = {"Linux": "Linux", "Darwin": "Darwin", "Windows": "Windows_NT"}
# authorization parameters the agent does not mask (MaskingUtil.IsEndpointAuthorizationParametersSecret)
_NOT_SECRET = frozenset(
    name.lower()
    for name in (
        "role", "scope", "tenantId", "issuedAt", "expiresAt", "audience", "authenticationType",
        "authorizationType", "accessTokenType", "accessTokenFetchingMethod", "useWindowsSecurity",
        "unsecured", "oAuthAccessTokenIsSupplied", "completeCallbackPayload", "acceptUntrustedCertificates",
    )
)  # fmt: skip
_STATUS = {
    "succeeded": "Succeeded",
    "succeededWithIssues": "SucceededWithIssues",
    "failed": "Failed",
    "canceled": "Canceled",
}


@dataclass(frozen=True)
class AgentSettings:
    """How an emulated agent behaves: its name, the environment it passes on to tasks (its own process
    environment plus ``environment``, e.g. ``NODE_EXTRA_CA_CERTS`` for the emulator's CA), how long a
    timeout's minute lasts (tests shrink it) and the wait between SIGINT, SIGTERM and SIGKILL."""

    name: str = "emulated-agent"
    environment: Mapping[str, str] = field(default_factory=dict)
    seconds_per_minute: float = 60.0
    grace_seconds: float = 7.5
    tools_directory: Path | None = None  # Agent.ToolsDirectory, kept across jobs; default: per job
    version: str = "4.0.0"  # Agent.Version as tasks see it (minimumAgentVersion checks)


def run_job(
    job: DeploymentJob,
    folders: Sequence[TaskFolder | LookupError],
    root: Path,
    settings: AgentSettings,
    cancel: threading.Event,
) -> JobOutcome:
    """Run ``job`` in the empty directory ``root``; ``folders`` are its tasks' folders (or why a task has
    none), in the order of ``job.tasks``."""
    outcome = JobOutcome("succeeded")
    started = time.monotonic()
    job_deadline = (
        started + job.timeout_minutes * settings.seconds_per_minute if job.timeout_minutes else float("inf")
    )
    try:
        context = _prepare(job, root, settings, outcome, cancel)
    except (OSError, ValueError) as exc:
        outcome.result = "failed"
        outcome.tasks.append(TaskOutcome("Initialize job", "failed", [f"##[error]{exc}"]))
        return outcome
    failed = canceled = False
    for step, folder in zip(job.tasks, folders, strict=True):
        status: Result = "canceled" if canceled else ("failed" if failed else outcome.result)
        context.variables["Agent.JobStatus"] = Variable(_STATUS.get(status, "Succeeded"))
        if not step.enabled or canceled or cancel.is_set() or not _should_run(step, failed):
            canceled = canceled or cancel.is_set()
            reason = (
                "disabled" if not step.enabled else "canceled" if canceled else f"condition {step.condition}"
            )
            outcome.tasks.append(TaskOutcome(step.name, "skipped", [f"Skipping {step.name}: {reason}."]))
            continue
        if _condition(step) is None:
            message = f"##[error]The emulated agent cannot evaluate the condition '{step.condition}'."
            task = TaskOutcome(step.name, "failed", [message])
        elif isinstance(folder, LookupError):
            task = TaskOutcome(
                step.name, "failed", [f"##[section]Starting: {step.name}", f"##[error]{folder}"]
            )
        else:
            task, ending = run(
                step, folder, _write_folder(root, folder), context, _limit(step, job, job_deadline, settings)
            )
            canceled = ending is Ending.CANCELED
        if task.result == "failed" and step.continue_on_error:
            task.result = "succeededWithIssues"
        failed = failed or task.result == "failed"
        if task.result in ("succeeded", "succeededWithIssues", "failed"):
            outcome.result = merge(outcome.result, task.result)
        outcome.tasks.append(task)
    if canceled:
        outcome.result = "canceled"
    return outcome


def _condition(step: JobTask) -> bool | None:
    """Whether the condition is one the emulated agent knows (``None``: it is not)."""
    text = "always()" if step.always_run else "".join(step.condition.split()).lower() or "succeeded()"
    return True if text in ("succeeded()", "always()", "failed()", "succeededorfailed()") else None


def _should_run(step: JobTask, failed: bool) -> bool:
    text = "always()" if step.always_run else "".join(step.condition.split()).lower() or "succeeded()"
    if text == "succeeded()":
        return not failed
    if text == "failed()":
        return failed
    return True  # always(), succeededOrFailed() (no cancellation here), or unknown (fails when run)


def _limit(step: JobTask, job: DeploymentJob, job_deadline: float, settings: AgentSettings) -> Limit:
    if step.timeout_minutes > 0:
        own = time.monotonic() + step.timeout_minutes * settings.seconds_per_minute
        if own < job_deadline:
            return Limit(
                own,
                cancels_job=False,
                message=f"The task has timed out after {step.timeout_minutes} minute(s).",
            )
    message = (
        f"The job running on agent {settings.name} ran longer than the maximum time of "
        f"{job.timeout_minutes} minutes."
    )
    return Limit(job_deadline, cancels_job=True, message=message)


def _prepare(
    job: DeploymentJob, root: Path, settings: AgentSettings, outcome: JobOutcome, cancel: threading.Event
) -> JobContext:
    work = root / "_work"
    release = work / "r1"
    default = release / "a"
    temp = work / "_temp"
    tools = settings.tools_directory or work / "_tool"
    for directory in (default, temp, tools, work / "_tasks"):
        directory.mkdir(parents=True, exist_ok=True)
    for artifact in job.artifacts:
        for relative, content in artifact.files.items():
            target = default / _safe(artifact.alias) / _safe(relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    agent = {
        "Agent.Name": settings.name,
        "Agent.MachineName": socket.gethostname(),
        "Agent.Id": "1",
        "Agent.Version": settings.version,
        "Agent.OS": _OS.get(platform.system(), platform.system()),
        "Agent.OSArchitecture": "ARM64" if platform.machine().lower() in ("arm64", "aarch64") else "X64",
        "Agent.HomeDirectory": str(root),
        "Agent.RootDirectory": str(work),
        "Agent.WorkFolder": str(work),
        "Agent.BuildDirectory": str(release),
        "Agent.ReleaseDirectory": str(default),
        "Agent.TempDirectory": str(temp),
        "Agent.ToolsDirectory": str(tools),
        "Agent.JobName": "Release",
        "Agent.JobStatus": "Succeeded",
        "System.DefaultWorkingDirectory": str(default),
        "System.ArtifactsDirectory": str(default),
        "System.WorkFolder": str(work),
    }
    given = {
        "System.JobId": job.job_id,
        "System.PlanId": job.plan_id,
        "System.TeamProject": job.project,
        "System.TeamProjectId": job.project_id,
        "System.HostType": "release",
    }
    variables = {name: Variable(value) for name, value in given.items()}
    variables |= job.variables
    variables |= {name: Variable(value) for name, value in agent.items()}
    variables |= _from_system_connection(job)
    masker = SecretMasker()
    for secret in [v.value for v in job.variables.values() if v.secret] + [
        value
        for endpoint in job.endpoints.values()
        for key, value in endpoint.parameters.items()
        if key.lower() not in _NOT_SECRET
    ]:
        for line in secret.splitlines():
            masker.add(line)
    base = dict(os.environ) | dict(settings.environment)
    return JobContext(
        resolve_variables(variables),
        dict(job.endpoints),
        masker,
        outcome,
        base,
        default,
        cancel,
        settings.grace_seconds,
    )


def _from_system_connection(job: DeploymentJob) -> dict[str, Variable]:
    """What the agent takes from the ``SystemVssConnection`` endpoint (``JobRunner.cs``): the server's
    URL (``System.TFServerUrl``) and, when ``System.EnableAccessToken`` is true, ``System.AccessToken``
    (then a public variable, as the agent sets it: scripts see ``SYSTEM_ACCESSTOKEN``; still masked)."""
    system = next(
        (e for e in job.endpoints.values() if e.name.lower() == SYSTEM_VSS_CONNECTION.lower()), None
    )
    if system is None:
        return {}
    out = {"System.TFServerUrl": Variable(system.url)}
    enabled = next((v for k, v in job.variables.items() if k.lower() == "system.enableaccesstoken"), None)
    token = next((v for k, v in system.parameters.items() if k.lower() == "accesstoken"), "")
    if enabled is not None and enabled.value.strip().lower() == "true" and token:
        out["System.AccessToken"] = Variable(token)
    return out


def _safe(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"The artifact path '{relative}' leaves the artifact's directory.")
    return path


def _write_folder(root: Path, folder: TaskFolder) -> Path:
    """Write the task's folder (once per job) where the agent keeps it: ``_tasks/<Name>_<id>/<version>``."""
    version = ".".join(map(str, folder.definition.version))
    target = root / "_work" / "_tasks" / f"{folder.definition.name}_{folder.definition.id}" / version
    if not target.exists():
        for relative, content in folder.files.items():
            path = target / _safe(relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    return target
