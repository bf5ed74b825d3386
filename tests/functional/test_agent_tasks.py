"""The four tasks run as the agent runs them: ``python -m slotwise.agent <task> <taskDir>`` in a child
process whose environment is built like the agent's (``INPUT_*`` with task.json's defaults filled in
and macros expanded, a ``filePath`` left empty passed as the sources folder, ``ENDPOINT_*`` for a
ServicePrincipal connection pointing at the live emulator, the job's own ``SYSTEMVSSCONNECTION``),
asserting on the parsed ``##vso[...]`` output, on what the slots serve afterwards, and that no secret
the emulator issued appears unmasked in stdout.

The task folders are ``tasks/<folder>/task.json`` once they exist; until then a minimal task.json
with the contract's inputs (docs/tasks-contract.md) stands in, written to the test's tmp folder.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from slotwise.azure.models import SlotRef
from slotwise.events import NullReporter
from slotwise.services import Services
from slotwise.slots.swap import SwapRequest, swap
from slotwise_emulator import Emulator, FunctionApp, Speed
from tests import vso
from tests.conftest import ROOT
from tests.functional.deploying import deploy_build, serving
from tests.packages import good_build

CONNECTION = "7d3b1c52-8a4e-4f0b-9c1d-2e5f6a7b8c9d"
JOB_TOKEN = "job-access-token-that-must-never-be-printed"
BUILD_NUMBER = "20260101.7"


def spec(
    name: str, kind: str, label: str, default: str | None = None, *, required: bool = False, **more: Any
) -> dict[str, Any]:
    """One input of a stand-in task.json."""
    found: dict[str, Any] = {"name": name, "type": kind, "label": label, "required": required, **more}
    if default is not None:
        found["defaultValue"] = default
    return found


# The contract's inputs (docs/tasks-contract.md), for a stand-in task.json until the real one exists.
COMMON_INPUTS = [
    spec("azureSubscription", "connectedService:AzureRM", "Azure subscription", required=True,
         aliases=["connectedServiceNameARM"]),
    spec("appName", "pickList", "App name", required=True),
    spec("resourceGroupName", "pickList", "Resource group", required=True),
    spec("pythonPath", "string", "Python"),
]  # fmt: skip
TASK_INPUTS: dict[str, list[dict[str, Any]]] = {
    "deploy-to-slot": [
        spec("slotName", "pickList", "Slot", "staging", required=True),
        spec("package", "filePath", "Package or folder", "$(System.DefaultWorkingDirectory)/**/*.zip",
             required=True),
        spec("createSlot", "boolean", "Create the slot", "false"),
        spec("allowOverwrite", "boolean", "Allow overwrite", "false"),
        spec("timeoutMinutes", "string", "Timeout (minutes)", "20"),
    ],
    "slot-swap": [
        spec("swapAction", "pickList", "Action", "swap", required=True,
             options={"swap": "Swap", "preview": "Preview", "complete": "Complete", "cancel": "Cancel"}),
        spec("sourceSlot", "pickList", "Source slot", "staging", required=True),
        spec("swapWithProduction", "boolean", "Swap with production", "true"),
        spec("targetSlot", "pickList", "Target slot", required=True),
        spec("preserveVnet", "boolean", "Preserve VNet", "true"),
        spec("smokeChecks", "pickList", "Smoke checks", "none",
             options={"none": "None", "file": "File", "inline": "Inline"}),
        spec("smokeChecksFile", "filePath", "Smoke checks file", required=True),
        spec("smokeChecksInline", "multiLine", "Smoke checks (YAML)", required=True),
        spec("rollbackOnFailure", "boolean", "Roll back on failure", "true"),
        spec("holdDays", "string", "Hold days", "7"),
        spec("timeoutMinutes", "string", "Timeout (minutes)", "30"),
    ],
    "smoke-test": [
        spec("slotName", "pickList", "Slot", "staging", required=True),
        spec("checksSource", "pickList", "Checks from", "file", required=True,
             options={"file": "File", "inline": "Inline"}),
        spec("checksFile", "filePath", "Checks file", required=True),
        spec("checksInline", "multiLine", "Checks (YAML)", required=True),
        spec("junitFile", "string", "JUnit report",
             "$(Common.TestResultsDirectory)/slotwise-smoke-$(System.JobId).xml"),
        spec("failOnCheckFailure", "boolean", "Fail on a failed check", "true"),
        spec("concurrency", "string", "Concurrency", "16"),
        spec("timeoutSeconds", "string", "Timeout (seconds)", "30"),
    ],
    "guard-against-overwrite": [
        spec("slotName", "pickList", "Slot", "staging", required=True),
        spec("mode", "pickList", "When the slot is held", "fail", required=True,
             options={"fail": "Fail", "wait": "Wait", "park": "Park"}),
        spec("parkSlot", "string", "Park slot", "park"),
        spec("createParkSlot", "boolean", "Create the park slot", "false"),
        spec("waitTimeoutMinutes", "string", "Wait at most (minutes)", "60"),
        spec("holdDays", "string", "Hold days", "7"),
    ],
}  # fmt: skip
HEALTH_CHECKS = """\
checks:
  - name: health
    path: /api/health
    expect:
      status: 200
      bodyContains: healthy
  - name: hello with its function key
    function: hello
"""
_MACRO = re.compile(r"\$\(([^)]+)\)")


# ---- the agent, as far as a task can tell ---------------------------------------------------------------
def task_folder(command: str, tmp_path: Path) -> Path:
    """``tasks/<command>`` if its task.json exists, else a stand-in with the contract's inputs."""
    real = ROOT / "tasks" / command
    if (real / "task.json").is_file():
        return real
    folder = tmp_path / "tasks" / command
    folder.mkdir(parents=True, exist_ok=True)
    definition = {"name": command, "inputs": COMMON_INPUTS + TASK_INPUTS[command]}
    (folder / "task.json").write_text(json.dumps(definition, indent=2), encoding="utf-8")
    return folder


def task_inputs(folder: Path) -> list[dict[str, Any]]:
    data = json.loads((folder / "task.json").read_text(encoding="utf-8-sig"))
    inputs: list[dict[str, Any]] = data["inputs"]
    return inputs


def label(folder: Path, name: str) -> str:
    return next(str(i.get("label") or name) for i in task_inputs(folder) if i["name"] == name)


def env_key(name: str) -> str:
    return name.replace(".", "_").replace(" ", "_").upper()


def _python_path() -> dict[str, str]:
    """``PYTHONPATH`` of this process, absolute (the child runs in the work folder), if it has one."""
    given = os.environ.get("PYTHONPATH")
    if not given:
        return {}
    return {"PYTHONPATH": os.pathsep.join(os.path.abspath(p) for p in given.split(os.pathsep) if p)}


@dataclass
class Agent:
    """Runs a task in a child process with an environment built the way the agent builds it."""

    emulator: Emulator
    tmp_path: Path

    @property
    def work(self) -> Path:
        return self.tmp_path / "work"

    @property
    def temp(self) -> Path:
        return self.tmp_path / "agent-temp"

    def variables(self) -> dict[str, str]:
        """Predefined variables of a release job (the build artifact's BUILD_* included)."""
        self.work.mkdir(parents=True, exist_ok=True)
        return {
            "SYSTEM_DEFAULTWORKINGDIRECTORY": str(self.work),
            "BUILD_SOURCESDIRECTORY": str(self.work),
            "AGENT_TEMPDIRECTORY": str(self.temp),
            "COMMON_TESTRESULTSDIRECTORY": str(self.tmp_path / "test-results"),
            "SYSTEM_JOBID": "6d5e0f6a-0b1c-5d2e-3f4a-5b6c7d8e9f01",
            "TF_BUILD": "True",
            "BUILD_BUILDID": "4711",
            "BUILD_BUILDNUMBER": BUILD_NUMBER,
            "BUILD_SOURCEVERSION": "0123456789abcdef0123456789abcdef01234567",
            "BUILD_REQUESTEDFOR": "Ada Lovelace",
            "RELEASE_RELEASENAME": "Release-42",
            "RELEASE_DEFINITIONNAME": "func-demo release",
        }

    def endpoints(self, connection: str = CONNECTION) -> dict[str, str]:
        """A ServicePrincipal AzureRM connection to the emulator, as the agent passes it, and the
        job's own connection."""
        emu = self.emulator
        auth = f"ENDPOINT_AUTH_PARAMETER_{connection}_"
        data = f"ENDPOINT_DATA_{connection}_"
        return {
            f"ENDPOINT_URL_{connection}": emu.arm_url + "/",
            f"ENDPOINT_AUTH_SCHEME_{connection}": "ServicePrincipal",
            auth + "SERVICEPRINCIPALID": emu.client_id,
            auth + "SERVICEPRINCIPALKEY": emu.client_secret,
            auth + "TENANTID": emu.tenant_id,
            auth + "AUTHENTICATIONTYPE": "spnKey",
            data + "SUBSCRIPTIONID": emu.subscription_id,
            data + "SUBSCRIPTIONNAME": "slotwise emulator",
            data + "ENVIRONMENT": "AzureCloud",
            data + "SCOPELEVEL": "Subscription",
            data + "ENVIRONMENTAUTHORITYURL": emu.authority + "/",
            data + "ACTIVEDIRECTORYSERVICEENDPOINTRESOURCEID": "https://management.core.windows.net/",
            "ENDPOINT_URL_SYSTEMVSSCONNECTION": "https://dev.azure.com/contoso/",
            "ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION": "OAuth",
            "ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN": JOB_TOKEN,
        }

    def environment(self, folder: Path, inputs: Mapping[str, str]) -> dict[str, str]:
        variables = self.variables()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.tmp_path / "home"),
            "LANG": "C.UTF-8",
            "REQUESTS_CA_BUNDLE": str(self.emulator.ca_path),
            # the code under test: the child imports what this process imports (a worktree's src/)
            **_python_path(),
            **variables,
            **self.endpoints(),
        }
        given = {"azureSubscription": CONNECTION, "appName": "func-demo", "resourceGroupName": "rg-demo"}
        given.update(inputs)
        for spec in task_inputs(folder):
            name = spec["name"]
            value = given.get(name, str(spec.get("defaultValue", "")))
            value = _MACRO.sub(lambda m: variables.get(env_key(m.group(1)), m.group(0)), value).strip()
            if spec.get("type") == "filePath":
                value = str(self.work / value) if value else str(self.work)  # rooted; empty: sources
            env["INPUT_" + env_key(name)] = value
        return env

    def start(self, command: str, **inputs: str) -> subprocess.Popen[str]:
        folder = task_folder(command, self.tmp_path)
        return subprocess.Popen(
            [sys.executable, "-m", "slotwise.agent", command, str(folder)],
            env=self.environment(folder, inputs),
            cwd=self.work,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def run(self, command: str, **inputs: str) -> Run:
        process = self.start(command, **inputs)
        stdout, stderr = process.communicate(timeout=120)
        run = Run(command, process.returncode, stdout, stderr)
        run.assert_no_secret(self.emulator)
        return run


@dataclass
class Run:
    """One task process, checked as the agent's Node handler sees it: exactly one ``task.complete``
    (which says the result, Failed included), then exit code 0 (docs/tasks-contract.md, "Exit code":
    any other code makes the agent add "Exit code N returned from process" to the task's errors); and
    as a pipeline user reads it: no CLI option or command in it (advice names task inputs)."""

    command: str
    exit_code: int
    stdout: str
    stderr: str

    def __post_init__(self) -> None:
        completes = vso.named(self.stdout, "task.complete")
        assert len(completes) == 1, f"{len(completes)} task.complete:\n{self.stdout}{self.stderr}"
        assert self.exit_code == 0, f"exit {self.exit_code} after task.complete:\n{self.stdout}{self.stderr}"
        told = vso.cli_words(self.stdout + self.stderr)
        assert not told, "a task tells pipeline users CLI words:\n" + "\n".join(told)

    @property
    def result(self) -> str:
        return vso.completion(self.stdout).properties["result"]

    @property
    def outputs(self) -> dict[str, str]:
        return vso.outputs(self.stdout)

    def errors(self) -> list[str]:
        return vso.issues(self.stdout, "error")

    def summary(self) -> str:
        uploads = vso.named(self.stdout, "task.uploadsummary")
        assert len(uploads) == 1
        return Path(uploads[0].message).read_text(encoding="utf-8")

    def assert_no_secret(self, emulator: Emulator) -> None:
        """No secret the emulator issued (client secrets, keys, tokens), nor the job's token, appears in
        stdout outside the ``task.setsecret`` commands that register them."""
        issued = requests.get(
            f"{emulator.arm_url}/_emulator/secrets", verify=str(emulator.ca_path), timeout=10
        ).json()
        secrets = [*issued["clientSecrets"], *issued["keys"], *issued["tokens"], JOB_TOKEN]
        registering = {c.line for c in vso.named(self.stdout, "task.setsecret")}
        shown = "\n".join(line for line in self.stdout.splitlines() if line not in registering)
        leaked = [s for s in secrets if s and s in shown]
        assert not leaked, f"{len(leaked)} secret(s) printed unmasked"
        assert "Traceback" not in self.stdout + self.stderr


@pytest.fixture
def agent(emulator: Emulator, function_app: FunctionApp, tmp_path: Path) -> Agent:
    return Agent(emulator, tmp_path)


@pytest.fixture
def two_builds(emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path) -> None:
    """Production serves build 1, staging build 2 (deployed raw, as another tool would)."""
    deploy_build(emulator, arm_token, tmp_path / "raw", "production", "1")
    deploy_build(emulator, arm_token, tmp_path / "raw", "staging", "2")


@pytest.fixture
def held_staging(two_builds: None, services: Services) -> None:
    """Staging holds production's previous build (build 1) after a swap made by another tool."""
    swap(services, SwapRequest(SlotRef("rg-demo", "func-demo", "staging")), reporter=NullReporter())


# ---- deploy-to-slot -------------------------------------------------------------------------------------
def test_deploy_to_slot_deploys_the_one_package_and_sets_its_outputs(
    agent: Agent, emulator: Emulator
) -> None:
    good_build(agent.work / "drop" / "func-demo.zip", "7")
    run = agent.run("deploy-to-slot")
    assert run.exit_code == 0, run.stdout
    assert run.result == "Succeeded"
    assert serving(emulator, "staging") == "7"
    assert serving(emulator, "production") == "none"
    outputs = run.outputs
    assert outputs["SlotUrl"].startswith("https://")
    assert outputs["DeploymentId"]
    assert outputs["BuildLabel"] == f"build {BUILD_NUMBER}"
    assert outputs["OverwroteBuild"] == ""
    assert any(c.properties.get("variable") == "SlotUrl" and c.properties["isOutput"] == "true"
               for c in vso.named(run.stdout, "task.setvariable"))  # fmt: skip
    assert "==> Uploading" in run.stdout
    assert vso.named(run.stdout, "task.setprogress")
    summary = run.summary()
    assert f"build {BUILD_NUMBER}" in summary
    assert "What runs where" in summary
    assert "Release-42" in summary


def test_deploy_with_several_matching_packages_lists_them(agent: Agent, emulator: Emulator) -> None:
    good_build(agent.work / "a" / "one.zip", "7")
    good_build(agent.work / "b" / "two.zip", "8")
    run = agent.run("deploy-to-slot")
    assert run.result == "Failed"
    (error,) = run.errors()
    assert "matches 2" in error
    assert "one.zip" in error
    assert "two.zip" in error
    assert serving(emulator, "staging") == "none"


@pytest.mark.usefixtures("held_staging")
def test_deploy_into_a_held_slot_is_refused_with_pipeline_advice(agent: Agent, emulator: Emulator) -> None:
    good_build(agent.work / "drop" / "func-demo.zip", "3")
    run = agent.run("deploy-to-slot")
    assert run.result == "Failed", run.stdout
    (error,) = run.errors()
    assert "holds" in error
    assert "`SlotwiseGuardAgainstOverwrite@1`" in error  # the task to add before this one ...
    assert "`mode: park`" in error  # ... and how
    assert "`allowOverwrite: true`) on this task" in error
    assert serving(emulator, "staging") == "1"  # the rollback build is still there
    summary = run.summary()
    assert "Result: FAILED" in summary
    assert "holds production's previous build" in summary


@pytest.mark.parametrize("command", list(TASK_INPUTS))
def test_a_missing_required_input_is_named_by_its_label(agent: Agent, command: str) -> None:
    run = agent.run(command, appName="")
    folder = task_folder(command, agent.tmp_path)
    assert run.result == "Failed"
    (error,) = run.errors()
    assert f"The input '{label(folder, 'appName')}' (appName) is required." in error
    assert "Service connection" not in run.stdout  # nothing remote was attempted


@pytest.mark.parametrize("command", list(TASK_INPUTS))
def test_an_unknown_service_connection_is_a_clear_error(agent: Agent, command: str) -> None:
    unknown = "00000000-1111-2222-3333-444444444444"
    good_build(agent.work / "drop" / "func-demo.zip", "7")
    checks = agent.work / "checks.yaml"
    checks.write_text(HEALTH_CHECKS, encoding="utf-8")
    run = agent.run(command, azureSubscription=unknown, checksFile=str(checks))
    folder = task_folder(command, agent.tmp_path)
    assert run.result == "Failed", run.stdout
    (error,) = run.errors()
    assert unknown in error
    assert f"'{label(folder, 'azureSubscription')}' (azureSubscription)" in error
    assert "not authorized for this pipeline" in error
    assert vso.completion(run.stdout).message.startswith("The service connection")


# ---- slot-swap ------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("two_builds")
def test_slot_swap_swaps_checks_and_holds_the_previous_build(agent: Agent, emulator: Emulator) -> None:
    run = agent.run("slot-swap", smokeChecks="inline", smokeChecksInline=HEALTH_CHECKS)
    assert run.exit_code == 0, run.stdout
    assert run.result == "Succeeded"
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")
    outputs = run.outputs
    assert outputs["SwapSource"] == "staging"
    assert outputs["SwapTarget"] == "production"
    assert outputs["SwapPhase"] == "swapped"
    assert outputs["HeldSlot"] == "staging"
    assert outputs["HeldBuild"]
    assert outputs["SmokeResult"] == "passed"
    assert "<testcase" in Path(outputs["SmokeReportPath"]).read_text(encoding="utf-8")
    # the function key the checks used was registered before it could be printed
    keys = requests.get(f"{emulator.arm_url}/_emulator/secrets", verify=str(emulator.ca_path), timeout=10)
    registered = {c.message for c in vso.named(run.stdout, "task.setsecret")}
    assert registered & set(keys.json()["keys"])
    summary = run.summary()
    assert "Smoke tests passed" in summary
    assert "To roll back" in summary


@pytest.mark.usefixtures("two_builds")
def test_slot_swap_preview_then_cancel(agent: Agent, emulator: Emulator) -> None:
    preview = agent.run("slot-swap", swapAction="preview")
    assert preview.exit_code == 0, preview.stdout
    assert preview.outputs["SwapPhase"] == "prepared"
    assert "complete" in vso.completion(preview.stdout).message
    cancelled = agent.run("slot-swap", swapAction="cancel")
    assert cancelled.exit_code == 0, cancelled.stdout
    assert cancelled.outputs["SwapPhase"] == "cancelled"
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("two_builds")
def test_slot_swap_preview_with_checks_runs_none_and_says_so(agent: Agent, emulator: Emulator) -> None:
    """Smoke checks run after a swap: with swapAction 'preview' they are not run (and rollbackOnFailure,
    true by default, has nothing to roll back), a line says so, and the preview goes ahead."""
    run = agent.run("slot-swap", swapAction="preview", smokeChecks="inline", smokeChecksInline=HEALTH_CHECKS)
    assert run.exit_code == 0, run.stdout
    assert "(smoke checks run after a swap; with swapAction 'preview' they are not run)" in run.stdout
    assert (run.outputs["SwapPhase"], run.outputs["SmokeResult"]) == ("prepared", "skipped")
    assert "SmokeReportPath" not in run.outputs
    assert emulator.call(lambda b: len(b.web.operations)) == 0  # prepared, not swapped
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("two_builds")
def test_a_broken_checks_file_fails_before_anything_is_swapped(agent: Agent, emulator: Emulator) -> None:
    run = agent.run("slot-swap", smokeChecks="inline", smokeChecksInline="checks: nope\n")
    assert run.result == "Failed", run.stdout
    (error,) = run.errors()
    assert "(smokeChecksInline): /checks (line 1)" in error
    assert "slotwise-" not in error  # no temporary file the user never wrote
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


# ---- smoke-test -----------------------------------------------------------------------------------------
@pytest.mark.usefixtures("two_builds")
def test_smoke_test_writes_junit_and_outputs(agent: Agent) -> None:
    checks = agent.work / "checks" / "smoke.yaml"
    checks.parent.mkdir(parents=True)
    checks.write_text(HEALTH_CHECKS, encoding="utf-8")
    run = agent.run("smoke-test", checksFile="checks/smoke.yaml")
    assert run.exit_code == 0, run.stdout
    assert run.result == "Succeeded"
    outputs = run.outputs
    assert (outputs["SmokeResult"], outputs["SmokePassed"], outputs["SmokeFailed"]) == ("passed", "2", "0")
    junit = Path(outputs["SmokeReportPath"])
    assert junit.parent == agent.tmp_path / "test-results"
    assert 'failures="0"' in junit.read_text(encoding="utf-8")
    assert "| health | passed |" in run.summary()


@pytest.mark.usefixtures("two_builds")
def test_failed_checks_can_let_the_pipeline_go_on_with_issues(agent: Agent) -> None:
    checks = "checks:\n  - {name: health, path: /api/health, expect: {bodyContains: '##vso[task.complete'}}\n"
    run = agent.run("smoke-test", checksSource="inline", checksInline=checks, failOnCheckFailure="false")
    assert run.exit_code == 0, run.stdout
    assert run.result == "SucceededWithIssues"
    assert run.outputs["SmokeResult"] == "failed"
    assert vso.issues(run.stdout, "warning")
    # the expectation echoed in the log is text, not a command
    assert [c.name for c in vso.parse(run.stdout)].count("task.complete") == 1


@pytest.mark.usefixtures("two_builds")
def test_failed_checks_fail_the_task_by_default(agent: Agent) -> None:
    checks = "checks:\n  - {name: health, path: /api/health, expect: {bodyContains: nothing-like-this}}\n"
    run = agent.run("smoke-test", checksSource="inline", checksInline=checks)
    assert run.result == "Failed", run.stdout
    assert run.outputs["SmokeResult"] == "failed"
    (error,) = run.errors()
    assert "1 of 1 smoke checks failed" in error


# ---- guard-against-overwrite ----------------------------------------------------------------------------
@pytest.mark.usefixtures("two_builds")
def test_guard_on_a_free_slot_says_so(agent: Agent) -> None:
    run = agent.run("guard-against-overwrite")
    assert run.exit_code == 0, run.stdout
    assert run.outputs["HoldStatus"] == "free"
    assert run.outputs["HeldBuild"] == ""


@pytest.mark.usefixtures("held_staging")
def test_guard_fails_on_a_held_slot_and_says_it_is_held(agent: Agent) -> None:
    run = agent.run("guard-against-overwrite")
    assert run.result == "Failed", run.stdout
    assert run.outputs["HoldStatus"] == "held"
    (error,) = run.errors()
    assert "mode: park" in error


@pytest.mark.usefixtures("held_staging")
def test_guard_parks_the_held_build(agent: Agent, emulator: Emulator) -> None:
    run = agent.run("guard-against-overwrite", mode="park", createParkSlot="true")
    assert run.exit_code == 0, run.stdout
    outputs = run.outputs
    assert (outputs["HoldStatus"], outputs["ParkedIn"]) == ("parked", "park")
    assert outputs["HeldBuild"]
    assert serving(emulator, "park") == "1"
    assert "park" in run.summary()


# ---- cancellation ---------------------------------------------------------------------------------------
def test_sigterm_while_kudu_deploys_says_kudu_goes_on(agent: Agent, emulator: Emulator) -> None:
    emulator.set_speed(Speed(deploy_seconds=60))
    good_build(agent.work / "drop" / "func-demo.zip", "7")
    process = agent.start("deploy-to-slot")
    assert process.stdout is not None
    seen = []
    deadline = time.monotonic() + 60
    for line in process.stdout:
        seen.append(line)
        if "Kudu is deploying" in line:
            break
        assert time.monotonic() < deadline
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    rest, stderr = process.communicate(timeout=30)
    run = Run("deploy-to-slot", process.returncode, "".join(seen) + rest, stderr)
    run.assert_no_secret(emulator)
    assert run.result == "Failed"
    (error,) = run.errors()
    assert error.startswith("Cancelled while Kudu was deploying")
    assert "goes on deploying" in error
