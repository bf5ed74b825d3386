"""Rendering specs into ReleaseDefinition documents: the article's flow in the REST shape,
deterministic output, placeholders offline, every name going through the resolver (and
``references`` listing exactly those), secrets only through the resolver and blanked for showing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from slotwise.release.catalogue import TaskSet, catalogue
from slotwise.release.load import load_specs, parse_specs
from slotwise.release.render import MANAGED_BY, redact_secrets, render, render_all
from slotwise.release.resolve import Kind, OfflineResolver, references
from tests.unit.release.resolvers import FixedResolver, RecordingResolver, guid, number

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates" / "release"
SLOTWISE = catalogue(TaskSet.SLOTWISE)
BUILTIN = catalogue(TaskSet.BUILTIN)


def article() -> dict[str, Any]:
    (definition,) = load_specs([TEMPLATES / "article.yaml"]).definitions
    return render(definition, FixedResolver()).document


def tasks_of(stage: dict[str, Any]) -> list[dict[str, Any]]:
    (phase,) = stage["deployPhases"]
    return list(phase["workflowTasks"])


def test_the_article_flow_has_the_build_artifact_and_its_cd_trigger() -> None:
    document = article()
    (artifact,) = document["artifacts"]
    project, build = guid("project", "Fabrikam"), number("build", "Fabrikam/orders-api-CI")
    assert artifact["type"] == "Build"
    assert artifact["alias"] == "drop"
    assert artifact["isPrimary"] is True
    assert artifact["sourceId"] == f"{project}:{build}"
    reference = artifact["definitionReference"]
    assert reference["definition"] == {"id": str(build), "name": "orders-api-CI"}
    assert reference["project"] == {"id": project, "name": "Fabrikam"}
    assert reference["defaultVersionType"] == {"id": "latestType", "name": "Latest"}
    assert document["triggers"] == [
        {
            "triggerType": "artifactSource",
            "artifactAlias": "drop",
            "triggerConditions": [
                {
                    "sourceBranch": "refs/heads/main",
                    "tags": [],
                    "useBuildDefinitionBranch": False,
                    "createReleaseOnBuildTagging": False,
                }
            ],
        }
    ]
    assert document["path"] == "\\Functions"
    assert document["name"] == "orders-api"
    assert document["properties"][MANAGED_BY] == {"$type": "System.String", "$value": "slotwise"}


def test_the_article_flow_stages_staging_after_release_then_production_approved_and_swapped() -> None:
    staging, production = article()["environments"]
    assert (staging["name"], staging["rank"], production["name"], production["rank"]) == (
        "Staging",
        1,
        "Production",
        2,
    )
    assert staging["conditions"] == [{"conditionType": "event", "name": "ReleaseStarted", "value": ""}]
    assert production["conditions"] == [
        {"conditionType": "environmentState", "name": "Staging", "value": "4"}
    ]
    assert [t["taskId"] for t in tasks_of(staging)] == [
        SLOTWISE["guard-against-overwrite"].id,
        SLOTWISE["deploy-to-slot"].id,
        SLOTWISE["smoke-test"].id,
    ]
    (swap,) = tasks_of(production)
    assert swap["taskId"] == SLOTWISE["slot-swap"].id
    assert swap["version"] == "1.*"
    assert {
        k: swap["inputs"][k] for k in ("smokeChecks", "rollbackOnFailure", "sourceSlot", "swapAction")
    } == {
        "smokeChecks": "file",
        "rollbackOnFailure": "true",
        "sourceSlot": "staging",
        "swapAction": "swap",
    }
    assert swap["inputs"]["smokeChecksFile"] == "$(System.DefaultWorkingDirectory)/drop/**/smoke-checks.yaml"
    assert swap["inputs"]["azureSubscription"] == guid("endpoint", "Fabrikam/contoso-azure")
    approvals = production["preDeployApprovals"]
    assert approvals["approvals"] == [
        {
            "rank": 1,
            "isAutomated": False,
            "isNotificationOn": False,
            "approver": {"id": guid("identity", "lead@contoso.com")},
        },
        {
            "rank": 1,
            "isAutomated": False,
            "isNotificationOn": False,
            "approver": {"id": guid("identity", "[Fabrikam]\\Release Approvers")},
        },
    ]
    assert approvals["approvalOptions"]["requiredApproverCount"] == 1
    assert approvals["approvalOptions"]["timeoutInMinutes"] == 3 * 24 * 60
    assert approvals["approvalOptions"]["releaseCreatorCanBeApprover"] is False
    assert staging["preDeployApprovals"]["approvals"] == [
        {"rank": 1, "isAutomated": True, "isNotificationOn": False}
    ]
    for stage in (staging, production):  # one deployment at a time: never two releases on one slot
        assert stage["executionPolicy"] == {"concurrencyCount": 1, "queueDepthCount": 0}
        (phase,) = stage["deployPhases"]
        assert phase["deploymentInput"]["queueId"] == number("queue", "Fabrikam/Azure Pipelines")
        assert phase["deploymentInput"]["agentSpecification"] == {"identifier": "ubuntu-latest"}


def test_the_staging_steps_carry_the_app_the_slot_and_the_artifact_paths() -> None:
    staging = article()["environments"][0]
    guard, deploy, smoke = tasks_of(staging)
    for task in (guard, deploy, smoke):
        assert task["inputs"]["appName"] == "func-orders"
        assert task["inputs"]["resourceGroupName"] == "rg-orders"
        assert task["inputs"]["slotName"] == "staging"
    assert guard["inputs"]["mode"] == "park"  # the template parks the rollback build, never fails on it
    assert guard["inputs"]["createParkSlot"] == "true"
    assert deploy["inputs"]["package"] == "$(System.DefaultWorkingDirectory)/drop/**/*.zip"
    assert smoke["inputs"]["checksFile"] == "$(System.DefaultWorkingDirectory)/drop/**/smoke-checks.yaml"
    assert deploy["name"] == "Deploy $(System.DefaultWorkingDirectory)/drop/**/*.zip to func-orders/staging"
    # every input of task.json is there (as the portal stores them), in a stable order
    assert list(deploy["inputs"]) == sorted(i.name for i in SLOTWISE["deploy-to-slot"].inputs)


def test_the_chained_flow_waits_stage_by_stage() -> None:
    (definition,) = load_specs([TEMPLATES / "chained.yaml"]).definitions
    test, staging, production = render(definition, FixedResolver()).document["environments"]
    assert [s["conditions"][0]["name"] for s in (test, staging, production)] == [
        "ReleaseStarted",
        "Test",
        "Staging",
    ]
    assert tasks_of(test)[1]["inputs"]["slotName"] == "test"
    assert tasks_of(staging)[1]["inputs"]["slotName"] == "staging"
    assert test["executionPolicy"] == {"concurrencyCount": 1, "queueDepthCount": 1}
    assert [a["rank"] for a in production["preDeployApprovals"]["approvals"]] == [1, 2]  # in sequence
    assert production["preDeployApprovals"]["approvalOptions"]["requiredApproverCount"] == 0  # all
    after = staging["postDeployApprovals"]
    assert after["approvalOptions"]["executionOrder"] == "afterSuccessfulGates"
    assert after["approvalOptions"]["timeoutInMinutes"] == 24 * 60
    assert test["retentionPolicy"] == {"daysToKeep": 60, "releasesToKeep": 5, "retainBuild": True}


def test_the_builtin_variant_runs_microsofts_tasks_on_the_same_flow() -> None:
    (definition,) = load_specs([TEMPLATES / "builtin-tasks.yaml"]).definitions
    staging, production = render(definition, FixedResolver()).document["environments"]
    (deploy,) = tasks_of(staging)
    (swap,) = tasks_of(production)
    assert (deploy["taskId"], deploy["version"]) == (BUILTIN["deploy-to-slot"].id, "2.*")
    assert deploy["taskId"] == "501dd25d-1785-43e4-b4e5-a5c78ccc0573"
    assert {
        k: deploy["inputs"][k] for k in ("deployToSlotOrASE", "slotName", "appType", "deploymentMethod")
    } == {
        "deployToSlotOrASE": "true",
        "slotName": "staging",
        "appType": "functionAppLinux",
        "deploymentMethod": "zipDeploy",
    }
    assert (swap["taskId"], swap["version"]) == ("f045e430-8704-11e6-968f-e717e6411619", "0.*")
    assert {k: swap["inputs"][k] for k in ("Action", "SourceSlot", "SwapWithProduction", "PreserveVnet")} == {
        "Action": "Swap Slots",
        "SourceSlot": "staging",
        "SwapWithProduction": "true",
        "PreserveVnet": "true",
    }
    assert swap["inputs"]["ConnectedServiceName"] == guid("endpoint", "Fabrikam/contoso-azure")


def test_rendering_is_deterministic() -> None:
    paths = sorted(TEMPLATES.glob("*.yaml"))
    first = [r.as_dict() for r in render_all(load_specs(paths).definitions, OfflineResolver())]
    again = [
        r.as_dict() for r in render_all(load_specs(list(reversed(paths))).definitions, OfflineResolver())
    ]
    key = lambda d: (d["project"], d["definition"]["path"], d["definition"]["name"])  # noqa: E731
    assert json.dumps(sorted(first, key=key), sort_keys=True) == json.dumps(
        sorted(again, key=key), sort_keys=True
    )
    assert [d["definition"]["name"] for d in first][:2] == ["orders-api", "orders-api-builtin"]  # file order


def test_offline_rendering_leaves_a_placeholder_for_every_id() -> None:
    (definition,) = load_specs([TEMPLATES / "article.yaml"]).definitions
    text = json.dumps(render(definition, OfflineResolver()).document)
    for placeholder in (
        "<project:Fabrikam>",
        "<build-definition:orders-api-CI>",
        "<queue:Azure Pipelines>",
        "<endpoint:contoso-azure>",
        "<identity:lead@contoso.com>",
        "<identity:[Fabrikam]\\\\Release Approvers>",
    ):
        assert placeholder in text, placeholder
    assert SLOTWISE["slot-swap"].id in text  # task ids are known offline, from task.json


SECRETS = """\
name: orders-api
project: Fabrikam
variableGroups: [orders-shared]
artifact: {build: orders-api-CI, project: Platform}
app: {serviceConnection: contoso-azure, resourceGroup: rg-orders, name: func-orders}
variables:
  Orders.ApiKey: {secret: true, fromEnv: ORDERS_API_KEY}
  Orders.Region: {fromEnv: ORDERS_REGION, settableAtRelease: true}
  Orders.Mode: fast
stages:
  - name: Staging
    queue: Linux agents
    variableGroups: [staging-only]
    variables:
      Staging.Token: {secret: true, fromEnv: STAGING_TOKEN}
  - name: Production
    approvals: {before: {approvers: [lead@contoso.com], timeout: 90}}
"""


def test_values_from_the_environment_come_only_through_the_resolver() -> None:
    (definition,) = parse_specs(SECRETS).definitions
    env = {"ORDERS_API_KEY": "k-123", "ORDERS_REGION": "west", "STAGING_TOKEN": "t-456"}
    document = render(definition, FixedResolver(env)).document
    assert document["variables"] == {
        "Orders.ApiKey": {"value": "k-123", "isSecret": True},
        "Orders.Mode": {"value": "fast"},
        "Orders.Region": {"value": "west", "allowOverride": True},
    }
    assert document["environments"][0]["variables"] == {"Staging.Token": {"value": "t-456", "isSecret": True}}
    shown = redact_secrets(document)
    assert shown["variables"]["Orders.ApiKey"] == {"value": None, "isSecret": True}
    assert shown["environments"][0]["variables"]["Staging.Token"]["value"] is None
    assert shown["variables"]["Orders.Region"]["value"] == "west"
    assert "k-123" not in json.dumps(shown)
    assert "t-456" not in json.dumps(shown)
    assert document["variables"]["Orders.ApiKey"]["value"] == "k-123"  # the original is untouched
    offline = render(definition, OfflineResolver()).document
    assert offline["variables"]["Orders.ApiKey"]["value"] == "<secret:ORDERS_API_KEY>"
    assert offline["variables"]["Orders.Region"]["value"] == "<env:ORDERS_REGION>"


def test_references_list_exactly_what_rendering_asks_the_resolver() -> None:
    (definition,) = parse_specs(SECRETS).definitions
    resolver = RecordingResolver({"ORDERS_API_KEY": "k", "ORDERS_REGION": "r", "STAGING_TOKEN": "t"})
    render(definition, resolver)
    listed = {(r.kind, r.project, r.name) for r in references(definition)}
    assert listed == resolver.asked
    assert (Kind.BUILD_DEFINITION, "Platform", "orders-api-CI") in listed  # the artifact's own project
    assert {(Kind.QUEUE, "Fabrikam", "Linux agents"), (Kind.QUEUE, "Fabrikam", "Azure Pipelines")} <= listed
    assert (Kind.VARIABLE_GROUP, "Fabrikam", "staging-only") in listed
    refs = references(definition)
    assert refs == sorted(refs, key=lambda r: (r.kind.value, r.project.lower(), r.name.lower()))


def test_a_self_hosted_queue_gets_no_hosted_image() -> None:
    (definition,) = parse_specs(SECRETS).definitions
    env = {"ORDERS_API_KEY": "k", "ORDERS_REGION": "r", "STAGING_TOKEN": "t"}
    staging, production = render(definition, FixedResolver(env)).document["environments"]
    assert "agentSpecification" not in staging["deployPhases"][0]["deploymentInput"]
    assert production["deployPhases"][0]["deploymentInput"]["agentSpecification"] == {
        "identifier": "ubuntu-latest"
    }
    assert production["preDeployApprovals"]["approvalOptions"]["timeoutInMinutes"] == 90


@pytest.mark.parametrize(
    ("after", "conditions"),
    [
        ("manual", []),
        ("release", [{"conditionType": "event", "name": "ReleaseStarted", "value": ""}]),
        (
            "[Staging, Test]",
            [
                {"conditionType": "environmentState", "name": "Staging", "value": "4"},
                {"conditionType": "environmentState", "name": "Test", "value": "4"},
            ],
        ),
    ],
)
def test_how_a_stage_starts(after: str, conditions: list[dict[str, str]]) -> None:
    text = (
        "name: a\nproject: P\nartifact: {build: b}\napp: {serviceConnection: c, resourceGroup: g, name: n}\n"
        f"stages:\n  - name: Test\n  - name: Staging\n  - name: Production\n    after: {after}\n"
    )
    (definition,) = parse_specs(text).definitions
    assert render(definition, OfflineResolver()).document["environments"][2]["conditions"] == conditions
