"""Releases run by the emulated Node agent plugged into a seeded emulator (``use_node_agent``): a tiny
task installed from a .vsix built here sees the build's artifact file, its inputs' macros expanded,
its job token working against the emulated DevOps host (an OIDC token over Node's https trusting the
emulator's CA), sets an output variable the next task reads and uploads a summary; the logs read
through the real ``azure-devops`` client mask the token; the next stage waits for its approver; a
failing task stops the release; abandoning a release cancels its running job; the state saves, and a
job lost with a stopped emulator fails on restart. Needs ``node`` on PATH (CI has Node.js 20)."""

from __future__ import annotations

import io
import json
import pickle
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from slotwise_emulator import Emulator, Speed
from slotwise_emulator.agent.job import AgentSettings
from slotwise_emulator.agent.pool import NodeAgentPool
from slotwise_emulator.agent_driver import system_cas
from slotwise_emulator.backends.devops_manual_pool import ManualPool
from slotwise_emulator.cli import agent_named, parser, plug_agent
from slotwise_emulator.errors import EmulatorError
from tests.devops_client import Org, seeded

ORG, PROJECT = "contoso", "Fabrikam"
ADMIN, LEAD = "admin@contoso.com", "lead@contoso.com"
TASK_ID = "5f0c8a9e-7a51-4c1e-9d2b-0c0ffee00001"
HERE = Path(__file__).resolve().parent
FAST = AgentSettings(name="release-agent", seconds_per_minute=0.5, grace_seconds=0.5)
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH (CI has it)")
pytestmark = needs_node


def probe_vsix() -> bytes:
    """An extension whose one task (Probe@1) runs tests/functional/probe/index.js on Node 20."""
    manifest = {
        "id": TASK_ID,
        "name": "Probe",
        "friendlyName": "Release probe",
        "version": {"Major": 1, "Minor": 0, "Patch": 0},
        "inputs": [
            {"name": "mode", "type": "string", "defaultValue": "echo"},
            {"name": "label", "type": "string", "defaultValue": "release $(Release.ReleaseId)"},
            {"name": "artifact", "type": "filePath", "defaultValue": ""},
            {"name": "connection", "type": "connectedService:AzureRM", "defaultValue": ""},
            {"name": "marker", "type": "string", "defaultValue": ""},
        ],
        "execution": {"Node20_1": {"target": "index.js"}},
    }
    contribution = {"id": "probe", "type": "ms.vss-distributed-task.task", "properties": {"name": "Probe"}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "extension.vsixmanifest",
            '<PackageManifest><Metadata><Identity Id="probe" Version="1.0.0" Publisher="tester"/>'
            "</Metadata></PackageManifest>",
        )
        archive.writestr("extension.vsomanifest", json.dumps({"contributions": [contribution]}))
        archive.writestr("Probe/task.json", json.dumps(manifest))
        archive.writestr("Probe/index.js", (HERE / "probe" / "index.js").read_bytes())
    return buffer.getvalue()


def member_id(org: Org, email: str) -> str:
    return org.emulator.call(lambda b: str(b.devops.directory.records_of(ORG).member_named(email).id))


def definition(org: Org, staging: list[dict[str, Any]], *, enable_token: bool = False) -> int:
    """Staging (after release) runs ``staging``'s tasks; Production (after Staging) waits for the lead."""
    build_definition = org.emulator.create_build_definition(ORG, PROJECT, "app-CI")

    def phase(tasks: list[dict[str, Any]]) -> dict[str, Any]:
        given = {"queueId": 1, "enableAccessToken": enable_token}
        workflow = [{"taskId": TASK_ID, "version": "1.*", **task} for task in tasks]
        return {"name": "Deploy", "phaseType": "agentBasedDeployment", "rank": 1,
                "deploymentInput": given, "workflowTasks": workflow}  # fmt: skip

    automated = {"approvals": [{"rank": 1, "isAutomated": True}]}
    lead = {"approvals": [{"rank": 1, "isAutomated": False, "approver": {"id": member_id(org, LEAD)}}]}
    artifact = {"definition": {"id": str(build_definition.id), "name": "app-CI"}}
    after_staging = [{"conditionType": "environmentState", "name": "Staging", "value": "4"}]
    document = {
        "name": "app-release",
        "artifacts": [{"alias": "app", "type": "Build", "isPrimary": True, "definitionReference": artifact}],
        "environments": [
            {
                "name": "Staging",
                "rank": 1,
                "conditions": [{"conditionType": "event", "name": "ReleaseStarted"}],
                "preDeployApprovals": automated,
                "postDeployApprovals": automated,
                "deployPhases": [phase(staging)],
            },
            {
                "name": "Production",
                "rank": 2,
                "conditions": after_staging,
                "preDeployApprovals": lead,
                "postDeployApprovals": automated,
                "deployPhases": [phase([{"name": "prod", "inputs": {}}])],
            },
        ],
    }
    return org.emulator.load_release_definition(ORG, PROJECT, document)


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """``check()``'s first truthy answer (fails after ``timeout`` seconds)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def stage_statuses(org: Org, release_id: int) -> dict[str, str]:
    """The stages' statuses, read on the server's loop (without saving the state, as the driver would)."""

    def read(b: Any) -> dict[str, str]:
        project_id = b.release.project(ORG, PROJECT)[0]
        (release,) = [r for r in b.releases.releases(ORG, project_id) if r.id == release_id]
        return {s.name: s.status for s in release.stages}

    return org.emulator.call(read)


def settled(org: Org, release_id: int, stage: str) -> Callable[[], dict[str, str] | None]:
    def check() -> dict[str, str] | None:
        now = stage_statuses(org, release_id)
        return now if now[stage] not in ("notStarted", "queued", "inProgress") else None

    return check


def client(org: Org, email: str = ADMIN) -> Any:
    pat = org.pat if email == ADMIN else org.emulator.issue_pat(ORG, email)
    return org.connect(pat).clients_v7_1.get_release_client()


def task_logs(org: Org, release_id: int, stage_name: str) -> dict[str, list[str]]:
    """Each task's log of the stage, read through the real client."""
    admin = client(org)
    release = admin.get_release(PROJECT, release_id)
    (stage,) = [e for e in release.environments if e.name == stage_name]
    phase = stage.deploy_steps[-1].release_deploy_phases[0]
    return {
        task.name: b"".join(admin.get_task_log(PROJECT, release_id, stage.id, phase.id, task.id))
        .decode()
        .splitlines()
        for task in phase.deployment_jobs[0].tasks
    }


@pytest.fixture
def node_org(monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    """A seeded emulator with the probe task installed and the Node agent pool plugged in."""
    monkeypatch.setenv("PROBE_PASSTHROUGH", "from the emulator's environment")
    with Emulator(speed=Speed.instant(), seed=True) as emu:
        emu.use_node_agent(settings=FAST)
        org = seeded(emu, monkeypatch)
        vsix = Path(emu.ca_path).parent / "probe.vsix"
        vsix.write_bytes(probe_vsix())
        emu.install_extension(ORG, vsix)
        yield org


def test_a_release_runs_on_the_node_agent_and_waits_for_its_approver(node_org: Org) -> None:
    org = node_org
    connection = org.emulator.service_connection(ORG, PROJECT, "prod")
    staging = [
        {"name": "deploy", "inputs": {"mode": "deploy", "artifact": "app/drop/app.txt",
                                      "connection": connection.id}},
        {"name": "report", "inputs": {"label": "got $(deploy.deployed) in $(Release.EnvironmentName)"}},
    ]  # fmt: skip
    definition_id = definition(org, staging)
    build = org.emulator.complete_build(ORG, PROJECT, "app-CI", artifacts={"drop": {"app.txt": b"v1 inside"}})
    made = org.emulator.create_release(ORG, PROJECT, definition_id, build_id=build.id)
    release_id = made["id"]

    assert wait_for(settled(org, release_id, "Staging")) == {
        "Staging": "succeeded",
        "Production": "inProgress",
    }
    logs = task_logs(org, release_id, "Staging")
    deploy = logs["deploy"]
    assert "label: release 1" in deploy  # the default's $(Release.ReleaseId) expanded
    assert "artifact: v1 inside" in deploy  # $(System.DefaultWorkingDirectory)/app/drop/app.txt
    assert "oidc: 200 a JWT" in deploy  # the job token works against the DevOps host, over https
    assert f"tenant: {connection.tenant_id}" in deploy  # the agent does not mask a tenant id
    assert f"authority: {org.emulator.authority}/" in deploy
    assert "token is ***" in deploy
    assert "passed through: from the emulator's environment" in deploy
    tokens = org.emulator.call(lambda b: b.devops.access_tokens())
    assert not any(token in line for token in tokens for lines in logs.values() for line in lines)
    assert f"label: got v-{release_id} in Staging" in logs["report"]

    admin = client(org)
    release = admin.get_release(PROJECT, release_id)
    stage = release.environments[0]
    step = stage.deploy_steps[0]
    plan = step.release_deploy_phases[0].run_plan_id
    attachments = admin.get_release_task_attachments(
        PROJECT, release_id, stage.id, step.attempt, plan, "Distributedtask.Core.Summary"
    )
    assert [a.name for a in attachments] == ["deployed.md"]
    content = admin.get_release_task_attachment_content(
        PROJECT, release_id, stage.id, step.attempt, plan, attachments[0].timeline_id,
        attachments[0].record_id, "Distributedtask.Core.Summary", "deployed.md",
    )  # fmt: skip
    assert b"".join(content).decode() == f"# Deployed\nrelease {release_id} to Staging\n"
    (approval,) = client(org, LEAD).get_approvals(PROJECT, release_ids_filter=[release_id])
    assert (approval.approval_type, approval.release_environment.name) == ("preDeploy", "Production")


def test_the_job_is_a_pipeline_job_of_the_release_hub(node_org: Org) -> None:
    org = node_org
    tasks = [{"name": "echo", "inputs": {"mode": "echo"}}]
    for enabled in (False, True):
        definition_id = definition(org, tasks, enable_token=enabled)
        org.emulator.complete_build(ORG, PROJECT, "app-CI")
        release_id = org.emulator.create_release(ORG, PROJECT, definition_id)["id"]
        wait_for(settled(org, release_id, "Staging"))
        (job_id,) = [
            s["jobId"]
            for r in org.emulator.releases(ORG, PROJECT)
            if r["id"] == release_id
            for s in r["stages"]
            if s["jobId"]
        ]
        job = org.emulator.call(lambda b, j=job_id: next(x for x in b.devops.jobs.values() if x.job_id == j))
        org_id = org.emulator.call(lambda b: b.devops.organization(ORG).id)
        log = task_logs(org, release_id, "Staging")["echo"]
        assert job.hub == "release"
        assert (
            f"SYSTEM_OIDCREQUESTURI={org.url}{job.project_id}/_apis/distributedtask/hubs/release/plans/{job.plan_id}/jobs/{job.job_id}/oidctoken"
            in log
        )
        assert f"SYSTEM_COLLECTIONID={org_id}" in log
        assert "SYSTEM_SERVERTYPE=Hosted" in log
        assert "SYSTEM_HOSTTYPE=release" in log
        # the agent sets System.AccessToken for scripts only when the phase allows the OAuth token
        assert f"SYSTEM_ACCESSTOKEN {'set' if enabled else 'unset'}" in log


def test_a_failing_task_rejects_its_stage_and_the_next_never_runs(node_org: Org) -> None:
    org = node_org
    definition_id = definition(org, [{"name": "smoke", "inputs": {"mode": "fail"}}])
    org.emulator.complete_build(ORG, PROJECT, "app-CI")
    release_id = org.emulator.create_release(ORG, PROJECT, definition_id)["id"]
    assert wait_for(settled(org, release_id, "Staging")) == {
        "Staging": "rejected",
        "Production": "notStarted",
    }
    assert "##[error]the smoke test failed" in task_logs(org, release_id, "Staging")["smoke"]
    time.sleep(0.2)
    assert stage_statuses(org, release_id)["Production"] == "notStarted"
    assert client(org, LEAD).get_approvals(PROJECT, release_ids_filter=[release_id]) == []


def test_abandoning_a_release_cancels_its_running_job(node_org: Org, tmp_path: Path) -> None:
    org = node_org
    marker = tmp_path / "running"
    definition_id = definition(org, [{"name": "hang", "inputs": {"mode": "hang", "marker": str(marker)}}])
    org.emulator.complete_build(ORG, PROJECT, "app-CI")
    release_id = org.emulator.create_release(ORG, PROJECT, definition_id)["id"]
    wait_for(marker.exists)
    started = time.monotonic()
    abandoned = client(org).update_release_resource({"status": "abandoned"}, PROJECT, release_id)
    assert abandoned.status == "abandoned"
    assert stage_statuses(org, release_id)["Staging"] == "canceled"
    pool = org.emulator.call(lambda b: b.releases.pool)
    wait_for(lambda: not pool._running)  # the task's process was stopped
    assert time.monotonic() - started < 10
    assert stage_statuses(org, release_id) == {"Staging": "canceled", "Production": "notStarted"}


def test_the_state_saves_with_the_node_pool_and_a_lost_job_fails_on_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, copy = tmp_path / "state", tmp_path / "copy"
    marker = tmp_path / "running"
    emu = Emulator(speed=Speed.instant(), seed=True, state_dir=state).start()
    try:
        emu.use_node_agent(settings=FAST)
        org = seeded(emu, monkeypatch)
        (tmp_path / "probe.vsix").write_bytes(probe_vsix())
        emu.install_extension(ORG, tmp_path / "probe.vsix")
        definition_id = definition(org, [{"name": "deploy", "inputs": {}}])
        emu.complete_build(ORG, PROJECT, "app-CI")
        first = emu.create_release(ORG, PROJECT, definition_id)["id"]
        wait_for(settled(org, first, "Staging"))
        saved = pickle.loads((state / "state.pickle").read_bytes())[1]  # noqa: S301 - the test's own file
        project_id = saved.release.project(ORG, PROJECT)[0]
        assert (
            saved.releases.releases(ORG, project_id)[0].stages[0].status == "succeeded"
        )  # saved on delivery
        assert (state / "agent-tools").is_dir()
        hanging = {"mode": "hang", "marker": str(marker)}
        emu.edit_release_definition(
            ORG, PROJECT, definition_id, {"environments.0.deployPhases.0.workflowTasks.0.inputs": hanging}
        )
        second = emu.create_release(ORG, PROJECT, definition_id)["id"]
        wait_for(marker.exists)
        shutil.copytree(state, copy)  # the state as a crash would leave it: the job still running
    finally:
        emu.stop()  # closes the pool: the running job ends canceled, and that is saved
    with Emulator(state_dir=state) as restarted:
        assert [r["stages"][0]["status"] for r in restarted.releases(ORG, PROJECT)] == [
            "succeeded",
            "canceled",
        ]
    with Emulator(state_dir=copy) as crashed:
        releases = crashed.releases(ORG, PROJECT)
        assert [(r["id"], r["stages"][0]["status"]) for r in releases] == [
            (first, "succeeded"),
            (second, "rejected"),
        ]
        assert releases[1]["stages"][1]["status"] == "notStarted"


def test_the_command_line_picks_the_node_agent_when_node_is_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert parser().parse_args([]).agent is None
    assert parser().parse_args(["--agent", "manual"]).agent == "manual"
    assert agent_named(None) == "node"
    assert agent_named("manual") == "manual"
    monkeypatch.setenv("PATH", str(tmp_path))
    assert agent_named(None) == "manual"
    with pytest.raises(EmulatorError) as refused:
        agent_named("node")
    assert "--agent manual" in refused.value.hint


def test_the_banner_says_which_pool_runs_the_jobs() -> None:
    with Emulator(speed=Speed.instant()) as emu:
        assert emu.agent_pool_kind == "manual"
        assert "emulated Node agent (node: " in plug_agent(emu, "node")
        assert emu.agent_pool_kind == "node"
        assert isinstance(emu.call(lambda b: b.releases.pool), NodeAgentPool)
        assert "manual agent pool" in plug_agent(emu, "manual")
        assert isinstance(emu.call(lambda b: b.releases.pool), ManualPool)


def test_task_processes_trust_the_emulators_ca_and_the_systems(tmp_path: Path) -> None:
    with Emulator(speed=Speed.instant()) as emu:
        pool = emu.use_node_agent(settings=FAST, work_root=tmp_path)
        env = pool.settings.environment
        ca = Path(emu.ca_path).read_bytes()
        assert env["NODE_EXTRA_CA_CERTS"] == str(emu.ca_path)  # Node adds it to its own
        bundle = Path(env["REQUESTS_CA_BUNDLE"]).read_bytes()  # Python and OpenSSL read one bundle
        assert env["SSL_CERT_FILE"] == env["REQUESTS_CA_BUNDLE"]
        assert bundle == system_cas() + b"\n" + ca  # this system's CAs (a package index), then the emulator's
