"""Export: a definition as a spec, what cannot be expressed kept verbatim; export then plan shows no
changes, for slotwise-made definitions (no verbatim needed) and for the real portal definition in
shared/reference (everything the spec cannot say kept in ``verbatim``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from slotwise.errors import NotFoundError, UsageError
from slotwise.events import RecordingReporter
from slotwise.release.apply import apply_plan
from slotwise.release.diff import changes
from slotwise.release.export import export
from slotwise.release.load import load_specs
from slotwise.release.plan import Action, make_plan
from slotwise.release.render import MANAGED_BY
from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.fakes import FakeOrganization
from tests.unit.release.orgs import TEMPLATES, fabrikam

SAMPLE = REFERENCE / "azure-devops" / "exported-definition-sample.json"
NAMES = [
    "orders-api",
    "orders-api-builtin",
    "orders-api-chained",
    "inventory-api",
    "billing-api",
    "notifications-api",
]


def written(spec: dict[str, Any], folder: Path) -> Path:
    path = folder / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", NAMES)
def test_a_slotwise_definition_exports_to_a_spec_that_plans_no_change(name: str, tmp_path: Path) -> None:
    org = fabrikam()
    apply_plan(make_plan(load_specs([TEMPLATES]), org), org, RecordingReporter())
    spec = export(org, "Fabrikam", name)
    assert "verbatim" not in spec
    assert all("verbatim" not in stage for stage in spec["stages"]), spec["stages"]
    org.store.calls.clear()
    plan = make_plan(load_specs([written(spec, tmp_path)]), org)
    assert [(i.action, i.changes) for i in plan.items] == [(Action.UNCHANGED, ())]
    assert org.store.count("get") == 0


def test_export_by_id_and_the_spec_reads_as_written(tmp_path: Path) -> None:
    org = fabrikam()
    apply_plan(make_plan(load_specs([TEMPLATES / "chained.yaml"]), org), org, RecordingReporter())
    (definition_id,) = org.store.stored["fabrikam"]
    spec = export(org, "Fabrikam", str(definition_id))
    assert spec["artifact"] == {
        "build": "orders-api-CI",
        "alias": "drop",
        "defaultVersion": "latestWithBranchAndTags",
        "defaultBranch": "refs/heads/main",
        "defaultTags": ["release"],
        "trigger": {"branches": ["refs/heads/main"], "tags": ["release"]},
    }
    assert spec["app"] == {
        "serviceConnection": "contoso-azure",
        "resourceGroup": "rg-orders",
        "name": "func-orders",
    }
    production = spec["stages"][2]
    assert production["after"] == ["Staging"]
    assert production["approvals"]["before"] == {
        "approvers": ["lead@contoso.com", "ops@contoso.com"],
        "order": "sequence",
        "timeout": 7 * 24 * 60,
    }
    assert spec["stages"][0]["queueing"] == {"maxConcurrent": 1, "subsequent": "deployLatest"}


def test_a_definition_not_found_is_named_with_its_near_match() -> None:
    org = fabrikam()
    apply_plan(make_plan(load_specs([TEMPLATES / "article.yaml"]), org), org, RecordingReporter())
    with pytest.raises(NotFoundError) as caught:
        export(org, "Fabrikam", "orders-apy")
    assert "No release definition named 'orders-apy' in project Fabrikam (did you mean 'orders-api'?)" in str(
        caught.value
    )


def test_two_definitions_of_one_name_ask_for_the_id() -> None:
    org = fabrikam()
    for folder in ("\\A", "\\B"):
        org.store.put("fabrikam", {"name": "twin", "path": folder})
    with pytest.raises(UsageError) as caught:
        export(org, "Fabrikam", "twin")
    assert "Give the id" in caught.value.hint


def sample_organization() -> tuple[FakeOrganization, dict[str, Any]]:
    document: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8-sig"))["value"][0]
    secrets = {"CLIENTSECRET": "a", "DBPASSWORD": "b", "GODADDYSECRET": "c", "JWTTOKENKEY": "d"}
    org = fabrikam({name: f"secret-{value}-value" for name, value in secrets.items()})
    directory = org.directory
    directory.projects["azcliTest"] = "00000000-0000-0000-0000-000000000000"
    directory.queues[("azclitest", "Hosted VS2017")] = 81
    directory.builds[("azclitest", "azcliTest-CI")] = 23
    directory.groups[("azclitest", "ptracker-dev")] = 1
    org.store.put("azcliTest", document)
    return org, document


@pytest.mark.skipif(not SAMPLE.is_file(), reason=REFERENCE_MISSING)
def test_the_real_portal_definition_exports_and_plans_no_change(tmp_path: Path) -> None:
    org, document = sample_organization()
    spec = export(org, "azcliTest", "PTracker-CD")
    assert spec["variables"]["dbpassword"] == {"secret": True, "fromEnv": "DBPASSWORD"}
    assert spec["variables"]["subscriptionId"] == {"value": document["variables"]["subscriptionId"]["value"],
                                                   "settableAtRelease": True}  # fmt: skip
    assert [s["name"] for s in spec["stages"]][:3] == ["Dev Common Infra", "Dev Infra", "Dev BER"]
    assert spec["stages"][4]["after"] == ["Dev Infra"]
    assert all(s["steps"] == [] and "deployPhases" in s["verbatim"] for s in spec["stages"])
    assert spec["verbatim"]["properties"]["DefinitionCreationSource"]["$value"] == "ReleaseClone"
    plan = make_plan(load_specs([written(spec, tmp_path)]), org, adopt=True)
    assert [(i.action, i.changes) for i in plan.items] == [(Action.ADOPT, ())]  # only the ownership mark
    apply_plan(plan, org, RecordingReporter())
    after = org.store.stored["azclitest"][document["id"]]
    assert after["properties"][MANAGED_BY]["$value"] == "slotwise"
    assert changes(document, after) == []  # nothing the portal set was lost
    before_stages = {s["name"]: s["id"] for s in document["environments"]}
    assert {s["name"]: s["id"] for s in after["environments"]} == before_stages
    again = make_plan(load_specs([written(spec, tmp_path)]), org)
    assert [i.action for i in again.items] == [Action.UNCHANGED]


@pytest.mark.skipif(not SAMPLE.is_file(), reason=REFERENCE_MISSING)
def test_the_exported_sample_never_holds_a_secret_value(tmp_path: Path) -> None:
    org, document = sample_organization()
    stored = org.store.stored["azclitest"][document["id"]]
    stored["variables"]["dbpassword"]["value"] = "the-real-db-password"  # what the server holds
    spec = export(org, "azcliTest", str(document["id"]))
    assert "the-real-db-password" not in json.dumps(spec)
    edited = copy.deepcopy(spec)
    edited["stages"][0]["verbatim"]["environmentOptions"]["emailNotificationType"] = "Always"
    plan = make_plan(load_specs([written(edited, tmp_path)]), org, adopt=True)
    assert [str(c) for c in plan.items[0].changes] == [
        "~ environments[Dev Common Infra].environmentOptions.emailNotificationType: "
        '"OnlyOnFailure" → "Always"'
    ]


def test_an_export_leaves_out_empty_defaults_it_would_only_add_but_keeps_empties_that_replace() -> None:
    from slotwise.release.export import without_empty_defaults

    desired = {"tags": ["a"], "variables": {"X": {"value": "1"}}}
    patch = {
        "preDeploymentGates": {"gates": [], "gatesOptions": {}},  # the server's defaults: not said
        "tags": [],  # replaces what the spec renders: said
        "description": None,  # removes a key: said
        "triggers": [{"triggerType": "schedule"}],
    }
    assert without_empty_defaults(patch, desired) == {
        "tags": [],
        "description": None,
        "triggers": [{"triggerType": "schedule"}],
    }
