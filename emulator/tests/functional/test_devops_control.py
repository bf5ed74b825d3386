"""The control plane's and the command line's Azure DevOps organization: what a user stands up through
``/_emulator/devops/...`` is what the real ``azure-devops`` client then reads."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from slotwise_emulator.cli import parser
from tests.devops_client import Org, org

__all__ = ["org"]


def control(seeded: Org, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{seeded.emulator.arm_url}/_emulator/devops/{path}",
        json=body,
        verify=str(seeded.emulator.ca_path),
        timeout=10,
    )


def test_what_the_control_plane_makes_the_client_reads(org: Org) -> None:
    assert control(org, "contoso/users", {"email": "qa@contoso.com", "displayName": "Q A"}).status_code == 201
    group = control(org, "contoso/Fabrikam/groups", {"name": "Testers", "members": ["qa@contoso.com"]})
    assert group.json()["uniqueName"] == "[Fabrikam]\\Testers"
    assert control(org, "contoso/Fabrikam/queues", {"name": "Linux", "pool": "Default"}).status_code == 201
    made = control(org, "contoso/Fabrikam/builddefinitions", {"name": "web-CI", "queue": "Linux"})
    assert made.status_code == 201
    build = control(
        org, "contoso/Fabrikam/builddefinitions/web-CI/builds", {"buildNumber": "7.0.1", "tags": ["release"]}
    )
    assert build.json()["result"] == "succeeded"
    group_made = control(
        org,
        "contoso/Fabrikam/variablegroups",
        {"name": "web", "variables": {"A": "1", "B": {"value": "hidden", "isSecret": True}}},
    )
    assert group_made.json()["variables"] == ["A", "B"]
    token = control(org, "contoso/pats", {"user": "qa@contoso.com"}).json()["token"]

    clients = org.connect(token).clients_v7_1
    [definition] = clients.get_build_client().get_definitions("Fabrikam", name="web-CI")
    assert (definition.queue.name, definition.queue.pool.name) == ("Linux", "Default")
    [latest] = clients.get_build_client().get_builds("Fabrikam", definitions=[definition.id], top=1)
    assert (latest.build_number, latest.tags) == ("7.0.1", ["release"])
    [testers] = clients.get_identity_client().read_identities(
        search_filter="General", filter_value="[fabrikam]\\testers", query_membership="Direct"
    )
    [qa] = clients.get_identity_client().read_identities(search_filter="DisplayName", filter_value="Q A")
    assert testers.member_ids == [qa.id]
    [web] = clients.get_task_agent_client().get_variable_groups("Fabrikam", group_name="web")
    assert web.variables["B"].value is None
    data = clients.get_location_client().get_connection_data()
    assert data.authenticated_user.provider_display_name == "Q A"


def test_a_build_made_through_the_control_plane_carries_its_files(org: Org) -> None:
    files = {"drop": {"app.zip": base64.b64encode(b"PK zip").decode(), "dir\\notes.txt": ""}}
    build = control(org, "contoso/Fabrikam/builddefinitions/orders-api-CI/builds", {"artifacts": files})
    assert build.status_code == 201
    assert build.json()["artifacts"] == {"drop": ["app.zip", "dir/notes.txt"]}
    stored = org.emulator.call(lambda b: b.devops.directory.records_of("contoso").builds[build.json()["id"]])
    assert stored.artifacts == {"drop": {"app.zip": b"PK zip", "dir/notes.txt": b""}}


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("nowhere/users", {"email": "a@b.c"}, 404, "nowhere"),
        ("contoso/users", {"email": "not-an-email"}, 400, "e-mail"),
        ("contoso/Fabrikam/groups", {"name": "G", "members": ["ghost@contoso.com"]}, 400, "ghost"),
        ("contoso/Nowhere/queues", {"name": "Q"}, 404, "Nowhere"),
        ("contoso/Fabrikam/builddefinitions/none-CI/builds", {}, 404, "none-CI"),
        ("contoso/Fabrikam/builddefinitions/orders-api-CI/builds", {"result": "great"}, 400, "result"),
        ("contoso/pats", {"user": "ghost@contoso.com"}, 400, "ghost"),
        (
            "contoso/Fabrikam/builddefinitions/orders-api-CI/builds",
            {"artifacts": {"drop": "x"}},
            400,
            "base64",
        ),
        (
            "contoso/Fabrikam/builddefinitions/orders-api-CI/builds",
            {"artifacts": {"drop": {"a": "!"}}},
            400,
            "base64",
        ),
        (
            "contoso/Fabrikam/builddefinitions/orders-api-CI/builds",
            {"artifacts": {"drop": {"../a": ""}}},
            400,
            "../a",
        ),
        (
            "contoso/Fabrikam/builddefinitions/orders-api-CI/builds",
            {"artifacts": {"a/b": {"x": ""}}},
            400,
            "a/b",
        ),
    ],
)
def test_the_control_plane_names_what_is_wrong(
    org: Org, path: str, body: dict[str, Any], status: int, words: str
) -> None:
    answer = control(org, path, body)
    assert answer.status_code == status
    assert words in answer.json()["Message"]


def test_the_command_line_seeds_by_default_and_takes_the_server() -> None:
    defaults = parser().parse_args([])
    assert (defaults.seed, defaults.devops_server) == ("devops", None)
    chosen = parser().parse_args(["--seed", "none", "--devops-server", "2022"])
    assert (chosen.seed, chosen.devops_server) == ("none", "2022")
    with pytest.raises(SystemExit):
        parser().parse_args(["--devops-server", "2019"])
