"""The escape hatch: RFC 7386 merge patches (apply and make), laid by render on the definition and
on each stage; a spec whose stages have ``steps: []`` needs no app."""

from __future__ import annotations

from typing import Any

import pytest

from slotwise.release.load import parse_specs
from slotwise.release.render import render
from slotwise.release.resolve import OfflineResolver
from slotwise.release.verbatim import apply_patch, clean, make_patch

SPEC = """\
name: orders-api
project: Fabrikam
artifact: {build: orders-api-CI}
verbatim:
  description: null
  properties: {IntegrateJiraWorkItems: {$type: System.String, $value: "false"}}
  tags: [kept, whole]
stages:
  - name: Scripts
    steps: []
    verbatim:
      environmentOptions: {emailNotificationType: Always}
      deployPhases: [{rank: 1, phaseType: runOnServer, name: Agentless job, workflowTasks: []}]
"""


def test_rfc_7386_examples() -> None:  # the RFC's own appendix A cases
    cases: list[tuple[Any, Any, Any]] = [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ]
    for target, patch, result in cases:
        assert apply_patch(target, patch) == result


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ({"a": 1, "b": {"c": [1, 2], "d": 2}}, {"a": 1, "b": {"c": [2], "e": None}, "f": {"g": 1}}),
        ({"x": None, "y": 1}, {"x": 2}),
        ({}, {"deep": {"er": {"est": [{"k": None}]}}}),
    ],
)
def test_make_patch_makes_the_source_into_the_target(source: dict[str, Any], target: dict[str, Any]) -> None:
    patch = make_patch(source, target)
    assert clean(apply_patch(source, patch)) == clean(target)
    assert make_patch(target, target) == {}


def test_render_lays_the_definition_and_stage_patches_last() -> None:
    (definition,) = parse_specs(SPEC, "spec.yaml").definitions
    document = render(definition, OfflineResolver()).document
    assert "description" not in document
    assert document["tags"] == ["kept", "whole"]
    assert document["properties"]["IntegrateJiraWorkItems"]["$value"] == "false"
    assert document["properties"]["Slotwise.ManagedBy"]["$value"] == "slotwise"  # merged, not replaced
    (stage,) = document["environments"]
    assert stage["environmentOptions"]["emailNotificationType"] == "Always"
    assert stage["environmentOptions"]["publishDeploymentStatus"] is True
    assert stage["deployPhases"] == [
        {"rank": 1, "phaseType": "runOnServer", "name": "Agentless job", "workflowTasks": []}
    ]
