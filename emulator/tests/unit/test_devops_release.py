"""The release definitions backend's rules: what the server fills, each validation error, revisions,
stale revisions, soft delete, properties, lossless storage, secrets, list filters and paging."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from slotwise_emulator.backends.devops_release import ReleaseDefinitionsBackend
from slotwise_emulator.backends.devops_release_query import ListQuery
from slotwise_emulator.clock import ManualClock
from slotwise_emulator.errors import ServiceError, body_for
from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.release_fakes import APPROVER, CALLER, PROJECT_ID, FakeDirectory, definition

BASE = "https://vsrm.example/contoso"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def service(clock: ManualClock) -> ReleaseDefinitionsBackend:
    return ReleaseDefinitionsBackend(clock, FakeDirectory())


def create(service: ReleaseDefinitionsBackend, body: dict[str, Any]) -> dict[str, Any]:
    return service.create("contoso", "web", body, CALLER, BASE)


def refused(call: Callable[[], object]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value


def test_create_fills_what_the_server_owns(service: ReleaseDefinitionsBackend) -> None:
    made = create(service, definition())
    assert (made["id"], made["revision"], made["source"], made["isDeleted"]) == (1, 1, "restApi", False)
    assert made["createdBy"] == made["modifiedBy"] == CALLER
    assert made["createdOn"] == made["modifiedOn"] == "2026-01-01T00:00:00.000Z"
    assert made["releaseNameFormat"] == ""
    assert made["tags"] == []
    assert made["path"] == "\\apps"
    assert made["url"] == f"{BASE}/{PROJECT_ID}/_apis/Release/definitions/1"
    assert made["_links"]["web"]["href"] == f"{BASE}/{PROJECT_ID}/_release?definitionId=1"
    staging, production = made["environments"]
    assert staging["id"] != production["id"]
    assert (staging["rank"], production["rank"]) == (1, 2)
    assert staging["owner"] == CALLER
    assert staging["badgeUrl"] == f"{BASE}/_apis/public/Release/badge/{PROJECT_ID}/1/{staging['id']}"
    steps = [staging["deployStep"]["id"], production["preDeployApprovals"]["approvals"][0]["id"]]
    assert all(isinstance(s, int) and s > 0 for s in steps)
    assert len(set(steps)) == 2
    assert production["preDeployApprovals"]["approvalOptions"]["requiredApproverCount"] == 1
    assert staging["deployPhases"][0]["deploymentInput"]["jobCancelTimeoutInMinutes"] == 1
    artifact = made["artifacts"][0]
    assert artifact["sourceId"] == f"{PROJECT_ID}:12"
    assert artifact["isPrimary"] is True
    assert artifact["definitionReference"]["definition"]["name"] == "app-CI"


RULES: list[tuple[str, Callable[[dict[str, Any]], None], int, str, str]] = [
    ("no stages", lambda d: d.update(environments=[]), 400, "InvalidRequestException", "VS402875"),
    ("empty name", lambda d: d.update(name=" "), 400, "InvalidRequestException", "name cannot be empty"),
    (
        "duplicate stage names",
        lambda d: d["environments"][1].update(name="staging", conditions=[]),
        400,
        "InvalidRequestException",
        "Stage names must be unique",
    ),
    (
        "artifact without source",
        lambda d: d["artifacts"][0].pop("definitionReference"),
        400,
        "InvalidRequestException",
        "VS402862: Artifact source should have source information",
    ),
    (
        "unknown build definition",
        lambda d: d["artifacts"][0]["definitionReference"]["definition"].update(id="99"),
        400,
        "InvalidRequestException",
        "Build pipeline with id 99 does not exist",
    ),
    (
        "unknown queue",
        lambda d: d["environments"][0]["deployPhases"][0]["deploymentInput"].update(queueId=41),
        400,
        "TaskAgentQueueNotFoundException",
        "Agent queue with id 41",
    ),
    (
        "task the organization lacks",
        lambda d: d["environments"][0]["deployPhases"][0]["workflowTasks"][0].update(version="2.*"),
        400,
        "InvalidRequestException",
        "Tasks with versions 'deploy-to-slot:2.*' are not valid for deploy job 'Deploy' in stage Staging.",
    ),
    (
        "unknown approver",
        lambda d: d["environments"][1]["preDeployApprovals"]["approvals"][0]["approver"].update(id="nobody"),
        400,
        "InvalidRequestException",
        "approver with id 'nobody' does not exist",
    ),
    (
        "ranks out of sequence",
        lambda d: d["environments"][1]["preDeployApprovals"]["approvals"].extend(
            [{"rank": 3, "isAutomated": False, "approver": {"id": APPROVER}}]
        ),
        400,
        "InvalidRequestException",
        "approval ranks must be 1, 2",
    ),
    (
        "more approvers required than named",
        lambda d: d["environments"][1]["preDeployApprovals"]["approvalOptions"].update(
            requiredApproverCount=2
        ),
        400,
        "InvalidRequestException",
        "requiredApproverCount 2",
    ),
    (
        "automated approval with approvers",
        lambda d: d["environments"][1]["preDeployApprovals"]["approvals"].append(
            {"rank": 1, "isAutomated": True}
        ),
        400,
        "InvalidRequestException",
        "automated approval cannot be combined",
    ),
    (
        "queue depth",
        lambda d: d["environments"][0]["executionPolicy"].update(queueDepthCount=2),
        400,
        "InvalidRequestException",
        "VS402973: Input not valid for executionPolicy:'queueDepthCount:2, valid values are: 0, 1.'",
    ),
    (
        "unknown variable group",
        lambda d: d.update(variableGroups=[9]),
        400,
        "InvalidRequestException",
        "id 9",
    ),
    (
        "stage after an unknown stage",
        lambda d: d["environments"][1]["conditions"][0].update(name="QA"),
        400,
        "InvalidRequestException",
        "depends on stage 'QA'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "status", "type_key", "words"), [r[1:] for r in RULES], ids=[r[0] for r in RULES]
)
def test_each_rule_refuses_with_the_servers_error(
    service: ReleaseDefinitionsBackend,
    mutate: Callable[[dict[str, Any]], None],
    status: int,
    type_key: str,
    words: str,
) -> None:
    body = definition()
    mutate(body)
    error = refused(lambda: create(service, body))
    assert (error.status, error.code, error.shape) == (status, type_key, "devops")
    assert words in error.message
    shaped = body_for(error)
    assert set(shaped) == {"$id", "innerException", "message", "typeName", "typeKey", "errorCode", "eventId"}
    assert shaped["typeKey"] == type_key
    assert shaped["typeName"].split(",")[0].endswith(type_key)
    assert service.definitions("contoso", PROJECT_ID) == []  # nothing stored


def test_a_name_is_unique_per_folder_and_freed_by_delete(service: ReleaseDefinitionsBackend) -> None:
    create(service, definition())
    error = refused(lambda: create(service, definition(name="APP-release")))
    assert (error.status, error.code) == (409, "ReleaseDefinitionAlreadyExistsException")
    assert "VS402934: A release pipeline with the name 'APP-release' already exists." in error.message
    assert create(service, definition(path="\\other"))["id"] == 2
    service.delete("contoso", "web", 1, CALLER, "gone")
    assert create(service, definition())["id"] == 3


def test_update_needs_the_latest_revision_and_records_history(
    service: ReleaseDefinitionsBackend, clock: ManualClock
) -> None:
    made = create(service, definition())
    clock.advance(60)
    changed = copy.deepcopy(made)
    changed["description"] = "now with a description"
    changed["comment"] = "describe it"
    updated = service.update("contoso", "web", changed, CALLER, BASE)
    assert (updated["revision"], updated["description"]) == (2, "now with a description")
    assert updated["createdOn"] == made["createdOn"]
    assert updated["modifiedOn"] == "2026-01-01T00:01:00.000Z"
    assert [e["id"] for e in updated["environments"]] == [e["id"] for e in made["environments"]]
    error = refused(lambda: service.update("contoso", "web", changed, CALLER, BASE))  # still revision 1
    assert (error.status, error.code) == (400, "InvalidRequestException")
    assert (
        error.message == "You are using an old copy of the release pipeline. Refresh your copy and try again."
    )
    history = service.revisions("contoso", "web", 1, BASE)
    assert [(h["revision"], h["changeType"]) for h in history] == [(1, "add"), (2, "update")]
    assert history[1]["comment"] == "describe it"
    assert history[1]["changedBy"] == CALLER
    assert service.revision("contoso", "web", 1, 1, BASE)["description"] is None
    assert refused(lambda: service.revision("contoso", "web", 1, 5, BASE)).status == 404


def test_unknown_or_deleted_definitions_are_404(service: ReleaseDefinitionsBackend) -> None:
    error = refused(lambda: service.get("contoso", "web", 42, BASE, None))
    assert (error.status, error.code) == (404, "ReleaseDefinitionNotFoundException")
    assert error.message.startswith("VS402936: Release pipeline with ID 42 does not exist.")
    create(service, definition())
    service.delete("contoso", "web", 1, CALLER, None)
    assert refused(lambda: service.get("contoso", "web", 1, BASE, None)).status == 404
    listed, _ = service.list_definitions("contoso", "web", ListQuery(deleted=True), BASE)
    assert [(d["id"], d.get("isDeleted")) for d in listed] == [(1, True)]
    assert service.list_definitions("contoso", "web", ListQuery(), BASE)[0] == []
    assert refused(lambda: service.get("contoso", "nope", 1, BASE, None)).message.startswith("VS800075")


def test_properties_are_returned_only_when_filtered_and_merge_on_update(
    service: ReleaseDefinitionsBackend,
) -> None:
    owned = {"Slotwise.ManagedBy": {"$type": "System.String", "$value": "slotwise"}, "Other": "plain"}
    made = create(service, definition(properties=owned))
    assert service.get("contoso", "web", 1, BASE, None)["properties"] == {}
    wanted = service.get("contoso", "web", 1, BASE, ("slotwise.managedby",))["properties"]
    assert wanted == {"Slotwise.ManagedBy": {"$type": "System.String", "$value": "slotwise"}}
    assert service.get("contoso", "web", 1, BASE, ("*",))["properties"]["Other"]["$value"] == "plain"
    read = service.get("contoso", "web", 1, BASE, None)  # a GET -> PUT without properties keeps them
    service.update("contoso", "web", read, CALLER, BASE)
    listed, _ = service.list_definitions(
        "contoso", "web", ListQuery(property_filters=("Slotwise.ManagedBy",)), BASE
    )
    assert listed[0]["properties"] == wanted
    again = service.get("contoso", "web", 1, BASE, None)
    again["properties"] = {"Other": None}
    service.update("contoso", "web", again, CALLER, BASE)
    assert set(service.get("contoso", "web", 1, BASE, ("*",))["properties"]) == {"Slotwise.ManagedBy"}
    assert made["revision"] == 1


def test_fields_of_the_contract_are_kept_and_others_dropped(service: ReleaseDefinitionsBackend) -> None:
    body = definition(notAContractField=True)
    env = body["environments"][0]
    env["environmentOptions"] = {"publishDeploymentStatusToWorkItems": True, "emailRecipients": "ops"}
    env["runOptions"] = {"retry": "1"}  # the SDK models it; the OpenAPI does not
    env["deployPhases"][0]["workflowTasks"][0]["retryCountOnTaskFailure"] = 2
    env["deployPhases"][0]["deploymentInput"]["agentSpecification"] = {"identifier": "ubuntu-22.04", "x": 1}
    made = create(service, body)
    stored = made["environments"][0]
    assert "notAContractField" not in made
    assert stored["environmentOptions"]["publishDeploymentStatusToWorkItems"] is True
    assert stored["runOptions"] == {"retry": "1"}
    assert stored["deployPhases"][0]["workflowTasks"][0]["retryCountOnTaskFailure"] == 2
    assert stored["deployPhases"][0]["deploymentInput"]["agentSpecification"] == {
        "identifier": "ubuntu-22.04"
    }
    made["environments"][0]["environmentOptions"]["publishDeploymentStatusToWorkItems"] = False
    updated = service.update("contoso", "web", made, CALLER, BASE)
    assert updated["environments"][0]["environmentOptions"]["publishDeploymentStatusToWorkItems"] is False


def test_secret_values_are_never_answered_and_survive_an_update(service: ReleaseDefinitionsBackend) -> None:
    made = create(service, definition(variables={"key": {"value": "s3cret", "isSecret": True}}))
    assert made["variables"]["key"] == {"value": None, "isSecret": True}
    service.update("contoso", "web", made, CALLER, BASE)
    (stored,) = service.definitions("contoso", PROJECT_ID)
    assert stored.secrets == {"key": "s3cret"}
    assert "s3cret" not in json.dumps(stored.current)


def test_list_filters_order_and_pages(service: ReleaseDefinitionsBackend) -> None:
    create(service, definition(name="beta", tags=["slotwise"]))
    create(service, definition(name="alpha", path="\\apps\\team"))
    other = definition(name="gamma", path="\\misc")
    other["artifacts"][0]["type"] = "Git"
    create(service, other)

    def names(**query: Any) -> list[str]:
        return [d["name"] for d in service.list_definitions("contoso", "web", ListQuery(**query), BASE)[0]]

    assert names() == ["beta", "alpha", "gamma"]
    assert names(search_text="ALP") == ["alpha"]
    assert names(search_text="alp", exact_name=True) == []
    assert names(search_text="team", search_folder=True) == ["alpha"]
    assert names(path="\\apps") == ["beta", "alpha"]
    assert names(path="\\apps\\team") == ["alpha"]
    assert names(tags=("slotwise",)) == ["beta"]
    assert names(definition_ids=(3, 1)) == ["beta", "gamma"]
    assert names(artifact_type="build") == ["beta", "alpha"]
    assert names(artifact_source_id=f"{PROJECT_ID}:12") == ["beta", "alpha"]
    assert names(order="nameAscending") == ["alpha", "beta", "gamma"]
    assert names(order="idDescending")[0] == "gamma"
    page, token = service.list_definitions("contoso", "web", ListQuery(top=2), BASE)
    assert [d["id"] for d in page] == [1, 2]
    assert token == "3"
    rest, done = service.list_definitions("contoso", "web", ListQuery(top=2, continuation=token), BASE)
    assert [d["id"] for d in rest] == [3]
    assert done is None


def test_the_list_is_shallow_unless_expanded(service: ReleaseDefinitionsBackend) -> None:
    full = create(service, definition(tags=["t"]))
    (plain,), _ = service.list_definitions("contoso", "web", ListQuery(), BASE)
    assert not {"environments", "artifacts", "triggers", "variables", "tags"} & set(plain)
    assert plain["revision"] == 1
    assert plain["variableGroups"] is None
    assert plain["url"] == full["url"]
    expands = frozenset({"environments", "artifacts", "triggers", "variables", "tags"})
    (rich,), _ = service.list_definitions("contoso", "web", ListQuery(expands=expands), BASE)
    for key in ("artifacts", "triggers", "variables", "tags", "variableGroups"):
        assert rich[key] == full[key]
    assert rich["environments"] == [
        {k: e[k] for k in ("id", "name", "rank", "schedules", "retentionPolicy")}
        for e in full["environments"]
    ]


def test_a_portal_edit_bumps_the_revision_behind_a_clients_back(service: ReleaseDefinitionsBackend) -> None:
    read = create(service, definition())
    assert service.portal_edit("contoso", "web", 1, {"environments.0.name": "Stage"}) == 2
    now = service.get("contoso", "web", 1, BASE, None)
    assert now["environments"][0]["name"] == "Stage"
    assert now["modifiedBy"]["displayName"] == "Portal user"
    assert (
        refused(lambda: service.update("contoso", "web", read, CALLER, BASE)).code
        == "InvalidRequestException"
    )


def test_state_pickles(service: ReleaseDefinitionsBackend) -> None:
    create(service, definition())
    copy_of = pickle.loads(pickle.dumps(service))  # noqa: S301 - our own bytes
    assert copy_of.get("contoso", "web", 1, BASE, None) == service.get("contoso", "web", 1, BASE, None)


@pytest.mark.skipif(not (REFERENCE / "azure-devops").is_dir(), reason=REFERENCE_MISSING)
def test_the_real_exported_definition_loads_and_keeps_its_fields(service: ReleaseDefinitionsBackend) -> None:
    sample = json.loads((REFERENCE / "azure-devops/exported-definition-sample.json").read_text("utf-8-sig"))
    exported = sample["value"][0]
    new_id = service.load("contoso", "web", exported)
    got = service.get("contoso", "web", new_id, BASE, ("*",))
    assert got["revision"] == exported["revision"]
    assert got["name"] == exported["name"]
    assert got["properties"] == exported["properties"]
    for mine, theirs in zip(got["environments"], exported["environments"], strict=True):
        for key in (
            "deployPhases",
            "environmentOptions",
            "conditions",
            "executionPolicy",
            "preDeployApprovals",
        ):
            assert mine[key] == theirs[key], key
    assert got["artifacts"][0]["definitionReference"] == exported["artifacts"][0]["definitionReference"]
    assert got["triggers"] == exported["triggers"]
