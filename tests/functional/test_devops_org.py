"""slotwise.devops through the real azure-devops client against the emulated Azure DevOps organization
(seeded: contoso/Fabrikam): sign-in, the server's detection, names resolved in bulk with near matches,
refusals translated, throttling retried on slotwise's clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from slotwise.errors import AuthError, SpecInvalid
from slotwise.release.load import load_specs
from slotwise.release.model import Definition
from slotwise.release.problems import Location
from slotwise.release.render import render
from slotwise.release.resolve import references
from slotwise.secrets import SecretRegistry
from slotwise_emulator import Emulator, Speed
from tests.fakes import FastClock
from tests.functional.control import add_fault, logged_requests
from tests.functional.devops_org import ROOT, devops_env, install_slotwise, opened

TEMPLATES = ROOT / "templates" / "release"


def spec(name: str) -> Definition:
    return load_specs([TEMPLATES / f"{name}.yaml"]).definitions[0]


@pytest.fixture
def seeded() -> Emulator:
    with Emulator(speed=Speed.instant(), seed=True) as emu:
        yield emu  # type: ignore[misc]


def test_the_seeded_pat_opens_azure_devops_services(seeded: Emulator) -> None:
    env = devops_env(seeded)
    org = opened(env)
    assert org.server.api_version == "7.1"
    assert org.server.hosted is True
    assert org.server.url == env["AZURE_DEVOPS_ORG_URL"].rstrip("/") + "/"


def test_the_article_s_names_resolve_to_the_organization_s_ids_read_in_bulk(
    seeded: Emulator, tmp_path: Path
) -> None:
    install_slotwise(seeded, tmp_path)
    org = opened(devops_env(seeded))
    definition = spec("article")
    before = len(logged_requests(seeded))
    resolver = org.resolver(references(definition))
    document = render(definition, resolver).document
    reads = logged_requests(seeded)[before:]
    assert all(r["method"] == "GET" for r in reads)
    assert len(reads) <= 8  # projects, queues, endpoints, build definitions, tasks, two approvers
    names = org.names("Fabrikam")
    stage = document["environments"][0]
    assert (
        names.queue("Fabrikam", stage["deployPhases"][0]["deploymentInput"]["queueId"]) == "Azure Pipelines"
    )
    artifact = document["artifacts"][0]["definitionReference"]
    assert names.build_definition("Fabrikam", int(artifact["definition"]["id"])) == "orders-api-CI"
    assert names.project(artifact["project"]["id"]) == "Fabrikam"
    approvers = document["environments"][1]["preDeployApprovals"]["approvals"]
    assert {names.identity(a["approver"]["id"]) for a in approvers} == {
        "lead@contoso.com",
        "[Fabrikam]\\Release Approvers",
    }


def test_a_misspelt_approver_is_named_with_its_near_match(seeded: Emulator) -> None:
    org = opened(devops_env(seeded))
    resolver = org.resolver(references(spec("builtin-tasks")))
    at = Location("spec.yaml", 14, ("stages", 1, "approvals", "before", "approvers", 0))
    with pytest.raises(SpecInvalid) as raised:
        resolver.identity("lead@contsoo.com", at)
    assert (
        "spec.yaml:14: stages[1].approvals.before.approvers[0]: no user or group 'lead@contsoo.com' in the "
        "organization; did you mean 'lead@contoso.com'?"
    ) in raised.value.message


def test_the_slotwise_tasks_missing_from_the_organization_say_to_install_the_extension(
    seeded: Emulator,
) -> None:
    definition = spec("article")
    resolver = opened(devops_env(seeded)).resolver(references(definition))
    with pytest.raises(SpecInvalid) as raised:
        render(definition, resolver)
    assert "the organization has no task SlotwiseGuardAgainstOverwrite@1" in raised.value.message
    assert (
        "install the slotwise extension in the organization, or use `tasks: builtin`" in raised.value.message
    )


def test_a_pat_the_organization_does_not_know_is_an_auth_error_naming_its_variable(seeded: Emulator) -> None:
    wrong = "not-a-pat-the-organization-issued"
    env = {**devops_env(seeded), "AZURE_DEVOPS_EXT_PAT": wrong}
    with pytest.raises(AuthError) as raised:
        opened(env)
    error = raised.value
    assert error.exit_code == 3
    assert "the personal access token in AZURE_DEVOPS_EXT_PAT" in error.message
    assert "(401)" in error.message
    assert wrong not in error.message + error.hint


def test_a_throttled_read_is_retried_after_retry_after_on_slotwise_s_clock(seeded: Emulator) -> None:
    env = devops_env(seeded)
    clock = FastClock()
    org = opened(env, clock)
    add_fault(
        seeded, kind="devops", path="distributedtask/queues", method="GET", status=429, shape="devops",
        code="RequestBlockedException", message="Request was blocked.", retry_after=3, count=2,
    )  # fmt: skip
    resolver = org.resolver(references(spec("builtin-tasks")))
    assert resolver.queue("Fabrikam", "Azure Pipelines", Location("s.yaml", 1)) != ""
    assert clock.sleeps == [3.0, 3.0]
    queue_reads = [r for r in logged_requests(seeded) if "distributedtask/queues" in r["path"]]
    assert len(queue_reads) == 3


def test_server_2022_is_detected_and_answered_through_the_7_0_client(seeded: Emulator) -> None:
    seeded.set_devops_server("2022")
    secrets = SecretRegistry()
    org = opened(devops_env(seeded), secrets=secrets)
    assert org.server.api_version == "7.0"
    assert org.server.hosted is False
    resolver = org.resolver(references(spec("builtin-tasks")))
    assert resolver.project("Fabrikam", Location("s.yaml", 1))
    assert devops_env(seeded)["AZURE_DEVOPS_EXT_PAT"] in secrets  # registered, so it is masked
