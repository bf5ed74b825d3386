"""Names to ids from listings read in bulk: the article's spec resolved against a fake organization,
and what a missing name says (at its file, line and field, with the nearest name read)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from slotwise.devops.directory import Item
from slotwise.devops.resolver import NetworkResolver, near
from slotwise.devops.routes import BUILD_DEFINITIONS, QUEUES, SERVICE_ENDPOINTS, VARIABLE_GROUPS, Route
from slotwise.errors import SpecInvalid
from slotwise.release.catalogue import catalogue
from slotwise.release.load import load_specs
from slotwise.release.model import Definition, TaskSet, Variable
from slotwise.release.problems import Location
from slotwise.release.render import render
from slotwise.release.resolve import Kind, Reference, references
from slotwise.secrets import SecretRegistry

ROOT = Path(__file__).resolve().parents[3]
ARTICLE = ROOT / "templates" / "release" / "article.yaml"
LEAD_ID, APPROVERS_ID = "1b4d1c4e-0000-4000-8000-00000000000a", "1b4d1c4e-0000-4000-8000-00000000000b"


class FakeOrganization:
    """``Listings`` of a small organization; counts what the resolver reads."""

    def __init__(self) -> None:
        self.reads: list[str] = []
        self.listings: dict[Route, list[Item]] = {
            QUEUES: [{"id": 9, "name": "Azure Pipelines"}, {"id": 10, "name": "Default"}],
            SERVICE_ENDPOINTS: [{"id": "5e0c0000-0000-4000-8000-000000000001", "name": "contoso-azure"}],
            BUILD_DEFINITIONS: [{"id": 12, "name": "orders-api-CI", "path": "\\"}],
            VARIABLE_GROUPS: [{"id": 3, "name": "orders-settings"}],
        }
        self.people_names = [
            "lead@contoso.com",
            "Lead Person",
            "ops@contoso.com",
            "[Fabrikam]\\Release Approvers",
        ]
        self.identity_items = {
            "lead@contoso.com": [
                {
                    "id": LEAD_ID,
                    "providerDisplayName": "Lead Person",
                    "properties": {"Account": {"$value": "lead@contoso.com"}},
                }
            ],
            "[fabrikam]\\release approvers": [
                {
                    "id": APPROVERS_ID,
                    "providerDisplayName": "[Fabrikam]\\Release Approvers",
                    "isContainer": True,
                }
            ],
        }

    def projects(self) -> list[Item]:
        self.reads.append("projects")
        return [{"id": "f0000000-0000-4000-8000-000000000001", "name": "Fabrikam"}]

    def project(self, name_or_id: str) -> Item | None:
        return next((p for p in self.projects() if name_or_id.lower() in (p["name"].lower(), p["id"])), None)

    def in_project(self, route: Route, project: str) -> list[Item]:
        self.reads.append(f"{route.location_id}:{project}")
        return self.listings[route]

    def tasks(self) -> list[Item]:
        self.reads.append("tasks")
        return [
            {"id": t.id, "name": t.name, "version": {"major": t.major}}
            for t in catalogue(TaskSet.SLOTWISE).values()
        ]

    def identities(self, name: str) -> list[Item]:
        self.reads.append(f"identity:{name}")
        return self.identity_items.get(name.lower(), [])

    def people(self) -> list[str]:
        self.reads.append("people")
        return self.people_names


def article() -> Definition:
    return load_specs([ARTICLE]).definitions[0]


def resolver(
    org: FakeOrganization, definition: Definition, env: dict[str, str] | None = None
) -> NetworkResolver:
    return NetworkResolver(org, references(definition), env or {}, SecretRegistry())


def test_the_article_resolves_to_the_organization_s_ids_reading_each_listing_once() -> None:
    org = FakeOrganization()
    definition = article()
    names = resolver(org, definition)
    reads_before_rendering = list(org.reads)
    document = render(definition, names).document
    assert QUEUES.location_id + ":Fabrikam" in reads_before_rendering
    assert "people" not in reads_before_rendering  # every approver was found: no near matches needed
    assert set(org.reads) == set(reads_before_rendering)  # rendering asked for nothing not read in bulk
    text = str(document)
    assert LEAD_ID in text
    assert APPROVERS_ID in text
    assert "'queueId': 9" in text
    assert "5e0c0000-0000-4000-8000-000000000001" in text
    assert document["artifacts"][0]["definitionReference"]["definition"]["id"] == "12"


def test_a_misspelt_approver_names_its_place_and_the_nearest_user() -> None:
    org = FakeOrganization()
    definition = article()
    names = resolver(org, definition)
    at = Location("spec.yaml", 14, ("stages", 1, "approvals", "before", "approvers", 0))
    with pytest.raises(SpecInvalid) as raised:
        names.identity("lead@contsoo.com", at)
    assert (
        "spec.yaml:14: stages[1].approvals.before.approvers[0]: no user or group 'lead@contsoo.com' in the "
        "organization; did you mean 'lead@contoso.com'?"
    ) in raised.value.message
    assert raised.value.exit_code == 2


@pytest.mark.parametrize(
    ("kind", "ask", "words"),
    [
        (
            "queue",
            "Azure Pipeline",
            "no agent queue 'Azure Pipeline' in project 'Fabrikam'; did you mean 'Azure Pipelines'?",
        ),
        (
            "service_endpoint",
            "contoso-azur",
            "no service connection 'contoso-azur' in project 'Fabrikam'; did you mean",
        ),
        (
            "build_definition",
            "orders-api-Cl",
            "no build pipeline 'orders-api-Cl' in project 'Fabrikam'; did you mean 'orders-api-CI'?",
        ),
        ("variable_group", "zzz", "no variable group 'zzz' in project 'Fabrikam'"),
    ],
)
def test_a_name_not_in_the_project_is_a_spec_problem(kind: str, ask: str, words: str) -> None:
    names = resolver(FakeOrganization(), article())
    at = Location("a.yaml", 3, ("stages", 0, "queue"))
    with pytest.raises(SpecInvalid) as raised:
        getattr(names, kind)("Fabrikam", ask, at)
    assert f"a.yaml:3: stages[0].queue: {words}" in raised.value.message


def test_a_project_that_is_not_there_is_named_before_anything_in_it() -> None:
    names = resolver(FakeOrganization(), article())
    with pytest.raises(SpecInvalid) as raised:
        names.queue("Fabrikm", "Azure Pipelines", Location("a.yaml", 2, ("project",)))
    assert "no project 'Fabrikm' in the organization; did you mean 'Fabrikam'?" in raised.value.message


def test_a_task_the_organization_lacks_says_to_install_the_extension_or_use_builtin() -> None:
    org = FakeOrganization()
    names = resolver(org, article())
    task = next(
        iter(
            __import__("slotwise.release.catalogue", fromlist=["x"])
            .catalogue(__import__("slotwise.release.model", fromlist=["x"]).TaskSet.SLOTWISE)
            .values()
        )
    )
    assert names.task(task, Location("a.yaml", 1)) == task.id
    newer = replace(task, major=task.major + 1)
    with pytest.raises(SpecInvalid) as raised:
        names.task(newer, Location("a.yaml", 30, ("stages", 0, "steps", 1)))
    message = raised.value.message
    assert (
        f"the organization has no task {task.name}@{task.major + 1} (it has major version {task.major})"
        in message
    )
    assert "install the slotwise extension" in message
    assert "`tasks: builtin`" in message


def test_from_env_values_come_from_the_mapping_secrets_are_registered_and_missing_ones_named() -> None:
    secrets = SecretRegistry()
    at = Location("a.yaml", 20, ("variables", "Orders.ApiKey"))
    names = NetworkResolver(FakeOrganization(), [], {"ORDERS_API_KEY": "s3cret-value"}, secrets)
    secret = Variable("Orders.ApiKey", None, "ORDERS_API_KEY", True, False, at)
    assert names.environment(secret) == "s3cret-value"
    assert "s3cret-value" in secrets
    with pytest.raises(SpecInvalid) as raised:
        names.environment(replace(secret, from_env="MISSING_KEY"))
    assert (
        "a.yaml:20: variables.Orders.ApiKey: variable 'Orders.ApiKey' takes its value from the "
        "environment variable MISSING_KEY, which is not set" in raised.value.message
    )


def test_check_reports_every_unresolved_reference_at_once() -> None:
    refs = [
        Reference(Kind.QUEUE, "Fabrikam", "Azure Pipeline", Location("a.yaml", 5, ("queue",))),
        Reference(Kind.IDENTITY, "", "nobody@contoso.com", Location("a.yaml", 9, ("approvers", 0))),
        Reference(Kind.ENVIRONMENT, "", "NOT_SET", Location("a.yaml", 11, ("variables", "x"))),
        Reference(Kind.QUEUE, "Fabrikam", "Default", Location("a.yaml", 6, ("queue",))),
    ]
    org = FakeOrganization()
    names = NetworkResolver(org, refs, {}, SecretRegistry())
    assert "people" in org.reads  # an approver was not found: near matches were read, in bulk, once
    with pytest.raises(SpecInvalid) as raised:
        names.check()
    assert len(raised.value.problems) == 3
    assert raised.value.message.startswith("3 problems in 1 release spec file:")


def test_near_is_case_insensitive_and_silent_when_nothing_is_close() -> None:
    assert (
        near("LEAD@contsoo.com", ["lead@contoso.com", "ops@contoso.com"])
        == "; did you mean 'lead@contoso.com'?"
    )
    assert near("zzz", ["lead@contoso.com"]) == ""
