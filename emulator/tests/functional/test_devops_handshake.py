"""The location handshake, the server's versions, authentication and rate limiting of the emulated
Azure DevOps organization, as the ``azure-devops`` client and raw requests meet them."""

from __future__ import annotations

import base64
import json
import time
import zipfile
from pathlib import Path

import pytest
import requests
from azure.devops.exceptions import AzureDevOpsAuthenticationError
from azure.devops.v7_1.task_agent.models import TaskAgentQueue
from msrest.authentication import BasicTokenAuthentication
from starlette.routing import Route

from slotwise_emulator import Emulator
from slotwise_emulator.core import service_routes
from slotwise_emulator.routes.devops_locations import api_locations
from tests.conftest import principal
from tests.devops_client import Org, org, server_2022

__all__ = ["org", "server_2022"]  # fixtures
DEVOPS_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
LIMIT = {
    "kind": "devops",
    "status": 429,
    "shape": "devops",
    "code": "TooManyRequests",
    "message": "TF400733: The request has been rate limited.",
}


def _segments(path: str) -> list[str]:
    return ["{}" if part.startswith("{") else part.lower() for part in path.strip("/").split("/")]


def _covers(template: list[str], route: list[str]) -> bool:
    """Whether the route is the template with some of its parameter segments left out (as the client
    leaves out those it has no value for)."""
    if not template:
        return not route
    if route and template[0] == route[0] and _covers(template[1:], route[1:]):
        return True
    return template[0] == "{}" and _covers(template[1:], route)


def _logged(org: Org, before: int, count: int) -> list[tuple[str, str, int]]:
    """The requests logged since ``before`` (the log entry is written just after the answer is sent:
    wait for ``count`` of them, a moment at most)."""
    deadline = time.monotonic() + 5
    while True:
        entries = org.emulator.backends.log.entries()[before:]
        if len(entries) >= count or time.monotonic() > deadline:
            return [(e.method, e.path, e.status) for e in entries]
        time.sleep(0.01)


def test_every_devops_route_is_a_location_the_handshake_lists() -> None:
    templates = [
        _segments(location.route_template.replace("{area}", location.area).replace("{resource}",
                                                                                   location.resource_name))
        for location in api_locations()
    ]  # fmt: skip
    unlisted = []
    for route in service_routes()["devops"]:
        assert isinstance(route, Route)
        if route.path in ("/_signin", "/{org}/_apis"):
            continue
        assert route.path.startswith("/{org}/"), route.path
        if not any(_covers(t, _segments(route.path[len("/{org}/") :])) for t in templates):
            unlisted.append(route.path)
    assert unlisted == []


def test_the_cold_handshake_of_the_client_then_a_call(org: Org) -> None:
    before = len(org.emulator.backends.log.entries())
    agent = org.connect().clients_v7_1.get_task_agent_client()
    queues = agent.get_agent_queues(project="Fabrikam")
    assert all(isinstance(q, TaskAgentQueue) for q in queues)
    assert _logged(org, before, 3) == [
        ("OPTIONS", "/contoso/_apis", 200),
        ("GET", "/contoso/_apis/resourceareas", 200),  # the log has the canonical path
        ("GET", "/contoso/Fabrikam/_apis/distributedtask/queues", 200),
    ]


def test_options_lists_every_location_and_resource_areas_is_empty(org: Org) -> None:
    listed = org.raw("OPTIONS", "_apis", version=None).json()
    assert {entry["id"] for entry in listed["value"]} == {loc.id for loc in api_locations()}
    assert listed["count"] == len(listed["value"])
    assert {"maxVersion", "minVersion", "releasedVersion", "resourceVersion", "routeTemplate"} <= set(
        listed["value"][0]
    )
    assert org.raw("GET", "_apis/ResourceAreas").json() == {"count": 0, "value": []}


def test_server_2022_lists_nothing_newer_than_7_0_and_refuses_7_1(server_2022: Org) -> None:
    listed = server_2022.raw("OPTIONS", "_apis", version=None).json()["value"]
    assert {entry["maxVersion"] for entry in listed} == {"7.0"}
    assert "oidctoken" not in {entry["resourceName"] for entry in listed}  # new in 7.1
    refused = server_2022.raw("GET", "_apis/projects", version="7.1-preview.4")
    assert refused.status_code == 400
    assert refused.json()["typeKey"] == "VssVersionOutOfRangeException"
    assert "latest REST API version this server supports is 7.0" in refused.json()["message"]
    # the 7.1 client reads maxVersion 7.0 from the handshake and asks for 7.0 instead
    assert [p.name for p in server_2022.connect().clients_v7_1.get_core_client().get_projects()] == [
        "Fabrikam"
    ]
    assert server_2022.raw("GET", "_apis/projects", version="7.0").status_code == 200


def test_the_server_can_be_switched_through_the_control_plane(org: Org) -> None:
    url = f"{org.emulator.arm_url}/_emulator/devops/server"
    verify = str(org.emulator.ca_path)
    assert requests.get(url, verify=verify, timeout=10).json()["version"] == "services"
    switched = requests.put(url, json={"version": "2022"}, verify=verify, timeout=10)
    assert switched.json()["deploymentType"] == "onPremises"
    assert org.raw("GET", "_apis/projects", version="7.1").status_code == 400
    assert requests.put(url, json={"version": "2019"}, verify=verify, timeout=10).status_code == 400


def test_a_missing_or_malformed_api_version_is_refused(org: Org) -> None:
    missing = org.raw("GET", "_apis/projects", version=None)
    assert (missing.status_code, missing.json()["typeKey"]) == (400, "VssVersionNotSpecifiedException")
    bad = org.raw("GET", "_apis/projects", version="seven")
    assert (bad.status_code, bad.json()["typeKey"]) == (400, "VssInvalidApiVersionException")


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic Om5vdC1hLXBhdA==", "Bearer not-a-token", "Negotiate abc"],
    ids=["none", "unknown-pat", "bad-bearer", "other-scheme"],
)
def test_unauthenticated_requests_get_401_with_the_challenge(org: Org, authorization: str | None) -> None:
    answer = org.raw("GET", "_apis/projects", authorization=authorization or "")
    assert answer.status_code == 401
    assert answer.content == b""
    assert "Basic realm=" in answer.headers["WWW-Authenticate"]
    assert answer.headers["X-VSS-ResourceTenant"] == org.emulator.tenant_id
    redirected = org.raw("GET", "_apis/projects", authorization=authorization or "", suppress=False)
    assert redirected.status_code == 302
    assert "/_signin?" in redirected.headers["Location"]


def test_the_client_raises_its_authentication_error_for_a_wrong_pat(org: Org) -> None:
    with pytest.raises(AzureDevOpsAuthenticationError):
        org.connect("0" * 52).clients_v7_1.get_core_client().get_projects()


def test_an_issued_pat_of_any_user_authenticates_as_that_user(org: Org) -> None:
    org.emulator.create_user("contoso", "dev@contoso.com", "Dev Eloper")
    pat = org.emulator.issue_pat("contoso", "dev@contoso.com")
    data = org.connect(pat).clients_v7_1.get_location_client().get_connection_data()
    assert data.authenticated_user.provider_display_name == "Dev Eloper"
    with pytest.raises(Exception, match="No user"):
        org.emulator.issue_pat("contoso", "nobody@contoso.com")


def test_an_entra_token_for_azure_devops_authenticates_and_one_for_arm_does_not(org: Org) -> None:
    credential = principal(org.emulator)
    token = credential.get_token(DEVOPS_SCOPE).token
    from azure.devops.connection import Connection

    connection = Connection(base_url=org.url, creds=BasicTokenAuthentication({"access_token": token}))
    assert [p.name for p in connection.clients_v7_1.get_core_client().get_projects()] == ["Fabrikam"]
    arm = credential.get_token("https://management.azure.com/.default").token
    assert org.raw("GET", "_apis/projects", authorization=f"Bearer {arm}").status_code == 401


def test_a_job_access_token_authenticates_in_its_own_organization(org: Org) -> None:
    job = org.emulator.pipeline_job("contoso", "Fabrikam", "contoso-azure")
    answer = org.raw("GET", "_apis/connectionData", authorization=f"Bearer {job.access_token}")
    assert answer.status_code == 200
    assert answer.json()["authenticatedUser"]["providerDisplayName"] == "Fabrikam Build Service (contoso)"
    elsewhere = org.emulator.pipeline_job("fabrikam", "web", "prod")
    assert (
        org.raw("GET", "_apis/projects", authorization=f"Bearer {elsewhere.access_token}").status_code == 401
    )


def test_an_unknown_organization_is_a_404(org: Org) -> None:
    answer = requests.get(
        f"{org.emulator.devops_url}nowhere/_apis/projects",
        headers={"Accept": "application/json;api-version=7.1"},
        verify=str(org.emulator.ca_path),
        timeout=10,
    )
    assert answer.status_code == 404


def test_rate_limiting_answers_429_with_retry_after_on_every_devops_api(org: Org) -> None:
    rule = {**LIMIT, "path": "/_apis", "retry_after": 7, "count": 6}
    added = requests.post(
        f"{org.emulator.arm_url}/_emulator/faults", json=rule, verify=str(org.emulator.ca_path), timeout=10
    )
    assert added.status_code == 201
    for path in (
        "_apis/projects",
        "Fabrikam/_apis/build/definitions",
        "Fabrikam/_apis/distributedtask/queues",
        "Fabrikam/_apis/serviceendpoint/endpoints",
        "_apis/identities?searchFilter=General&filterValue=x",
        "_apis/distributedtask/tasks",
    ):
        limited = org.raw("GET", path)
        assert limited.status_code == 429, path
        assert limited.headers["Retry-After"] == "7"
    assert org.raw("GET", "_apis/projects").status_code == 200  # the rule fired its six times


def test_the_client_waits_out_a_rate_limited_answer_and_retries(org: Org) -> None:
    core = org.connect().clients_v7_1.get_core_client()
    core.get_projects()  # the handshake, before the limit
    org.emulator.call(lambda b: b.faults.add(_limit()))
    before = len(org.emulator.backends.log.entries())
    assert [p.name for p in core.get_projects()] == ["Fabrikam"]
    assert _logged(org, before, 2) == [
        ("GET", "/contoso/_apis/projects", 429),
        ("GET", "/contoso/_apis/projects", 200),
    ]


def _limit() -> object:
    from slotwise_emulator.backends.faults import rule_from_dict

    return rule_from_dict({**LIMIT, "path": "/_apis/projects", "retry_after": 1})


def _vsix(tmp: Path) -> Path:
    path = tmp / "ext.vsix"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "extension.vsixmanifest",
            '<PackageManifest><Metadata><Identity Language="en-US" Id="slotwise" Version="1.2.3" '
            'Publisher="slotwise-dev"/><DisplayName>slotwise</DisplayName></Metadata></PackageManifest>',
        )
        archive.writestr(
            "extension.vsomanifest",
            json.dumps({"contributions": [
                {"id": "slot-swap", "type": "ms.vss-distributed-task.task",
                 "properties": {"name": "tasks/slot-swap"}},
                {"id": "hub", "type": "ms.vss-web.hub", "properties": {"name": "hub"}},
            ]}),
        )  # fmt: skip
        archive.writestr(
            "tasks/slot-swap/task.json",
            json.dumps({"id": "9C7D3A5E-0000-4000-8000-000000000001", "name": "SlotSwap",
                        "friendlyName": "Slot swap", "version": {"Major": 1, "Minor": 2, "Patch": 3}}),
        )  # fmt: skip
    return path


def test_tasks_are_the_built_ins_and_those_of_installed_extensions(org: Org, tmp_path: Path) -> None:
    directory = org.emulator.backends.devops.directory
    assert directory.task_installed("contoso", "501DD25D-1785-43E4-B4E5-A5C78CCC0573", "2.*")
    assert directory.task_installed("contoso", "f045e430-8704-11e6-968f-e717e6411619", "0.*")
    assert not directory.task_installed("contoso", "9c7d3a5e-0000-4000-8000-000000000001", "1.*")
    extension = org.emulator.install_extension("contoso", _vsix(tmp_path))
    assert [t.name for t in extension.tasks] == ["SlotSwap"]
    assert directory.task_installed("contoso", "9c7d3a5e-0000-4000-8000-000000000001", "1.*")
    assert not directory.task_installed("contoso", "9c7d3a5e-0000-4000-8000-000000000001", "2.*")
    listed = org.raw("GET", "_apis/distributedtask/tasks").json()["value"]
    swap = next(t for t in listed if t["name"] == "SlotSwap")
    assert swap["version"] == {"major": 1, "minor": 2, "patch": 3, "isTest": False}
    assert {t["name"] for t in listed} >= {"AzureFunctionApp", "AzureAppServiceManage"}
    installed = org.connect().clients_v7_1.get_extension_management_client().get_installed_extensions()
    assert [(e.publisher_id, e.extension_id, e.version) for e in installed] == [
        ("slotwise-dev", "slotwise", "1.2.3")
    ]


def test_a_vsix_is_installed_through_the_control_plane_and_a_broken_one_refused(
    org: Org, tmp_path: Path
) -> None:
    url = f"{org.emulator.arm_url}/_emulator/devops/contoso/extensions"
    verify = str(org.emulator.ca_path)
    made = requests.post(url, data=_vsix(tmp_path).read_bytes(), verify=verify, timeout=10)
    assert made.status_code == 201
    assert made.json()["tasks"] == [
        {"id": "9c7d3a5e-0000-4000-8000-000000000001", "name": "SlotSwap", "version": "1.2.3"}
    ]
    broken = requests.post(url, data=b"not a zip", verify=verify, timeout=10)
    assert broken.status_code == 400
    assert "zip" in broken.json()["Message"]


def test_the_seed_and_its_environment(org: Org, tmp_path: Path) -> None:
    env_file = tmp_path / "emulator.env"
    org.emulator.write_env_file(env_file)
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert values["AZURE_DEVOPS_ORG_URL"] == f"{org.emulator.devops_url}contoso/"
    assert values["AZURE_DEVOPS_EXT_PAT"] == org.pat
    again = org.emulator.seed_devops()
    assert again["pat"] == org.pat  # seeding twice changes nothing
    web = org.emulator.backends.web
    for app in ("orders", "inventory", "billing", "notifications"):
        site = web.site(org.emulator.subscription_id, f"rg-{app}", f"func-{app}")
        assert set(site.slots) == {"production", "staging", "test"}
    records = org.emulator.backends.devops.directory.records_of("contoso")
    assert len(records.builds) == 4


def test_an_unseeded_emulator_writes_no_devops_variables(emulator: Emulator) -> None:
    assert "AZURE_DEVOPS_ORG_URL" not in emulator.env()


def test_the_organization_survives_a_restart(tmp_path: Path) -> None:
    with Emulator(state_dir=tmp_path, seed=True, devops_server="2022") as first:
        env = first.env()
        first.create_variable_group("contoso", "Fabrikam", "kept", {"a": "1"}, secrets={"b": "2"})
    with Emulator(state_dir=tmp_path) as second:
        assert second.env()["AZURE_DEVOPS_EXT_PAT"] == env["AZURE_DEVOPS_EXT_PAT"]
        directory = second.backends.devops.directory
        assert directory.server.name == "2022"
        assert [g.name for g in directory.records_of("contoso").variable_groups.values()] == ["kept"]
        basic = base64.b64encode(f":{env['AZURE_DEVOPS_EXT_PAT']}".encode()).decode()
        assert directory.authorize("contoso", f"Basic {basic}")["uniqueName"] == "admin@contoso.com"
