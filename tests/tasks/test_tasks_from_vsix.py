"""The four tasks run from the built .vsix, unpacked, exactly as the Azure Pipelines agent runs them.

One ``scripts/package`` build per session, unpacked; one agent tools directory per session, so the
shim sets slotwise up once (cold, offline from a local wheelhouse) and every later run is warm. Each
run is ``node <unpacked>/tasks/<folder>/<execution.Node20_1.target>`` with an environment built by the
agent's rules (``tests/tasks/agentkit.py``) against the live emulator: a pipeline job of the emulated
Azure DevOps with its ``SYSTEMVSSCONNECTION``, and an AzureRM service connection (workload identity
federation unless a test says otherwise; the OIDC token is minted by the emulator's DevOps host).
Assertions are on the parsed ``##vso[...]`` output, on the summary the task uploaded, and on what each
slot serves afterwards (its own Functions host answers). After every run: no secret the emulator
issued, nor the job's access token or a connection's key, appears in stdout or stderr outside the
``task.setsecret`` lines, and no traceback.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from slotwise_emulator import Emulator, FunctionApp, PipelineJob, Speed
from tests import vso
from tests.functional.deploying import deploy_build, serving
from tests.packages import SMOKE_CHECKS, broken_build, good_build
from tests.tasks.agentkit import (
    Extension,
    RunningTask,
    TaskAgent,
    TaskRun,
    Workspace,
    issued_secrets,
    leaked,
)
from tests.tasks.shimkit import MARKER, NODE, NODE_MISSING

pytestmark = [
    pytest.mark.skipif(NODE is None, reason=NODE_MISSING),
    pytest.mark.skipif(
        sys.platform == "win32", reason="runs the tasks as a Linux agent does (POSIX signals)"
    ),
]

APP = {"appName": "func-demo", "resourceGroupName": "rg-demo"}
CHECKS = SMOKE_CHECKS
UNKNOWN_CONNECTION = "00000000-1111-2222-3333-444444444444"
FOLDERS = ["deploy-to-slot", "guard-against-overwrite", "slot-swap", "smoke-test"]


# ---- the session: one .vsix, one agent machine -----------------------------------------------------------


@pytest.fixture(scope="session")
def extension(tmp_path_factory: pytest.TempPathFactory, vsix: Path) -> Extension:
    """The .vsix built by scripts/package, unpacked."""
    root = tmp_path_factory.mktemp("vsix")
    assert vsix.name.startswith("slotwise-")
    assert vsix.suffix == ".vsix"
    extension = Extension.unpack(vsix, root / "unpacked")
    assert extension.folders() == FOLDERS
    for folder in FOLDERS:
        assert extension.target(folder).name == "shim.js"
        assert extension.target(folder).is_file()
    return extension


@dataclass
class AgentMachine:
    """The session's agent machine, and the first (cold) run that set slotwise up in its tools directory."""

    tasks: TaskAgent
    cold: TaskRun


@pytest.fixture(scope="session")
def agent(tmp_path_factory: pytest.TempPathFactory, extension: Extension, wheelhouse: Path) -> AgentMachine:
    """An agent whose tools directory gets slotwise's environment from the first run (cold, offline
    from the wheelhouse): a run that needs no Azure, a missing required input."""
    tasks = TaskAgent(extension, tmp_path_factory.mktemp("agent"), wheelhouse)
    workspace = Workspace.create(tasks.root / "_work")
    cold = tasks.run_task(
        "guard-against-overwrite",
        {"azureSubscription": UNKNOWN_CONNECTION, "appName": ""},
        connection_env={},
        extra_env=workspace.variables(),
        cwd=workspace.sources,
    )
    assert "Setting up slotwise" in cold.stdout, cold.log()
    assert cold.result == "Failed", cold.log()  # the agent ran: it reported the missing input
    return AgentMachine(tasks, cold)


# ---- one job per test ------------------------------------------------------------------------------------


@dataclass
class Pipeline:
    """One pipeline job on the session's agent, using one AzureRM service connection to the emulator."""

    agent: TaskAgent
    emulator: Emulator
    job: PipelineJob
    connection_env: dict[str, str]
    workspace: Workspace
    known_secrets: list[str] = field(default_factory=list)  # given to the job, not issued by Azure
    started: list[RunningTask] = field(default_factory=list)  # background runs, killed at the end

    @property
    def connection_id(self) -> str:
        return self.job.service_connection_id

    def variables(self, **overrides: str) -> dict[str, str]:
        """The job's variables, and the emulator's CA trusted (a self-hosted agent with a private CA)."""
        return {**self.workspace.variables(**overrides), "REQUESTS_CA_BUNDLE": str(self.emulator.ca_path)}

    def start(self, folder: str, *, own_process_group: bool = False, **inputs: str) -> RunningTaskHandle:
        """Start a task in the background (see ``TaskAgent.start_task``)."""
        running = self.agent.start_task(
            folder,
            {"azureSubscription": self.connection_id, **APP, **inputs},
            connection_env=self.connection_env,
            extra_env=self.variables(),
            cwd=self.workspace.sources,
            own_process_group=own_process_group,
        )
        self.started.append(running)
        return RunningTaskHandle(self, running)

    def run(self, folder: str, *, build: str | None = None, **inputs: str) -> TaskRun:
        """Run a task to its end (inputs by task.json name; ``build``: this run's Build.BuildNumber)."""
        given = {"azureSubscription": self.connection_id, **APP, **inputs}
        overrides = {"BUILD_BUILDNUMBER": build} if build else {}
        run = self.agent.run_task(
            folder,
            given,
            connection_env=self.connection_env,
            extra_env=self.variables(**overrides),
            cwd=self.workspace.sources,
        )
        return self.checked(run)

    def checked(self, run: TaskRun) -> TaskRun:
        """Every run: no secret in its log (outside ``task.setsecret``), its summary or its JUnit report;
        no traceback; one ``task.complete``, the last command, then exit code 0 whatever the result,
        as the agent's Node handler requires of a task that reported it (docs/tasks-contract.md); no
        CLI option or ``slotwise`` command in its log."""
        secrets = [*issued_secrets(self.emulator), *self.known_secrets]
        shown = leaked(run, secrets)
        assert not shown, f"{len(shown)} secret(s) printed unmasked by {run.folder}"
        report = run.outputs.get("SmokeReportPath")
        for path in [*run.summary_paths, *([Path(report)] if report else [])]:
            text = path.read_text(encoding="utf-8")
            assert not [s for s in secrets if s in text], (
                f"a secret is in {path.name}, written by {run.folder}"
            )
        assert "Traceback" not in run.stdout + run.stderr, run.log()
        assert run.result in ("Succeeded", "SucceededWithIssues", "Failed"), run.log()  # one, the last
        assert run.exit_code == 0, run.log()
        told = vso.cli_words(run.stdout + run.stderr)  # a pipeline user is told task inputs, not CLI options
        assert not told, "\n".join(told)
        return run


@dataclass
class RunningTaskHandle:
    """A task started in the background by a ``Pipeline``; ``finish`` checks it like any run."""

    pipeline: Pipeline
    running: RunningTask

    def finish(self, timeout: float = 60) -> TaskRun:
        return self.pipeline.checked(self.running.finish(timeout))


def make_pipeline(
    agent: AgentMachine, emulator: Emulator, tmp_path: Path, *, scheme: str = "WorkloadIdentityFederation"
) -> Pipeline:
    """A job of contoso/web whose AzureRM connection uses ``scheme``, as the agent passes it."""
    if scheme == "ServicePrincipal":
        connection = emulator.service_connection("contoso", "web", "prod-spn", scheme="ServicePrincipal")
        job = emulator.pipeline_job("contoso", "web", "prod-spn")
        connection_env = {**job.system_env(), **emulator.service_principal_env(connection.id)}
        known = [job.access_token, connection.service_principal_key or ""]
    else:
        job = emulator.pipeline_job("contoso", "web", "prod-wif")
        assert job.service_connection.scheme == "WorkloadIdentityFederation"
        connection_env = job.agent_env()
        known = [job.access_token]
    workspace = Workspace.create(tmp_path / "_work")
    return Pipeline(agent.tasks, emulator, job, connection_env, workspace, known)


@pytest.fixture
def pipeline(
    agent: AgentMachine, emulator: Emulator, function_app: FunctionApp, tmp_path: Path
) -> Iterator[Pipeline]:
    made = make_pipeline(agent, emulator, tmp_path)
    yield made
    for running in made.started:  # a test that failed half-way leaves none behind
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(timeout=10)


@pytest.fixture
def two_builds(emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path) -> None:
    """Production serves build 1, staging build 2 (deployed raw, as another tool would)."""
    deploy_build(emulator, arm_token, tmp_path / "raw", "production", "1")
    deploy_build(emulator, arm_token, tmp_path / "raw", "staging", "2")


def slots(emulator: Emulator) -> tuple[str, str]:
    """(production, staging): the build each serves."""
    return serving(emulator, "production"), serving(emulator, "staging")


# ---- (1) the happy path of each task -------------------------------------------------------------------


def test_the_first_run_set_slotwise_up_in_the_tools_directory(
    agent: AgentMachine, extension: Extension
) -> None:
    cold = agent.cold
    (wheel,) = extension.task_dir("guard-against-overwrite").glob("slotwise-*.whl")
    version = wheel.name.split("-")[1]
    assert f"Setting up slotwise {version} with Python" in cold.stdout
    assert f"slotwise {version} is ready" in cold.stdout
    venvs = list((agent.tasks.tools / "slotwise" / version).iterdir())
    assert [v.name for v in venvs] == [f"{sys.version_info[0]}.{sys.version_info[1]}"]
    assert (venvs[0] / MARKER).is_file()
    (error,) = cold.errors
    assert f"'{extension.label('guard-against-overwrite', 'appName')}' (appName) is required" in error


def test_deploy_to_slot(pipeline: Pipeline, emulator: Emulator) -> None:
    good_build(pipeline.workspace.sources / "drop" / "func-demo.zip", "7")  # found by the default glob
    run = pipeline.run("deploy-to-slot", build="20260101.7")
    assert run.exit_code == 0, run.log()
    assert run.result == "Succeeded"
    assert "Setting up" not in run.stdout  # warm: the session's environment is reused
    assert "Using slotwise" in run.stdout
    assert slots(emulator) == ("none", "7")
    outputs = run.outputs
    assert outputs["SlotUrl"].startswith("https://")
    assert outputs["DeploymentId"]
    assert outputs["BuildLabel"] == "build 20260101.7"
    assert outputs["OverwroteBuild"] == ""
    assert run.completion.message.startswith("Deployed build 20260101.7 to func-demo/staging")
    summary = run.summary
    assert "**Result: succeeded**" in summary
    assert "### What runs where: func-demo" in summary
    assert "| staging | build 20260101.7 |" in summary
    assert "| **production** | nothing deployed by Kudu |" in summary
    assert "### Rollback" in summary


@pytest.mark.usefixtures("two_builds")
def test_slot_swap_with_smoke_checks(pipeline: Pipeline, emulator: Emulator) -> None:
    run = pipeline.run("slot-swap", smokeChecks="inline", smokeChecksInline=CHECKS)
    assert run.exit_code == 0, run.log()
    assert run.result == "Succeeded"
    assert slots(emulator) == ("2", "1")
    outputs = run.outputs
    assert (outputs["SwapSource"], outputs["SwapTarget"]) == ("staging", "production")
    assert outputs["SwapPhase"] == "swapped"
    assert outputs["HeldSlot"] == "staging"
    assert outputs["HeldBuild"]
    assert outputs["SmokeResult"] == "passed"
    junit = Path(outputs["SmokeReportPath"])
    assert junit.parent == pipeline.workspace.test_results
    report = junit.read_text(encoding="utf-8")
    assert 'failures="0"' in report
    assert "health answers healthy" in report
    assert "hello needs its function key" in report
    summary = run.summary
    assert "Smoke tests passed" in summary
    assert "holds production's previous build until" in summary
    assert "To roll back, swap slot **staging** with production again" in summary


@pytest.mark.usefixtures("two_builds")
def test_smoke_test_with_inline_checks_writes_junit(pipeline: Pipeline, emulator: Emulator) -> None:
    run = pipeline.run("smoke-test", checksSource="inline", checksInline=CHECKS)
    assert run.exit_code == 0, run.log()
    assert run.result == "Succeeded"
    outputs = run.outputs
    assert (outputs["SmokeResult"], outputs["SmokePassed"], outputs["SmokeFailed"]) == ("passed", "2", "0")
    # junitFile's default, $(Common.TestResultsDirectory)/slotwise-smoke-$(System.JobId).xml, expanded
    junit = pipeline.workspace.test_results / f"slotwise-smoke-{pipeline.job.job_id}.xml"
    assert Path(outputs["SmokeReportPath"]) == junit
    report = junit.read_text(encoding="utf-8")
    assert 'failures="0"' in report
    assert "health answers healthy" in report
    summary = run.summary
    assert "Smoke tests passed" in summary
    assert "| health answers healthy | passed | 200 |" in summary
    assert slots(emulator) == ("1", "2")  # a smoke test changes nothing


@pytest.mark.usefixtures("two_builds")
def test_guard_against_overwrite_on_a_free_slot(pipeline: Pipeline, emulator: Emulator) -> None:
    run = pipeline.run("guard-against-overwrite", mode="park")
    assert run.exit_code == 0, run.log()
    assert run.result == "Succeeded"
    assert run.outputs == {"HoldStatus": "free", "HeldBuild": "", "ParkedIn": ""}
    assert "holds no rollback build" in run.completion.message
    assert "No slot holds production's previous build now" in run.summary
    assert slots(emulator) == ("1", "2")
    sub = emulator.subscription_id
    made = emulator.call(lambda b: [s.name for s in b.web.list_slots(sub, "rg-demo", "func-demo")])
    assert made == ["staging"]  # no park slot was created


# ---- (2) the whole story, through tasks only ------------------------------------------------------------


def test_the_whole_story_through_tasks_only(pipeline: Pipeline, emulator: Emulator) -> None:
    drop = pipeline.workspace.sources / "drop"

    def package(version: str, *, broken: bool = False) -> str:
        (broken_build if broken else good_build)(drop / f"func-demo-{version}.zip", version)
        return f"drop/func-demo-{version}.zip"  # relative: the agent roots it in the sources folder

    def deploy(version: str, slot: str = "staging", *, broken: bool = False) -> TaskRun:
        return pipeline.run(
            "deploy-to-slot",
            build=f"20260101.{version}",
            slotName=slot,
            package=package(version, broken=broken),
        )

    def smoke() -> TaskRun:
        return pipeline.run("smoke-test", checksSource="inline", checksInline=CHECKS)

    def swap() -> TaskRun:
        return pipeline.run("slot-swap", smokeChecks="inline", smokeChecksInline=CHECKS)

    def ok(run: TaskRun) -> TaskRun:
        assert (run.exit_code, run.result) == (0, "Succeeded"), run.log()
        return run

    def failed(run: TaskRun) -> str:
        assert run.result == "Failed", run.log()
        (error,) = run.errors
        return error

    ok(deploy("0", "production"))  # what production ran before this release
    assert slots(emulator) == ("0", "none")

    # release 1: guard, deploy, smoke, swap
    assert ok(pipeline.run("guard-against-overwrite")).outputs["HoldStatus"] == "free"
    ok(deploy("1"))
    assert slots(emulator) == ("0", "1")
    assert ok(smoke()).outputs["SmokeResult"] == "passed"
    swapped = ok(swap()).outputs
    assert swapped["SwapPhase"] == "swapped"
    assert (swapped["HeldSlot"], swapped["HeldBuild"]) == ("staging", "build 20260101.0")
    assert slots(emulator) == ("1", "0")

    # release 2: staging holds production's previous build, the rollback: refused, then parked
    guard = pipeline.run("guard-against-overwrite")
    assert "build 20260101.0" in failed(guard)
    assert guard.outputs["HoldStatus"] == "held"
    refused = deploy("2")
    error = failed(refused)
    assert "build 20260101.0" in error
    assert "(`SlotwiseGuardAgainstOverwrite@1`)" in error  # the task that parks it, by its YAML name
    assert slots(emulator) == ("1", "0")  # nothing was destroyed
    parked = ok(pipeline.run("guard-against-overwrite", mode="park", createParkSlot="true")).outputs
    assert parked == {"HoldStatus": "parked", "HeldBuild": "build 20260101.0", "ParkedIn": "park"}
    assert serving(emulator, "park") == "0"  # the rollback build is kept
    ok(deploy("2"))
    assert slots(emulator) == ("1", "2")
    ok(smoke())
    assert ok(swap()).outputs["HeldBuild"] == "build 20260101.1"
    assert slots(emulator) == ("2", "1")

    # roll back, as the summary advises: swap staging with production again
    ok(pipeline.run("slot-swap", sourceSlot="staging"))
    assert slots(emulator) == ("1", "2")

    # release 3 is broken: its smoke test fails, and the swap with checks swaps it straight back
    ok(pipeline.run("guard-against-overwrite", mode="park", parkSlot="park2", createParkSlot="true"))
    assert serving(emulator, "park2") == "2"
    ok(deploy("3", broken=True))
    assert slots(emulator) == ("1", "3")
    smoked = smoke()
    assert "smoke checks failed" in failed(smoked)
    assert smoked.outputs["SmokeResult"] == "failed"
    assert "Smoke tests FAILED" in smoked.summary
    assert slots(emulator) == ("1", "3")
    rolled = pipeline.run(
        "slot-swap", smokeChecks="inline", smokeChecksInline=CHECKS, rollbackOnFailure="true"
    )
    failed(rolled)
    assert (rolled.outputs["SwapPhase"], rolled.outputs["SmokeResult"]) == ("rolledBack", "failed")
    assert Path(rolled.outputs["SmokeReportPath"]).is_file()
    assert slots(emulator) == ("1", "3")  # build 3 never stayed in production
    assert serving(emulator, "park") == "0"
    assert serving(emulator, "park2") == "2"


# ---- (3) a missing required input, (4) an unknown service connection -----------------------------------


@pytest.mark.parametrize(
    ("folder", "inputs", "missing"),
    [
        # an empty filePath arrives as the sources folder: that means "not given"
        ("deploy-to-slot", {"package": ""}, "package"),
        ("smoke-test", {"checksSource": "file", "checksFile": ""}, "checksFile"),
        ("slot-swap", {"swapWithProduction": "false", "targetSlot": " "}, "targetSlot"),
        ("guard-against-overwrite", {"appName": ""}, "appName"),
    ],
)
@pytest.mark.usefixtures("two_builds")
def test_a_missing_required_input_is_named_by_its_label(
    pipeline: Pipeline,
    extension: Extension,
    emulator: Emulator,
    folder: str,
    inputs: dict[str, str],
    missing: str,
) -> None:
    good_build(pipeline.workspace.sources / "drop" / "func-demo.zip", "7")
    run = pipeline.run(folder, **inputs)
    assert run.result == "Failed", run.log()
    (error,) = run.errors
    label = extension.label(folder, missing)
    assert error.startswith(f"The input '{label}' ({missing}) is required."), error
    assert "Service connection:" not in run.stdout  # nothing remote was attempted
    assert slots(emulator) == ("1", "2")


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.usefixtures("two_builds")
def test_an_unknown_service_connection_says_what_to_do(
    pipeline: Pipeline, extension: Extension, emulator: Emulator, folder: str
) -> None:
    good_build(pipeline.workspace.sources / "drop" / "func-demo.zip", "7")
    pipeline.connection_env = pipeline.job.system_env()  # the agent passes only referenced connections
    assert not [k for k in pipeline.connection_env if UNKNOWN_CONNECTION.lower() in k.lower()]
    inputs = {"checksSource": "inline", "checksInline": CHECKS} if folder == "smoke-test" else {}
    run = pipeline.run(folder, azureSubscription=UNKNOWN_CONNECTION, **inputs)
    assert run.result == "Failed", run.log()
    (error,) = run.errors
    assert UNKNOWN_CONNECTION in error
    assert f"'{extension.label(folder, 'azureSubscription')}' (azureSubscription)" in error
    assert "not authorized for this pipeline" in error
    assert "choose 'Permit'" in error  # what to do
    assert run.completion.message.startswith(f"The service connection '{UNKNOWN_CONNECTION}'")
    assert slots(emulator) == ("1", "2")


# ---- (5) a ServicePrincipal and a WorkloadIdentityFederation connection --------------------------------


def oidc_requests(emulator: Emulator) -> list[str]:
    """The queries of the OIDC token requests the emulator's Azure DevOps host answered with 200."""
    entries = emulator.call(lambda b: b.log.entries())
    return [e.query for e in entries if e.path.endswith("/oidctoken") and e.status == 200]


@pytest.mark.parametrize(
    ("scheme", "how"),
    [
        ("ServicePrincipal", "ServicePrincipal (service principal with a secret)"),
        ("WorkloadIdentityFederation", "WorkloadIdentityFederation (workload identity federation)"),
    ],
)
@pytest.mark.usefixtures("function_app")
def test_both_kinds_of_service_connection_deploy(
    agent: AgentMachine, emulator: Emulator, tmp_path: Path, scheme: str, how: str
) -> None:
    pipeline = make_pipeline(agent, emulator, tmp_path, scheme=scheme)
    assert pipeline.connection_env[f"ENDPOINT_AUTH_SCHEME_{pipeline.connection_id}"] == scheme
    good_build(pipeline.workspace.sources / "drop" / "func-demo.zip", "5")
    run = pipeline.run("deploy-to-slot")
    assert run.exit_code == 0, run.log()
    assert run.result == "Succeeded"
    assert f"Service connection: {how}" in run.stdout
    assert serving(emulator, "staging") == "5"
    minted = oidc_requests(emulator)
    if scheme == "ServicePrincipal":  # a secret: no OIDC token asked for
        assert minted == []
        key = pipeline.known_secrets[1]
        assert key in run.env.values()  # the key was given to the task, and never shown
        assert key in run.registered_secrets
    else:  # the job's OIDC token for this connection, minted by the emulated Azure DevOps
        assert len(minted) == 1
        assert f"serviceConnectionId={pipeline.connection_id}" in minted[0]


# ---- (6) cancellation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "sigint_timeout"),
    [
        # the agent: SIGINT; SIGTERM only if still running after PROCESS_SIGINT_TIMEOUT (7.5 s)
        pytest.param("agent", 7.5, id="SIGINT"),
        # a short PROCESS_SIGINT_TIMEOUT: SIGTERM arrives while the task is stopping
        pytest.param("agent", 0.05, id="SIGTERM-while-stopping"),
        # Ctrl-C in the terminal of an agent run interactively: node and python both get SIGINT,
        # and the shim forwards its own
        pytest.param(
            "terminal",
            7.5,
            id="Ctrl-C-on-the-process-group",
        ),
    ],
)
def test_cancelling_a_deploy_stops_the_task_promptly(
    pipeline: Pipeline, emulator: Emulator, how: str, sigint_timeout: float
) -> None:
    emulator.set_speed(Speed(deploy_seconds=60))
    good_build(pipeline.workspace.sources / "drop" / "func-demo.zip", "7")
    task = pipeline.start("deploy-to-slot", own_process_group=how == "terminal")
    task.running.wait_for_line("Kudu is deploying")  # the upload happened; Kudu is at work
    time.sleep(0.3)
    cancelled_at = time.monotonic()
    sent = task.running.cancel_as_the_agent_does(sigint_timeout, sigint_to_group=how == "terminal")
    stopped_in = time.monotonic() - cancelled_at
    run = task.finish()
    if sigint_timeout > 1:
        assert sent == ["SIGINT"], run.log()  # SIGINT alone stopped it
    assert "SIGKILL" not in sent, run.log()
    assert stopped_in < 5, f"{stopped_in:.1f} s after the first signal\n{run.log()}"
    assert run.result == "Failed", run.log()
    (error,) = run.errors
    assert error.startswith("Cancelled while"), error
    assert "Kudu" in error, error
    assert "func-demo/staging" in error, error
    if sent == ["SIGINT"]:  # where things stand, said by the deployment itself
        assert error.startswith("Cancelled while Kudu was deploying to func-demo/staging"), error
        assert "Kudu goes on deploying" in error
    assert run.completion.message.startswith("Cancelled while")
    assert "did not stop within" not in run.stdout  # the shim did not have to kill it
    assert "Result: FAILED" in run.summary


# ---- (7) secrets -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("two_builds")
def test_every_secret_a_task_handles_is_registered_before_it_could_be_shown(
    pipeline: Pipeline, emulator: Emulator
) -> None:
    """Every run is checked for unmasked secrets (``Pipeline.checked``); this one shows that check has
    something to find: the job's token and a function key reach the task and are registered."""
    run = pipeline.run("smoke-test", checksSource="inline", checksInline=CHECKS)
    assert run.exit_code == 0, run.log()
    issued = issued_secrets(emulator)
    assert pipeline.job.access_token in issued
    registered = run.registered_secrets
    assert pipeline.job.access_token in registered
    function_keys = emulator.call(lambda b: b.web.secrets())
    assert registered & set(function_keys)  # the key the checks used
    assert not leaked(run, [*issued, *pipeline.known_secrets])
