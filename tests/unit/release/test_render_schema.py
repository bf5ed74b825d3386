"""Every rendered definition is a valid ReleaseDefinition of the official OpenAPI file (release-7.1),
strict: no property the file does not declare, anywhere in the definition, its stages, approvals,
conditions, agent jobs, tasks, trigger and artifact (``openapi.py`` says how the file is read); and
it passes through the ``azure-devops`` client's models (what create and update send) unchanged.

The OpenAPI checks need ``../shared/reference`` (skipped without it: a user's clone does not have it).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from slotwise.release.load import load_specs
from slotwise.release.render import render_all
from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.unit.release.openapi import ADDITIONS, release_definition_schema
from tests.unit.release.resolvers import FixedResolver

ROOT = Path(__file__).resolve().parents[3]
OPENAPI = REFERENCE / "azure-devops" / "release-7.1.openapi.json"
TEMPLATES = sorted((ROOT / "templates" / "release").glob("*.yaml"))
needs_reference = pytest.mark.skipif(not OPENAPI.is_file(), reason=REFERENCE_MISSING)


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = release_definition_schema(OPENAPI)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def rendered(*paths: Path) -> list[dict[str, Any]]:
    return [r.document for r in render_all(load_specs(paths).definitions, FixedResolver())]


def problems(validator: Draft202012Validator, document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.reference
@needs_reference
@pytest.mark.parametrize("template", TEMPLATES, ids=[t.stem for t in TEMPLATES])
def test_every_template_renders_valid_release_definitions(
    template: Path, validator: Draft202012Validator
) -> None:
    documents = rendered(template)
    assert documents
    for document in documents:
        assert problems(validator, document) == []


@pytest.mark.reference
@needs_reference
def test_the_conversion_is_strict_on_the_core_objects(validator: Draft202012Validator) -> None:
    """Not vacuous: an unknown property or a wrong type in each core object is refused."""
    (document,) = rendered(ROOT / "templates" / "release" / "article.yaml")
    places = {
        "definition": lambda d: d,
        "stage": lambda d: d["environments"][1],
        "approvals": lambda d: d["environments"][1]["preDeployApprovals"],
        "approval step": lambda d: d["environments"][1]["preDeployApprovals"]["approvals"][0],
        "approval options": lambda d: d["environments"][1]["preDeployApprovals"]["approvalOptions"],
        "condition": lambda d: d["environments"][1]["conditions"][0],
        "agent job": lambda d: d["environments"][0]["deployPhases"][0],
        "deployment input": lambda d: d["environments"][0]["deployPhases"][0]["deploymentInput"],
        "task": lambda d: d["environments"][0]["deployPhases"][0]["workflowTasks"][0],
        "trigger": lambda d: d["triggers"][0],
        "trigger condition": lambda d: d["triggers"][0]["triggerConditions"][0],
        "artifact": lambda d: d["artifacts"][0],
        "retention": lambda d: d["environments"][0]["retentionPolicy"],
        "execution policy": lambda d: d["environments"][0]["executionPolicy"],
    }
    for place, locate in places.items():
        broken = copy.deepcopy(document)
        locate(broken)["notInTheContract"] = True
        assert any("notInTheContract" in p for p in problems(validator, broken)), place
    wrong = copy.deepcopy(document)
    wrong["environments"][0]["rank"] = "first"
    assert problems(validator, wrong) == ["environments/0/rank: 'first' is not of type 'integer'"]
    wrong = copy.deepcopy(document)
    wrong["environments"][1]["conditions"][0]["conditionType"] = "afterStage"
    assert len(problems(validator, wrong)) == 1


def test_each_addition_to_the_contract_is_in_the_azure_devops_client() -> None:
    """What the test adds to the OpenAPI file is what the real client models (and the service sends)."""
    from azure.devops.v7_1.release import models

    for name, properties in ADDITIONS.items():
        keys = {attribute["key"] for attribute in getattr(models, name)._attribute_map.values()}
        assert set(properties) <= keys, name


def test_the_documents_survive_the_azure_devops_client_models() -> None:
    """Deserialized into the client's ReleaseDefinition and serialized back (what create and update
    send), a rendered document loses nothing: every field it carries is one the client models."""
    from azure.devops.v7_1.release import models
    from msrest import Deserializer, Serializer

    classes = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}
    for document in rendered(*TEMPLATES):
        model = Deserializer(classes)("ReleaseDefinition", document)
        again = Serializer(classes).body(model, "ReleaseDefinition")
        assert again == document
