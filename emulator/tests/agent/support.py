"""What the agent tests share: task folders made from a task.json and a Node handler, jobs of them,
and a stand-in for the emulator's loop (``Loop.post`` queues; ``Loop.run_until`` runs the queue on the
test's thread, as the emulator's loop would)."""

from __future__ import annotations

import queue
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from slotwise_emulator.agent.job import AgentSettings, run_job
from slotwise_emulator.backends.devops_jobs import DeploymentJob, Endpoint, JobOutcome, JobTask, Variable
from slotwise_emulator.backends.devops_records import TaskDefinition
from slotwise_emulator.backends.devops_tasks import TaskFolder

HERE = Path(__file__).resolve().parent
needs_node = pytest.mark.skipif(
    shutil.which("node") is None, reason="node is not on PATH (CI has Node.js 20)"
)
FAST = AgentSettings(name="test-agent", seconds_per_minute=0.5, grace_seconds=0.5)


def folder(manifest: Mapping[str, Any], script: str, target: str = "index.js") -> TaskFolder:
    """A task folder: the manifest as task.json and ``script`` (a file of tests/agent) as its target."""
    version = manifest.get("version", {"Major": 1, "Minor": 0, "Patch": 0})
    definition = TaskDefinition(
        str(manifest["id"]).lower(),
        str(manifest["name"]),
        str(manifest.get("friendlyName", manifest["name"])),
        (int(version["Major"]), int(version["Minor"]), int(version["Patch"])),
        "test",
        "Deploy",
    )
    files = {"task.json": b"{}", target: (HERE / script).read_bytes()}
    return TaskFolder(definition, dict(manifest), files)


STEP_MANIFEST: dict[str, Any] = {
    "id": "9f2a8c1e-0d4b-4f6a-8e3c-5b7d2a1c9e00",
    "name": "Step",
    "friendlyName": "A step",
    "version": {"Major": 1, "Minor": 2, "Patch": 3},
    "inputs": [{"name": "script", "type": "string", "defaultValue": "exit 0"}],
    "execution": {"Node20_1": {"target": "index.js"}},
}


def step(name: str, script: str, **options: Any) -> JobTask:
    """A task of the ``step.js`` folder: ``script`` is what it does (see step.js)."""
    return JobTask(STEP_MANIFEST["id"], "1.*", name, {"script": script}, **options)


def job(
    tasks: tuple[JobTask, ...],
    variables: Mapping[str, Variable] | None = None,
    endpoints: Mapping[str, Endpoint] | None = None,
    job_id: str = "job-1",
    **options: Any,
) -> DeploymentJob:
    return DeploymentJob(
        job_id,
        "plan-1",
        "org",
        "proj",
        "proj-id",
        tasks,
        dict(variables or {}),
        dict(endpoints or {}),
        **options,
    )


def run_steps(tmp_path: Path, deployment: DeploymentJob, cancel: threading.Event | None = None) -> JobOutcome:
    folders: list[TaskFolder | LookupError] = [folder(STEP_MANIFEST, "step.js") for _ in deployment.tasks]
    return run_job(deployment, folders, tmp_path, FAST, cancel or threading.Event())


class Loop:
    """The emulator's loop, as far as a pool sees it: ``post`` may be called from any thread."""

    def __init__(self) -> None:
        self.calls: queue.Queue[Callable[[], None]] = queue.Queue()
        self.thread = threading.get_ident()

    def post(self, call: Callable[[], None]) -> None:
        self.calls.put(call)

    def run_until(self, finished: Callable[[], bool], timeout: float = 30.0) -> None:
        """Run what was posted, on this thread, until ``finished()`` (or fail after ``timeout``)."""
        end = time.monotonic() + timeout
        while not finished():
            remaining = end - time.monotonic()
            assert remaining > 0, "the pool did not deliver in time"
            try:
                self.calls.get(timeout=min(remaining, 0.1))()
            except queue.Empty:
                continue
