"""Microsoft's own Node library behind its App Service pipeline tasks (azure-pipelines-tasks-azure-arm-rest,
pinned in tests/node/package-lock.json), unmodified, against the emulator, as the Azure Pipelines agent
runs a task: the service connection in ``ENDPOINT_*`` variables (a secret, spnKey, connection to an
AzureStack-style cloud whose ``metadata/endpoints`` is the emulator's), the task's inputs in ``INPUT_*``,
the emulator's CA in ``NODE_EXTRA_CA_CERTS``. ``tests/node/drive.js`` calls the library as
AzureFunctionApp@2 (deploy to a slot) and AzureAppServiceManage@0 (swap) do; every step is checked
here through the emulator's own state, the Python SDK and the slots' function hosts, and no request
of the library may get a redirect, a 404 or a 405.

The library is installed with ``npm ci`` into tests/node/node_modules once per change of the lock (a
stamp file remembers which). Without node and npm these tests are skipped; CI has both.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.mgmt.web import WebSiteManagementClient

from slotwise_emulator import Emulator, FunctionApp
from slotwise_emulator.apps import good_build

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
STAMP = NODE_DIR / "node_modules" / ".slotwise-lock"
ARM_RESOURCE = "https://management.core.windows.net/"  # the audience the emulator's cloud metadata names


@pytest.fixture(scope="session")
def node_driver() -> Path:
    """drive.js, with the pinned library installed (``npm ci``, once per lock change)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "node and npm are not installed: Microsoft's Node libraries cannot be driven (CI has them)"
        )
    wanted = hashlib.sha256((NODE_DIR / "package-lock.json").read_bytes()).hexdigest()
    if not STAMP.is_file() or STAMP.read_text().strip() != wanted:
        command = [npm, "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund", "--loglevel=error"]
        installed = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        assert installed.returncode == 0, f"npm ci failed:\n{installed.stdout}\n{installed.stderr}"
        STAMP.write_text(wanted + "\n")
    return NODE_DIR / "drive.js"


class Agent:
    """Runs drive.js as the agent runs a task of a job with an AzureStack-style service connection."""

    def __init__(self, emulator: Emulator, driver: Path, work: Path) -> None:
        self.emulator, self.driver, self.work = emulator, driver, work
        connection = emulator.service_connection(name="stack", scheme="ServicePrincipal")
        self.endpoint = azure_stack(emulator.service_principal_env(connection.id), connection.id)
        self.connection_id = connection.id

    def run(self, action: str, **inputs: str) -> dict[str, dict[str, Any]]:
        """The steps drive.js reported, by name; fails the test if the run failed."""
        temp = self.work / "agent-temp"
        temp.mkdir(exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.work),
            "NODE_EXTRA_CA_CERTS": str(self.emulator.ca_path),  # the agent does not set it: we do
            "AGENT_TEMPDIRECTORY": str(temp),
            "BUILD_BUILDID": "42",
            "BUILD_REQUESTEDFOR": "Ada",
            **self.endpoint,
            "INPUT_AZURESUBSCRIPTION": self.connection_id,
            "INPUT_APPNAME": "func-demo",
            "INPUT_SLOTNAME": "staging",
            "INPUT_ACTION": action,
            **{f"INPUT_{name.upper()}": value for name, value in inputs.items()},
        }
        ran = subprocess.run(
            ["node", str(self.driver)], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        # Only the step lines: the library's own debug lines carry credentials (the agent masks them).
        lines = [json.loads(line) for line in ran.stdout.splitlines() if line.startswith('{"step":')]
        steps = {line.pop("step"): line for line in lines}
        failed = [f"{name}: {fields['error']}" for name, fields in steps.items() if "error" in fields]
        assert (ran.returncode, failed) == (0, []), f"drive.js {action}: {failed}\n{ran.stderr[-2000:]}"
        return steps


def azure_stack(endpoint: dict[str, str], connection_id: str) -> dict[str, str]:
    """A service connection to an AzureStack-style cloud: the ARM URL and nothing more; the library
    reads the authority and the token audience from ``<arm>/metadata/endpoints``."""
    data_key = f"ENDPOINT_DATA_{connection_id}"
    discovered = ("environmentAuthorityUrl", "activeDirectoryServiceEndpointResourceId")
    data = {k: v for k, v in json.loads(endpoint[data_key]).items() if k not in discovered}
    env = {k: v for k, v in endpoint.items() if not k.endswith(tuple(f"_{d.upper()}" for d in discovered))}
    return {
        **env,
        data_key: json.dumps({**data, "environment": "AzureStack"}),
        f"{data_key}_ENVIRONMENT": "AzureStack",
    }


class Watch:
    """The emulator's request log from a point on (``GET /_emulator/requests?since=N``)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.since = self._get(0)["next"]

    def _get(self, since: int) -> dict[str, Any]:
        url = f"{self.emulator.arm_url}/_emulator/requests?since={since}"
        found: dict[str, Any] = requests.get(url, verify=str(self.emulator.ca_path), timeout=10).json()
        return found

    def requests(self) -> list[dict[str, Any]]:
        return [e for e in self._get(self.since)["value"] if not e["path"].startswith("/_emulator/")]


def redirected_or_unknown(log: list[dict[str, Any]]) -> list[str]:
    """The requests that got a redirect, a 404 or a 405 (none should)."""
    return [
        f"{e['status']} {e['method']} {e['path']}"
        for e in log
        if 300 <= e["status"] < 400 or e["status"] in (404, 405)
    ]


def made(log: list[dict[str, Any]], method: str, kind: str, path: str) -> bool:
    """Whether the log has a ``method`` request to a ``kind`` host whose path matches ``path`` at its end."""
    return any(e["method"] == method and e["kind"] == kind and re.search(f"{path}$", e["path"]) for e in log)


class App:
    """What the emulator's state, the Python SDK and the function hosts say about func-demo."""

    def __init__(self, emulator: Emulator, web: WebSiteManagementClient, token: str) -> None:
        self.emulator, self.web, self.token = emulator, web, token

    def slot(self, name: str) -> Any:
        sub = self.emulator.subscription_id
        return self.emulator.call(lambda b: b.web.slot(sub, "rg-demo", "func-demo", name))

    def build(self, slot: str) -> str:
        """The build a slot's function host serves (its health function answers its version)."""
        url = f"https://{self.slot(slot).host_name}/api/health"
        answer = requests.get(url, verify=str(self.emulator.ca_path), timeout=10)
        assert answer.status_code == 200
        return str(answer.json()["version"])

    def settings(self, slot: str) -> dict[str, str]:
        apps = self.web.web_apps
        found = (
            apps.list_application_settings("rg-demo", "func-demo")
            if slot == "production"
            else apps.list_application_settings_slot("rg-demo", "func-demo", slot)
        )
        return dict(found.properties or {})

    def kudu(self, slot: str, path: str, package: Path | None = None) -> Any:
        url = f"https://{self.slot(slot).scm_host_name}{path}"
        headers = {"Authorization": f"Bearer {self.token}"}
        if package is None:
            return requests.get(url, headers=headers, verify=str(self.emulator.ca_path), timeout=30).json()
        answer = requests.post(
            url, data=package.read_bytes(), headers=headers, verify=str(self.emulator.ca_path), timeout=60
        )
        assert answer.status_code == 200


@pytest.fixture
def agent(emulator: Emulator, node_driver: Path, tmp_path: Path) -> Agent:
    return Agent(emulator, node_driver, tmp_path)


@pytest.fixture
def app(
    emulator: Emulator,
    function_app: FunctionApp,
    web_client: WebSiteManagementClient,
    arm_token: str,
    tmp_path: Path,
) -> App:
    """func-demo with build 1 in production and nothing in its staging slot."""
    found = App(emulator, web_client, arm_token)
    found.kudu("production", "/api/zipdeploy", good_build(tmp_path / "build-1.zip", "1"))
    return found


@pytest.mark.timeout(600)  # the first one installs the library (npm ci) when the lock changed
@pytest.mark.parametrize("basic_auth", [True, False], ids=["basic-auth", "scm-basic-auth-off"])
def test_microsofts_library_deploys_to_a_slot_then_swaps_it(
    emulator: Emulator, agent: Agent, app: App, tmp_path: Path, basic_auth: bool
) -> None:
    if not basic_auth:  # the library then asks for a token instead of using the publishing credentials
        app.web.web_apps.update_scm_allowed_slot(
            "rg-demo", "func-demo", "staging", {"properties": {"allow": False}}
        )
    package = good_build(tmp_path / "build-2.zip", "2")

    # AzureFunctionApp@2 deploying build 2 to staging, with an app setting
    watch = Watch(emulator)
    steps = agent.run("deploy", package=str(package), appSettings=json.dumps({"BUILD_LABEL": "2"}))
    log = watch.requests()
    assert redirected_or_unknown(log) == []
    assert steps["endpoint"] == {
        "environment": "AzureStack",
        "authority": f"{emulator.authority}/",  # from the emulator's cloud metadata
        "resource": ARM_RESOURCE,
    }
    assert steps["find-app"] == {"resourceGroup": "rg-demo", "kind": "functionapp"}
    assert steps["get-app"]["host"] == app.slot("production").host_name
    assert (steps["get-slot"]["name"], steps["get-slot"]["host"]) == (
        "func-demo/staging",
        app.slot("staging").host_name,
    )
    assert steps["read-settings-again"] == {"written": {"BUILD_LABEL": "2"}}
    assert steps["kudu"] == {
        "scm": f"https://{app.slot('staging').scm_host_name}",
        "auth": "Basic" if basic_auth else "Bearer",
    }
    assert (steps["zip-deploy"]["status"], steps["zip-deploy"]["complete"]) == (4, True)

    # what the emulator says happened
    assert app.settings("staging")["BUILD_LABEL"] == "2"
    assert "BUILD_LABEL" not in app.settings("production")
    assert (app.build("staging"), app.build("production")) == ("2", "1")
    history = app.kudu("staging", "/api/deployments")
    assert [(d["id"], d["deployer"], d["status"], d["active"]) for d in history] == [
        (steps["record-deployment"]["id"], "VSTS", 4, True),
        (steps["zip-deploy"]["id"], "VSTS_ZIP_DEPLOY_FUNCTIONS_V2", 4, False),
    ]
    assert steps["record-deployment"]["id"].startswith("42")  # Build.BuildId, then a time stamp
    site = "/providers/Microsoft.Web/sites/func-demo"
    for method, kind, path in [
        ("GET", "arm", "^/metadata/endpoints"),  # the AzureStack-style cloud's endpoints
        ("POST", "login", f"^/{emulator.tenant_id}/oauth2/token"),  # v1, sent with a trailing slash
        ("GET", "arm", f"^/subscriptions/{emulator.subscription_id}/resources"),
        ("GET", "arm", site),  # sent with a trailing slash
        ("POST", "arm", f"{site}/slots/staging/config/publishingcredentials/list"),
        ("GET", "arm", f"{site}/slots/staging/basicPublishingCredentialsPolicies/scm"),
        ("POST", "scm", "^/api/zipdeploy"),
        ("PUT", "scm", f"^/api/deployments/{steps['record-deployment']['id']}"),
    ]:
        assert made(log, method, kind, path), (method, kind, path)

    # AzureAppServiceManage@0 swapping staging into production
    watch = Watch(emulator)
    steps = agent.run("swap")
    assert redirected_or_unknown(watch.requests()) == []
    assert steps["get-app"]["swap"]["sourceSlotName"] == "staging"
    assert (app.build("production"), app.build("staging")) == ("2", "1")
    assert app.settings("production")["BUILD_LABEL"] == "2"  # not sticky: it moved with the build
    assert "BUILD_LABEL" not in app.settings("staging")
    moved = [d["deployer"] for d in app.kudu("production", "/api/deployments")]
    assert moved == ["VSTS", "VSTS_ZIP_DEPLOY_FUNCTIONS_V2"]
