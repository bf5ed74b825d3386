"""deploy-to-slot, run as the agent runs it, behaves as the CLI does when a swap races the deployment,
when the package is not a function app, and when the answer to the upload is lost.

The child process is the task (``tests.functional.test_agent_tasks.Agent``); the race is made as in
``test_deploy_races``: the upload is held up in the emulator, and this test swaps staging into
production through the unmodified azure-mgmt-web client while it is in flight.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from azure.mgmt.web import WebSiteManagementClient
from azure.mgmt.web.models import CsmSlotEntity

from slotwise.builds import BuildInfo
from slotwise.events import NullReporter
from slotwise.services import Services
from slotwise.slots.deploy import DeployRequest, deploy
from slotwise_emulator import Emulator, FunctionApp
from tests.functional.control import add_fault, faults, uploads
from tests.functional.deploying import serving
from tests.functional.test_agent_tasks import BUILD_NUMBER, Agent, Run
from tests.packages import good_build, not_an_app


@pytest.fixture
def agent(
    emulator: Emulator,
    function_app: FunctionApp,
    slot_env: dict[str, str],
    services: Services,
    tmp_path: Path,
) -> Agent:
    """Production runs build 20260101.1 (version 1), staging build 20260101.2 (version 2)."""
    for slot, number, version in (("production", "1", "1"), ("staging", "2", "2")):
        package = good_build(tmp_path / "earlier" / f"{slot}.zip", version)
        build = BuildInfo(build_number=f"20260101.{number}")
        deploy(services, DeployRequest("rg-demo", "func-demo", slot, package, build=build), guard=None,
               reporter=NullReporter())  # fmt: skip
    return Agent(emulator, tmp_path)


def test_a_swap_racing_the_task_s_upload_fails_it_and_names_the_destroyed_build(
    agent: Agent, emulator: Emulator, web_client: WebSiteManagementClient
) -> None:
    good_build(agent.work / "drop" / "func-demo.zip", "7")
    add_fault(emulator, path="^/api/zipdeploy$", kind="scm", latency_ms=3000, passthrough=True, count=1)

    process = agent.start("deploy-to-slot")
    deadline = time.monotonic() + 60
    while faults(emulator):  # the upload has arrived and is held up
        assert time.monotonic() < deadline, "the upload never arrived"
        time.sleep(0.02)
    web_client.web_apps.begin_swap_slot(
        "rg-demo", "func-demo", "staging", CsmSlotEntity(target_slot="production"), polling_interval=0
    ).result()
    stdout, stderr = process.communicate(timeout=120)
    run = Run("deploy-to-slot", process.returncode, stdout, stderr)

    run.assert_no_secret(emulator)
    assert run.result == "Failed", run.stdout
    assert run.outputs["OverwroteBuild"] == "build 20260101.1"
    (error,) = run.errors()
    assert "Build 20260101.1, production's previous build (the rollback), was destroyed" in error
    assert f"build {BUILD_NUMBER}" in error
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "7")
    assert "Destroyed rollback build" in run.summary()


def test_a_folder_without_host_json_fails_the_task_before_any_upload(
    agent: Agent, emulator: Emulator
) -> None:
    site = not_an_app(agent.work / "drop" / "site")
    before = uploads(emulator)

    run = agent.run("deploy-to-slot", package="drop/site")

    assert run.result == "Failed", run.stdout
    (error,) = run.errors()
    assert "host.json is missing at its root" in error
    assert str(site) in error
    assert uploads(emulator) == before
    assert serving(emulator, "staging") == "2"


def test_a_lost_answer_to_the_task_s_upload_is_followed_not_sent_twice(
    agent: Agent, emulator: Emulator
) -> None:
    good_build(agent.work / "drop" / "func-demo.zip", "7")
    add_fault(emulator, path="^/api/zipdeploy$", kind="scm", drop_after=True, count=1)
    before = uploads(emulator)

    run = agent.run("deploy-to-slot")

    assert run.exit_code == 0, run.stdout
    assert run.result == "Succeeded"
    assert uploads(emulator) == before + 1
    assert serving(emulator, "staging") == "7"
    assert run.outputs["OverwroteBuild"] == ""


def test_sigterm_during_the_upload_says_where_things_stand(agent: Agent, emulator: Emulator) -> None:
    good_build(agent.work / "drop" / "func-demo.zip", "7")
    add_fault(emulator, path="^/api/zipdeploy$", kind="scm", latency_ms=5000, passthrough=True, count=1)

    process = agent.start("deploy-to-slot")
    deadline = time.monotonic() + 60
    while faults(emulator):  # the whole (small) package went out; Kudu has not answered
        assert time.monotonic() < deadline, "the upload never arrived"
        time.sleep(0.02)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    run = Run("deploy-to-slot", process.returncode, stdout, stderr)

    run.assert_no_secret(emulator)
    assert run.result == "Failed", run.stdout
    (error,) = run.errors()
    assert error.startswith("Cancelled after the whole package")
    assert "may have received it" in error
    assert "The task's summary shows the slots" in error  # where to look, in a pipeline's words
