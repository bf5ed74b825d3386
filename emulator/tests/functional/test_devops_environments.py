"""Pipeline environments and their check configurations through the real ``azure-devops`` client (and
raw requests where the client cannot say it): create, list, page, get, update, delete, the checks of
the issue (Approval, ExclusiveLock), settings only when expanded, versions, the portal's edit behind a
client's back, errors and authentication."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from azure.devops.exceptions import AzureDevOpsServiceError
from azure.devops.v7_1.pipelines_checks.models import CheckConfiguration, CheckType, Resource
from azure.devops.v7_1.task_agent.models import EnvironmentCreateParameter, EnvironmentUpdateParameter

from slotwise_emulator import Emulator
from tests.devops_client import Org, org

__all__ = ["org"]  # fixtures
APPROVAL = "8c6f20a7-a545-4486-9777-f762fafe0d4d"
EXCLUSIVE_LOCK = "2ef31ad6-baa0-403a-8b45-2cbc9b4e5563"
PREVIEW = "7.1-preview.1"


class Check(CheckConfiguration):  # type: ignore[misc]
    """The client's CheckConfiguration with what its model lacks and the service sends: settings and
    version (a client that applies checks has to add them the same way)."""

    _attribute_map = {
        **CheckConfiguration._attribute_map,
        "settings": {"key": "settings", "type": "object"},
        "version": {"key": "version", "type": "int"},
    }

    def __init__(self, settings: Any = None, version: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.version = version


def checks_client(org: Org) -> Any:
    client = org.connect().clients_v7_1.get_pipelines_checks_client()
    client._deserialize.dependencies["CheckConfiguration"] = Check
    return client


def member_id(org: Org, name: str) -> str:
    member = org.emulator.backends.devops.directory.records_of("contoso").member_named(name)
    assert member is not None
    return member.id


def approval(org: Org, environment_id: int, *approvers: str, least: int = 1, timeout: int = 60) -> Check:
    return Check(
        type=CheckType(id=APPROVAL.upper(), name="Approval"),
        resource=Resource(type="environment", id=str(environment_id)),
        settings={
            "approvers": [{"id": member_id(org, a), "displayName": a} for a in approvers],
            "minRequiredApprovers": least,
            "instructions": "Look at the smoke test first.",
            "requesterCannotBeApprover": True,
            "executionOrder": "anyOrder",
            "blockedApprovers": [],
        },
        timeout=timeout,
    )


def lock(environment_id: int) -> Check:
    return Check(
        type=CheckType(id=EXCLUSIVE_LOCK.upper(), name="ExclusiveLock"),
        resource=Resource(type="environment", id=str(environment_id)),
        settings={},
        timeout=43200,
    )


def type_key(error: pytest.ExceptionInfo[AzureDevOpsServiceError]) -> str:
    return str(error.value.type_key)


def test_an_environment_is_created_listed_renamed_and_deleted(org: Org) -> None:
    agent = org.connect().clients_v7_1.get_task_agent_client()
    made = agent.add_environment(
        EnvironmentCreateParameter(name="orders-staging", description="d"), "Fabrikam"
    )
    assert (made.name, made.description, made.project.name) == ("orders-staging", "d", "Fabrikam")
    assert made.created_by.unique_name == made.last_modified_by.unique_name == "admin@contoso.com"
    assert [e.id for e in agent.get_environments("Fabrikam", name="ORDERS-STAGING")] == [made.id]
    assert agent.get_environments("Fabrikam", name="nothing") == []
    renamed = agent.update_environment(EnvironmentUpdateParameter(name="orders-stg"), "Fabrikam", made.id)
    assert (renamed.name, renamed.description) == ("orders-stg", "d")  # what the body lacks is kept
    got = agent.get_environment_by_id("Fabrikam", made.id, expands="resourceReferences")
    assert (got.name, got.resources) == ("orders-stg", [])
    assert agent.get_environment_by_id("Fabrikam", made.id).resources is None
    agent.delete_environment("Fabrikam", made.id)
    with pytest.raises(AzureDevOpsServiceError) as gone:
        agent.get_environment_by_id("Fabrikam", made.id)
    assert type_key(gone) == "EnvironmentNotFoundException"
    assert org.emulator.environments("contoso", "Fabrikam") == []
    raw = org.raw("GET", f"Fabrikam/_apis/distributedtask/environments/{made.id}")
    assert (raw.status_code, raw.json()["typeKey"]) == (404, "EnvironmentNotFoundException")


def test_an_environment_name_is_unique_in_its_project_whatever_its_case(org: Org) -> None:
    agent = org.connect().clients_v7_1.get_task_agent_client()
    agent.add_environment(EnvironmentCreateParameter(name="prod"), "Fabrikam")
    other = agent.add_environment(EnvironmentCreateParameter(name="test"), "Fabrikam")
    with pytest.raises(AzureDevOpsServiceError) as taken:
        agent.add_environment(EnvironmentCreateParameter(name="PROD"), "Fabrikam")
    assert type_key(taken) == "EnvironmentExistsException"
    with pytest.raises(AzureDevOpsServiceError) as renamed:
        agent.update_environment(EnvironmentUpdateParameter(name="Prod"), "Fabrikam", other.id)
    assert type_key(renamed) == "EnvironmentExistsException"
    with pytest.raises(AzureDevOpsServiceError) as nameless:
        agent.add_environment(EnvironmentCreateParameter(name=" "), "Fabrikam")
    assert type_key(nameless) == "ArgumentNullException"
    raw = org.raw("POST", "Fabrikam/_apis/distributedtask/environments", json={"name": "prod"})
    assert (raw.status_code, raw.json()["typeKey"]) == (409, "EnvironmentExistsException")
    org.emulator.create_project("contoso", "Other")
    assert agent.add_environment(EnvironmentCreateParameter(name="prod"), "Other").name == "prod"


def test_environments_come_by_name_a_page_at_a_time(org: Org) -> None:
    for name in ("e", "b", "d", "a", "c"):
        org.emulator.create_environment("contoso", "Fabrikam", name)
    seen, token, pages = [], None, 0
    while True:
        path = "Fabrikam/_apis/distributedtask/environments?$top=2" + (
            f"&continuationToken={token}" if token else ""
        )
        page = org.raw("GET", path)
        assert page.status_code == 200, page.text
        seen += [e["name"] for e in page.json()["value"]]
        pages += 1
        token = page.headers.get("X-MS-ContinuationToken")
        if not token:
            break
    assert (seen, pages) == (["a", "b", "c", "d", "e"], 3)
    agent = org.connect().clients_v7_1.get_task_agent_client()
    assert [e.name for e in agent.get_environments("Fabrikam", top=2)] == ["a", "b"]
    assert [e.name for e in agent.get_environments("Fabrikam", name="*")] == seen


def test_approval_and_exclusive_lock_checks_on_an_environment(org: Org) -> None:
    environment = org.emulator.create_environment("contoso", "Fabrikam", "orders-prod")
    client = checks_client(org)
    wanted = approval(org, environment["id"], "lead@contoso.com", "[Fabrikam]\\Release Approvers")
    made = client.add_check_configuration(wanted, "Fabrikam")
    locked = client.add_check_configuration(lock(environment["id"]), "Fabrikam")
    assert (made.type.id, made.type.name, made.version, made.timeout) == (APPROVAL, "Approval", 1, 60)
    assert made.settings == wanted.settings  # kept whole, as sent
    assert (made.resource.type, made.resource.id, made.resource.name) == ("environment", "1", "orders-prod")
    assert made.url.endswith(f"/_apis/pipelines/checks/configurations/{made.id}")
    assert (locked.type.id, locked.type.name, locked.settings) == (EXCLUSIVE_LOCK, "ExclusiveLock", {})
    bare = client.get_check_configurations_on_resource("Fabrikam", "environment", str(environment["id"]))
    assert [(c.id, c.settings) for c in bare] == [(made.id, None), (locked.id, None)]
    full = client.get_check_configurations_on_resource(
        "Fabrikam", "environment", str(environment["id"]), expand="settings"
    )
    assert [c.settings for c in full] == [wanted.settings, {}]
    assert client.get_check_configuration("Fabrikam", made.id).settings is None
    assert client.get_check_configuration("Fabrikam", made.id, expand="settings").settings == wanted.settings
    queried = client.query_check_configurations_on_resources(
        [Resource(type="environment", id=str(environment["id"])), Resource(type="queue", id="1")], "Fabrikam"
    )
    assert [c.id for c in queried] == [made.id, locked.id]
    assert [c["id"] for c in org.emulator.checks("contoso", "Fabrikam", "orders-prod")] == [
        made.id,
        locked.id,
    ]


def test_a_check_update_replaces_what_it_sends_and_counts_versions(org: Org) -> None:
    environment = org.emulator.create_environment("contoso", "Fabrikam", "orders-prod")
    client = checks_client(org)
    made = client.add_check_configuration(approval(org, environment["id"], "lead@contoso.com"), "Fabrikam")
    change = approval(org, environment["id"], "ops@contoso.com", timeout=120)
    updated = client.update_check_configuration(change, "Fabrikam", made.id)
    assert (updated.id, updated.version, updated.timeout) == (made.id, 2, 120)
    assert [a["id"] for a in updated.settings["approvers"]] == [member_id(org, "ops@contoso.com")]
    assert updated.created_on == made.created_on
    moved = lock(environment["id"])
    with pytest.raises(AzureDevOpsServiceError) as retyped:
        client.update_check_configuration(moved, "Fabrikam", made.id)
    assert type_key(retyped) == "ArgumentException"
    client.delete_check_configuration("Fabrikam", made.id)
    with pytest.raises(AzureDevOpsServiceError) as gone:
        client.get_check_configuration("Fabrikam", made.id)
    assert "does not exist." in gone.value.message
    raw = org.raw("GET", f"Fabrikam/_apis/pipelines/checks/configurations/{made.id}", version=PREVIEW)
    assert (raw.status_code, raw.json()["typeKey"]) == (404, "CheckConfigurationNotFoundException")


def test_a_check_needs_a_resource_of_the_project_and_approvers_of_the_organization(org: Org) -> None:
    environment = org.emulator.create_environment("contoso", "Fabrikam", "orders-prod")
    client = checks_client(org)
    with pytest.raises(AzureDevOpsServiceError) as nowhere:
        client.add_check_configuration(lock(99), "Fabrikam")
    assert type_key(nowhere) == "EnvironmentNotFoundException"
    stranger = approval(org, environment["id"], "lead@contoso.com")
    stranger.settings["approvers"].append({"id": "6a0e7b1c-0000-4000-8000-000000000000"})
    with pytest.raises(AzureDevOpsServiceError) as unknown:
        client.add_check_configuration(stranger, "Fabrikam")
    assert type_key(unknown) == "IdentityNotFoundException"
    too_many = approval(org, environment["id"], "lead@contoso.com", least=2)
    with pytest.raises(AzureDevOpsServiceError) as impossible:
        client.add_check_configuration(too_many, "Fabrikam")
    assert "minRequiredApprovers" in impossible.value.message
    assert org.emulator.checks("contoso", "Fabrikam", "orders-prod") == []


def test_deleting_an_environment_deletes_its_checks(org: Org) -> None:
    kept = org.emulator.create_environment("contoso", "Fabrikam", "kept")
    dropped = org.emulator.create_environment("contoso", "Fabrikam", "dropped")
    client = checks_client(org)
    survivor = client.add_check_configuration(lock(kept["id"]), "Fabrikam")
    doomed = client.add_check_configuration(lock(dropped["id"]), "Fabrikam")
    org.connect().clients_v7_1.get_task_agent_client().delete_environment("Fabrikam", dropped["id"])
    assert [c.id for c in client.get_check_configurations_on_resource("Fabrikam")] == [survivor.id]
    with pytest.raises(AzureDevOpsServiceError):
        client.get_check_configuration("Fabrikam", doomed.id)


def test_a_check_edited_in_the_portal_is_a_new_version_the_client_sees(org: Org) -> None:
    environment = org.emulator.create_environment("contoso", "Fabrikam", "orders-prod")
    client = checks_client(org)
    made = client.add_check_configuration(approval(org, environment["id"], "lead@contoso.com"), "Fabrikam")
    edited = org.emulator.edit_check(
        "contoso", "Fabrikam", made.id, {"settings.approvers.0.id": member_id(org, "ops@contoso.com")}
    )
    assert edited["version"] == 2
    seen = client.get_check_configuration("Fabrikam", made.id, expand="settings")
    assert (seen.version, seen.settings["approvers"][0]["id"]) == (2, member_id(org, "ops@contoso.com"))
    url = f"{org.emulator.arm_url}/_emulator/devops/contoso/Fabrikam/checks/{made.id}"
    verify = str(org.emulator.ca_path)
    answer = requests.patch(url, json={"timeout": 30}, verify=verify, timeout=10)
    assert (answer.status_code, answer.json()["version"], answer.json()["timeout"]) == (200, 3, 30)
    refused = requests.patch(url, json={"settings.minRequiredApprovers": 5}, verify=verify, timeout=10)
    assert refused.status_code == 400
    assert "minRequiredApprovers" in refused.json()["Message"]
    listed = requests.get(
        f"{org.emulator.arm_url}/_emulator/devops/contoso/Fabrikam/environments/orders-prod/checks",
        verify=verify,
        timeout=10,
    ).json()
    assert [(c["id"], c["version"], c["timeout"]) for c in listed] == [(made.id, 3, 30)]


@pytest.mark.parametrize(
    ("version", "refusal"),
    [("7.1", "VssInvalidPreviewVersionException"), ("seven", "VssInvalidApiVersionException")],
)
def test_checks_are_a_preview_api(org: Org, version: str, refusal: str) -> None:
    answer = org.raw("GET", "Fabrikam/_apis/pipelines/checks/configurations", version=version)
    assert (answer.status_code, answer.json()["typeKey"]) == (400, refusal)
    assert (
        org.raw("GET", "Fabrikam/_apis/pipelines/checks/configurations", version=PREVIEW).status_code == 200
    )


def test_environments_and_checks_need_an_authenticated_caller(org: Org) -> None:
    for path in (
        "Fabrikam/_apis/distributedtask/environments",
        "Fabrikam/_apis/pipelines/checks/configurations",
    ):
        assert org.raw("GET", path, version=PREVIEW, authorization="Basic Om5vcGU=").status_code == 401
    assert org.raw("GET", "Nowhere/_apis/distributedtask/environments").status_code == 404


def test_environments_and_checks_survive_a_restart(tmp_path: Path) -> None:
    with Emulator(state_dir=tmp_path, seed=True) as first:
        made = first.create_environment("contoso", "Fabrikam", "kept")
        first.call(lambda b: _lock(b, made["id"]))
    with Emulator(state_dir=tmp_path) as second:
        assert [e["name"] for e in second.environments("contoso", "Fabrikam")] == ["kept"]
        assert [c["type"]["name"] for c in second.checks("contoso", "Fabrikam", "kept")] == ["ExclusiveLock"]


def _lock(b: Any, environment_id: int) -> None:
    from slotwise_emulator.backends import devops_checks

    directory = b.devops.directory
    records = directory.records_of("contoso")
    project = directory.project_or_404("contoso", "Fabrikam")
    body = {"type": {"id": EXCLUSIVE_LOCK}, "resource": {"type": "environment", "id": str(environment_id)}}
    devops_checks.add(records, project, body, {"uniqueName": "test"}, b.clock.now())
