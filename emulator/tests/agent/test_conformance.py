"""The emulated agent against Microsoft's own task.json (AzureFunctionApp@2, from
../shared/reference/pipeline-tasks/) with a handler written for the test (conform.js) in place of
Microsoft's code: inputs with the task.json's defaults and the step's ``$(variable)`` macros, endpoints
as the agent exposes them (only the referenced one, plus SystemVssConnection), variables (secret ones
only as ``SECRET_*``), output variables, masking, summary, issues, progress and ``task.complete``."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from slotwise_emulator.agent.commands import MASK
from slotwise_emulator.agent.job import run_job
from slotwise_emulator.backends.devops_jobs import Endpoint, JobOutcome, JobTask, Variable
from slotwise_emulator.backends.devops_records import TaskDefinition
from slotwise_emulator.backends.devops_tasks import TaskFolder
from tests.agent.support import FAST, HERE, job, needs_node
from tests.conftest import REFERENCE, REFERENCE_MISSING

TASK_JSON = REFERENCE / "pipeline-tasks" / "AzureFunctionAppV2.task.json"
pytestmark = [needs_node, pytest.mark.skipif(not TASK_JSON.is_file(), reason=REFERENCE_MISSING)]

ARM = Endpoint(
    "3c8b1f52-7d0e-4a8e-9a55-0f1e2d3c4b5a",
    "arm-connection",
    "azurerm",
    "https://management.local/",
    "ServicePrincipal",
    {"serviceprincipalid": "app-id", "serviceprincipalkey": "sp-SECRET-key", "tenantid": "tenant-id"},
    {"subscriptionId": "sub-1", "environment": "AzureCloud", "scopeLevel": "Subscription"},
)
UNUSED = Endpoint(
    "9d9d9d9d-0000-4000-8000-000000000001", "other", "azurerm", "https://other.local/", "ServicePrincipal"
)
SYSTEM = Endpoint(
    "", "SystemVssConnection", "", "https://devops.local/org/", "OAuth", {"AccessToken": "sys-TOKEN"}
)
VARIABLES = {
    "Release.ReleaseId": Variable("7"),
    "Build.BuildNumber": Variable("20261202.3"),
    "AppName": Variable("func-app"),
    "Slot": Variable("staging"),
    "Deploy.Key": Variable("k-SECRET-123", secret=True),
}
DEPLOY_INPUTS = {  # as a release definition writes them: macros unexpanded, some inputs left to defaults
    "azureSubscription": ARM.id,
    "appType": "functionAppLinux",
    "appName": "$(AppName)",
    "deployToSlotOrASE": "true",
    "resourceGroupName": " rg-1 ",
    "slotName": "$(Slot)",
    "appSettings": "-KEY $(Deploy.Key) -RELEASE $(Release.ReleaseId) -X $(Not.Defined)",
    "probeName": "deploy",
    "probeMode": "deploy",
}


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[JobOutcome, Path, dict[str, Any]]:
    raw = TASK_JSON.read_bytes()
    manifest = json.loads(raw.decode("utf-8-sig"))
    version = manifest["version"]
    definition = TaskDefinition(
        manifest["id"], manifest["name"], manifest["friendlyName"],
        (version["Major"], version["Minor"], version["Patch"]), manifest["author"], manifest["category"],
    )  # fmt: skip
    target = manifest["execution"]["Node20_1"]["target"]
    folder = TaskFolder(definition, manifest, {"task.json": raw, target: (HERE / "conform.js").read_bytes()})
    after = JobTask(
        manifest["id"],
        "2.*",
        "Check",
        {"appSettings": "-URL $(Deploy function.AppServiceApplicationUrl)", "probeName": "check"},
    )
    deployment = job(
        (JobTask(manifest["id"], "2.*", "Deploy function", DEPLOY_INPUTS), after),
        VARIABLES,
        {e.id or e.name: e for e in (ARM, UNUSED, SYSTEM)},
    )
    root = tmp_path_factory.mktemp("agent")
    outcome = run_job(deployment, [folder, folder], root, FAST, threading.Event())
    return outcome, root, manifest


def received(root: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "_work" / "_temp" / f"received-{name}.json").read_text())
    return data


def test_inputs_arrive_with_defaults_trimmed_and_macros_expanded(
    ran: tuple[JobOutcome, Path, dict[str, Any]],
) -> None:
    _outcome, root, manifest = ran
    env = received(root, "deploy")["env"]
    default = root / "_work" / "r1" / "a"
    assert env["INPUT_APPNAME"] == "func-app"
    assert env["INPUT_SLOTNAME"] == "staging"
    assert env["INPUT_RESOURCEGROUPNAME"] == "rg-1"
    assert env["INPUT_APPSETTINGS"] == "-KEY k-SECRET-123 -RELEASE 7 -X $(Not.Defined)"
    assert env["INPUT_PACKAGE"] == f"{default}/**/*.zip"  # the filePath default, expanded
    defaults = {spec["name"]: spec.get("defaultValue", "") for spec in manifest["inputs"]}
    assert env["INPUT_DEPLOYMENTMETHOD"] == defaults["deploymentMethod"] == "auto"
    assert env["INPUT_ISFLEXCONSUMPTION"] == defaults["isFlexConsumption"] == "false"
    assert env["INPUT_RUNTIMESTACK"] == ""
    declared = {f"INPUT_{spec['name'].upper()}" for spec in manifest["inputs"]}
    assert declared <= set(env)
    assert received(root, "deploy")["cwd"] == str(default)


def test_only_the_referenced_endpoint_and_the_system_connection_arrive(
    ran: tuple[JobOutcome, Path, dict[str, Any]],
) -> None:
    env = received(ran[1], "deploy")["env"]
    key = ARM.id
    assert env[f"ENDPOINT_URL_{key}"] == ARM.url
    assert json.loads(env[f"ENDPOINT_AUTH_{key}"]) == {
        "parameters": ARM.parameters,
        "scheme": "ServicePrincipal",
    }
    assert env[f"ENDPOINT_AUTH_SCHEME_{key}"] == "ServicePrincipal"
    assert env[f"ENDPOINT_AUTH_PARAMETER_{key}_SERVICEPRINCIPALID"] == "app-id"
    assert env[f"ENDPOINT_AUTH_PARAMETER_{key}_TENANTID"] == "tenant-id"
    assert env[f"ENDPOINT_DATA_{key}_SUBSCRIPTIONID"] == "sub-1"
    assert json.loads(env[f"ENDPOINT_DATA_{key}"]) == ARM.data
    assert env["ENDPOINT_URL_SYSTEMVSSCONNECTION"] == SYSTEM.url
    assert env["ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"] == "sys-TOKEN"
    assert not any(UNUSED.id in name for name in env)
    check = received(ran[1], "check")["env"]  # the second task names no connection
    assert not any(ARM.id in name for name in check)


def test_variables_arrive_by_name_and_secrets_only_as_secret_variables(
    ran: tuple[JobOutcome, Path, dict[str, Any]],
) -> None:
    _outcome, root, _ = ran
    env = received(root, "deploy")["env"]
    assert env["RELEASE_RELEASEID"] == "7"
    assert env["BUILD_BUILDNUMBER"] == "20261202.3"
    assert env["SYSTEM_DEFAULTWORKINGDIRECTORY"] == str(root / "_work" / "r1" / "a")
    assert env["AGENT_TEMPDIRECTORY"] == str(root / "_work" / "_temp")
    assert env["SYSTEM_HOSTTYPE"] == "release"
    assert env["SECRET_DEPLOY_KEY"] == "k-SECRET-123"
    assert "DEPLOY_KEY" not in env
    assert "Deploy.Key" in json.loads(env["VSTS_SECRET_VARIABLES"])
    assert "Deploy.Key" not in json.loads(env["VSTS_PUBLIC_VARIABLES"])


def test_the_output_variable_reaches_the_job_and_the_next_task(
    ran: tuple[JobOutcome, Path, dict[str, Any]],
) -> None:
    outcome, root, _ = ran
    url = "https://func-app-staging.azurewebsites.net"
    assert outcome.outputs == {"Deploy function.AppServiceApplicationUrl": Variable(url)}
    check = received(root, "check")["env"]
    assert check["DEPLOY_FUNCTION_APPSERVICEAPPLICATIONURL"] == url
    assert check["INPUT_APPSETTINGS"] == f"-URL {url}"


def test_secrets_are_masked_in_every_line_after_they_are_known(
    ran: tuple[JobOutcome, Path, dict[str, Any]],
) -> None:
    log = ran[0].tasks[0].log
    assert f"app settings: -KEY {MASK} -RELEASE 7 -X $(Not.Defined)" in log
    assert f"service principal key: {MASK}" in log
    assert "publishing password: pp-before-registration" in log
    assert f"publishing password: {MASK}" in log
    for secret in ("k-SECRET-123", "sp-SECRET-key", "pp-RUNTIME-pass", "sys-TOKEN"):
        assert not any(secret in line for task in ran[0].tasks for line in task.log)
    assert not any(line.startswith("##vso[") for line in log)  # commands are acted on, not logged


def test_summary_issues_progress_and_result(ran: tuple[JobOutcome, Path, dict[str, Any]]) -> None:
    outcome = ran[0]
    assert outcome.summaries == [
        (
            "deployment.md",
            "# Deployed\n\n| slot | url |\n|---|---|\n"
            "| staging | https://func-app-staging.azurewebsites.net |\n",
        )
    ]
    assert outcome.issues == [
        ("warning", "Slot settings differ: 100% sticky"),
        ("error", "Warm-up request failed once"),
    ]
    deploy = outcome.tasks[0]
    assert "##[warning]Slot settings differ: 100% sticky" in deploy.log
    assert "##[error]Warm-up request failed once" in deploy.log
    assert deploy.progress == 50
    assert deploy.result == "succeededWithIssues"
    assert outcome.tasks[1].result == "succeeded"
    assert outcome.result == "succeededWithIssues"
