"""The seeded Azure DevOps organization read through the real ``azure-devops`` client: the 7.1 client
against Services, the 7.0 client against Server 2022. What slotwise's release generator resolves by
name (project, build definition and its latest build, queues, the AzureRM connection, users and
groups, variable groups, tasks) must come back as the client's models."""

from __future__ import annotations

from typing import Any

import pytest

from tests.devops_client import Org, org, server_2022

__all__ = ["org", "server_2022"]  # fixtures


@pytest.fixture(params=["7.1", "7.0"])
def clients(request: pytest.FixtureRequest) -> tuple[Org, Any]:
    """(organization, the client factory of the version that server speaks)."""
    if request.param == "7.1":
        seeded: Org = request.getfixturevalue("org")
        return seeded, seeded.connect().clients_v7_1
    seeded = request.getfixturevalue("server_2022")
    return seeded, seeded.connect().clients_v7_0


def test_projects_list_in_pages_and_are_found_by_name_or_id(clients: tuple[Org, Any]) -> None:
    seeded, factory = clients
    seeded.emulator.create_project("contoso", "Adatum")
    core = factory.get_core_client()
    assert [p.name for p in core.get_projects(top=1)] == ["Adatum"]
    # the client returns a bare list; the token is in a header, as Azure DevOps sends it
    token = seeded.raw("GET", "_apis/projects?$top=1").headers["X-MS-ContinuationToken"]
    assert [p.name for p in core.get_projects(top=1, continuation_token=token)] == ["Fabrikam"]
    assert (
        "X-MS-ContinuationToken" not in seeded.raw("GET", f"_apis/projects?continuationToken={token}").headers
    )
    fabrikam = core.get_project("fabrikam")
    assert core.get_project(fabrikam.id).name == "Fabrikam"


def test_build_definitions_by_name_and_their_latest_completed_build(clients: tuple[Org, Any]) -> None:
    seeded, factory = clients
    build = factory.get_build_client()
    [definition] = build.get_definitions("Fabrikam", name="orders-api-CI")
    assert definition.queue.name == "Azure Pipelines"
    assert {d.name for d in build.get_definitions("Fabrikam", name="*-api-CI")} == {
        "orders-api-CI", "inventory-api-CI", "billing-api-CI", "notifications-api-CI",
    }  # fmt: skip
    assert build.get_definition("Fabrikam", definition.id).name == "orders-api-CI"
    newer = seeded.emulator.complete_build("contoso", "Fabrikam", "orders-api-CI", result="failed")
    [latest] = build.get_builds(
        "Fabrikam", definitions=[definition.id], status_filter="completed", result_filter="succeeded", top=1
    )
    assert (latest.status, latest.result, latest.source_branch) == (
        "completed",
        "succeeded",
        "refs/heads/main",
    )
    assert len(latest.source_version) == 40
    assert latest.build_number
    assert latest.id != newer.id
    assert build.get_build("Fabrikam", newer.id).result == "failed"


def test_agent_queues_by_name_with_their_pool(clients: tuple[Org, Any]) -> None:
    _, factory = clients
    agent = factory.get_task_agent_client()
    queues = agent.get_agent_queues_by_names(["Default", "Azure Pipelines"], project="Fabrikam")
    assert sorted((q.name, q.pool.name, q.pool.is_hosted) for q in queues) == [
        ("Azure Pipelines", "Azure Pipelines", True),
        ("Default", "Default", False),
    ]
    assert agent.get_agent_queue(queues[0].id, project="Fabrikam").name == queues[0].name


def test_the_azurerm_connection_is_listed_without_a_secret(clients: tuple[Org, Any]) -> None:
    seeded, factory = clients
    endpoints = factory.get_service_endpoint_client()
    [endpoint] = endpoints.get_service_endpoints_by_names("Fabrikam", ["contoso-azure"])
    assert (endpoint.type, endpoint.url) == ("azurerm", f"{seeded.emulator.arm_url}/")
    assert endpoint.data["subscriptionId"] == seeded.emulator.subscription_id
    assert endpoint.authorization.parameters["serviceprincipalid"] == seeded.emulator.client_id
    secret = seeded.emulator.service_connection("contoso", "Fabrikam", "legacy", scheme="ServicePrincipal")
    details = endpoints.get_service_endpoint_details("Fabrikam", secret.id)
    assert details.authorization.parameters.get("serviceprincipalkey") is None
    assert seeded.emulator.client_secret not in str(details.as_dict())
    assert [e.name for e in endpoints.get_service_endpoints("Fabrikam", type="azurerm")] == [
        "contoso-azure",
        "legacy",
    ]


def test_users_by_email_and_groups_by_project_name(clients: tuple[Org, Any]) -> None:
    _, factory = clients
    identities = factory.get_identity_client()
    [lead] = identities.read_identities(search_filter="General", filter_value="Lead@Contoso.com")
    [ops] = identities.read_identities(search_filter="General", filter_value="ops@contoso.com")
    [approvers] = identities.read_identities(
        search_filter="General", filter_value="[Fabrikam]\\Release Approvers", query_membership="Direct"
    )
    assert approvers.is_container
    assert set(approvers.member_ids) == {lead.id, ops.id}
    by_id = identities.read_identities(identity_ids=f"{lead.id},{approvers.id}")
    assert [i.provider_display_name for i in by_id] == ["Lead", "[Fabrikam]\\Release Approvers"]
    assert identities.read_identities(search_filter="General", filter_value="nobody@contoso.com") == []
    graph = factory.get_graph_client()
    assert {g.principal_name for g in graph.list_groups().graph_groups} == {
        "[Fabrikam]\\Release Approvers",
        "[Fabrikam]\\QA",
    }


def test_variable_groups_are_written_at_the_organization_and_read_per_project(
    clients: tuple[Org, Any],
) -> None:
    seeded, factory = clients
    models = __import__(f"{type(factory).__module__.rsplit('.', 1)[0]}.task_agent.models", fromlist=["x"])
    agent = factory.get_task_agent_client()
    project_id = agent.get_agent_queues(project="Fabrikam")[0].project_id
    reference = models.VariableGroupProjectReference(
        name="orders", project_reference=models.ProjectReference(id=project_id)
    )
    made = agent.add_variable_group(
        models.VariableGroupParameters(
            name="orders",
            type="Vsts",
            variables={
                "Plain": models.VariableValue(value="1"),
                "Token": models.VariableValue(value="s3cr3t", is_secret=True),
            },
            variable_group_project_references=[reference],
        )
    )
    [found] = agent.get_variable_groups("Fabrikam", group_name="ord*")
    assert found.id == made.id
    assert found.variables["Plain"].value == "1"
    assert found.variables["Token"].value is None
    assert found.variables["Token"].is_secret
    agent.update_variable_group(
        models.VariableGroupParameters(
            name="orders",
            variables={
                "Plain": models.VariableValue(value="2"),
                "Token": models.VariableValue(is_secret=True),
            },
            variable_group_project_references=[reference],
        ),
        made.id,
    )
    group = seeded.emulator.backends.devops.directory.records_of("contoso").variable_groups[made.id]
    assert (group.variables["Plain"].value, group.variables["Token"].value) == ("2", "s3cr3t")
    agent.delete_variable_group(made.id, [project_id])
    assert agent.get_variable_groups("Fabrikam") == []


def test_connection_data_says_which_server_it_is(clients: tuple[Org, Any]) -> None:
    seeded, factory = clients
    data = factory.get_location_client().get_connection_data()
    expected = (
        "hosted" if seeded.emulator.backends.devops.directory.server.name == "services" else "onPremises"
    )
    assert data.deployment_type == expected
    assert data.authenticated_user.provider_display_name == "Admin"
