"""``NodeAgentPool``: tasks looked up from an extension installed from a .vsix, jobs run one at a time
per agent, outcomes delivered through ``post`` on the loop's thread, cancellation, clean-up."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import zipfile
from pathlib import Path

import pytest

from slotwise_emulator.agent.job import AgentSettings
from slotwise_emulator.agent.pool import NodeAgentPool
from slotwise_emulator.backends import devops_tasks
from slotwise_emulator.backends.devops_jobs import JobOutcome, JobTask
from slotwise_emulator.backends.devops_records import OrgRecords
from tests.agent.support import HERE, STEP_MANIFEST, Loop, job, needs_node

FUNCTION_APP = "501dd25d-1785-43e4-b4e5-a5c78ccc0573"  # AzureFunctionApp, a built-in task


def vsix(versions: tuple[int, ...]) -> bytes:
    """An extension contributing the step task in each major version (folder StepV<major>)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "extension.vsixmanifest",
            '<PackageManifest><Metadata><Identity Id="steps" Version="1.0.0" Publisher="tester"/>'
            "<DisplayName>Steps</DisplayName></Metadata></PackageManifest>",
        )
        contributions = [
            {
                "id": f"step-v{major}",
                "type": devops_tasks.TASK_CONTRIBUTION,
                "properties": {"name": f"StepV{major}"},
            }
            for major in versions
        ]
        archive.writestr("extension.vsomanifest", json.dumps({"contributions": contributions}))
        for major in versions:
            manifest = dict(STEP_MANIFEST, version={"Major": major, "Minor": 0, "Patch": 1})
            archive.writestr(f"StepV{major}/task.json", json.dumps(manifest))
            archive.writestr(f"StepV{major}/index.js", (HERE / "step.js").read_bytes())
            archive.writestr(f"StepV{major}/lib/version.txt", f"v{major}")
    return buffer.getvalue()


@pytest.fixture
def records() -> OrgRecords:
    records = OrgRecords()
    devops_tasks.install(records, devops_tasks.read_vsix(vsix((1, 2)), 0.0))
    return records


def test_a_spec_answers_the_highest_matching_versions_folder_with_all_its_files(records: OrgRecords) -> None:
    found = devops_tasks.task_folder(records, STEP_MANIFEST["id"].upper(), "2.*")
    assert found.definition.version == (2, 0, 1)
    assert set(found.files) == {"task.json", "index.js", "lib/version.txt"}
    assert found.files["lib/version.txt"] == b"v2"
    assert found.manifest["version"]["Major"] == 2
    assert devops_tasks.task_folder(records, STEP_MANIFEST["id"], "1").files["lib/version.txt"] == b"v1"


def test_a_built_in_or_unknown_task_has_no_folder_and_says_why(records: OrgRecords) -> None:
    with pytest.raises(LookupError, match="built-in Microsoft task"):
        devops_tasks.task_folder(records, FUNCTION_APP, "2.*")
    with pytest.raises(LookupError, match=r"No task .* matching 3"):
        devops_tasks.task_folder(records, STEP_MANIFEST["id"], "3.*")


def make_pool(records: OrgRecords, loop: Loop, tmp_path: Path, agents: int = 1) -> NodeAgentPool:
    settings = AgentSettings(name="pool-agent", seconds_per_minute=0.5, grace_seconds=0.5)

    def resolve(organization: str, task_id: str, version_spec: str) -> devops_tasks.TaskFolder:
        assert organization == "org"
        return devops_tasks.task_folder(records, task_id, version_spec)

    return NodeAgentPool(resolve, loop.post, agents=agents, settings=settings, work_root=tmp_path / "agents")


class Delivered:
    """Outcomes as delivered, with the thread they were delivered on."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.outcomes: dict[str, JobOutcome] = {}
        self.threads: set[int] = set()

    def done(self, name: str):  # type: ignore[no-untyped-def]
        def deliver(outcome: JobOutcome) -> None:
            assert name not in self.outcomes, "done called twice"
            self.order.append(name)
            self.outcomes[name] = outcome
            self.threads.add(threading.get_ident())

        return deliver


def sleeper(job_id: str, seconds: float) -> tuple[JobTask, ...]:
    return (
        JobTask(STEP_MANIFEST["id"], "2.*", f"{job_id} task", {"script": f"sleep {seconds} && say {job_id}"}),
    )


@needs_node
def test_one_agent_runs_one_job_at_a_time_and_delivers_on_the_loop(
    records: OrgRecords, tmp_path: Path
) -> None:
    loop, delivered = Loop(), Delivered()
    pool = make_pool(records, loop, tmp_path)
    try:
        pool.start(job(sleeper("slow", 1), job_id="slow"), delivered.done("slow"))
        pool.start(job(sleeper("fast", 0), job_id="fast"), delivered.done("fast"))
        loop.run_until(lambda: len(delivered.outcomes) == 2)
    finally:
        pool.close()
    assert delivered.order == ["slow", "fast"]
    assert delivered.threads == {loop.thread}
    assert delivered.outcomes["fast"].result == "succeeded"
    assert "fast" in delivered.outcomes["fast"].tasks[0].log
    assert list((tmp_path / "agents").iterdir()) == []  # each job's directory is removed


@needs_node
def test_two_agents_run_two_jobs_at_once(records: OrgRecords, tmp_path: Path) -> None:
    loop, delivered = Loop(), Delivered()
    pool = make_pool(records, loop, tmp_path, agents=2)
    try:
        pool.start(job(sleeper("slow", 2), job_id="slow"), delivered.done("slow"))
        pool.start(job(sleeper("fast", 0), job_id="fast"), delivered.done("fast"))
        loop.run_until(lambda: len(delivered.outcomes) == 2)
    finally:
        pool.close()
    assert delivered.order == ["fast", "slow"]


@needs_node
def test_cancel_ends_a_queued_job_at_once_and_stops_a_running_one(
    records: OrgRecords, tmp_path: Path
) -> None:
    loop, delivered = Loop(), Delivered()
    pool = make_pool(records, loop, tmp_path)
    try:
        marker = tmp_path / "running"
        task = JobTask(STEP_MANIFEST["id"], "2.*", "running task", {"script": f"touch {marker} && sleep 30"})
        pool.start(job((task,), job_id="running"), delivered.done("running"))
        pool.start(job(sleeper("queued", 0), job_id="queued"), delivered.done("queued"))
        pool.cancel("queued")
        loop.run_until(lambda: "queued" in delivered.outcomes)
        loop.run_until(marker.exists)  # its task runs now
        assert "running" not in delivered.outcomes
        pool.cancel("running")
        loop.run_until(lambda: "running" in delivered.outcomes, timeout=10)
    finally:
        pool.close()
    assert delivered.outcomes["queued"].result == "canceled"
    assert [t.result for t in delivered.outcomes["queued"].tasks] == ["skipped"]
    running = delivered.outcomes["running"]
    assert running.result == "canceled"
    assert "got SIGINT" in running.tasks[0].log


@needs_node
def test_a_job_naming_a_built_in_task_fails_it_with_a_clear_line(records: OrgRecords, tmp_path: Path) -> None:
    loop, delivered = Loop(), Delivered()
    pool = make_pool(records, loop, tmp_path)
    tasks = (JobTask(FUNCTION_APP, "2.*", "Deploy function", {}), *sleeper("after", 0))
    try:
        pool.start(job(tasks), delivered.done("job"))
        loop.run_until(lambda: "job" in delivered.outcomes)
    finally:
        pool.close()
    outcome = delivered.outcomes["job"]
    assert outcome.result == "failed"
    assert [t.result for t in outcome.tasks] == ["failed", "skipped"]
    assert any(
        "built-in Microsoft task" in line and line.startswith("##[error]") for line in outcome.tasks[0].log
    )


@needs_node
def test_with_an_asyncio_loop_done_runs_on_the_loops_thread(records: OrgRecords, tmp_path: Path) -> None:
    """The wiring the emulator uses: ``post`` is the running loop's ``call_soon_threadsafe``."""

    async def main() -> tuple[JobOutcome, int, int]:
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[tuple[JobOutcome, int]] = loop.create_future()
        pool = NodeAgentPool(
            lambda _org, task_id, spec: devops_tasks.task_folder(records, task_id, spec),
            loop.call_soon_threadsafe,
            settings=AgentSettings(seconds_per_minute=0.5, grace_seconds=0.5),
            work_root=tmp_path,
        )
        try:
            pool.start(
                job(sleeper("async", 0)),
                lambda outcome: finished.set_result((outcome, threading.get_ident())),
            )
            outcome, thread = await asyncio.wait_for(finished, 30)
        finally:
            pool.close()
        return outcome, thread, threading.get_ident()

    outcome, delivered_on, loop_thread = asyncio.run(main())
    assert delivered_on == loop_thread
    assert outcome.result == "succeeded"
    assert "async" in outcome.tasks[0].log
