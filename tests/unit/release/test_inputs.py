"""A step's inputs against its task.json: values as text, types checked, visibility rules read as
the editor reads them, required inputs that are shown demanded."""

from __future__ import annotations

import pytest

from slotwise.release.catalogue import TaskInput, TaskSet, catalogue
from slotwise.release.inputs import check_inputs, text, visible
from slotwise.release.problems import Location, Pointer, Problems

SWAP = catalogue(TaskSet.SLOTWISE)["slot-swap"]


def where(pointer: Pointer) -> Location:
    return Location("s.yaml", 7, pointer)


def check(given: dict[str, object]) -> tuple[dict[str, str], list[str]]:
    problems = Problems()
    values = check_inputs(
        SWAP,
        given,
        bound={"azureSubscription": "conn", "appName": "app", "resourceGroupName": "rg"},
        reserved={"azureSubscription": "app.serviceConnection"},
        preset={"smokeChecks": "file", "smokeChecksFile": "checks.yaml"},
        at=("inputs",),
        where=where,
        problems=problems,
    )
    return values, [f"{p.field}: {p.message}" for p in problems.sorted]


@pytest.mark.parametrize(
    ("value", "shown"), [(True, "true"), (False, "false"), (2.0, "2"), (2.5, "2.5"), (7, "7")]
)
def test_values_become_text(value: object, shown: str) -> None:
    assert text(value) == shown


def test_defaults_then_preset_then_bound_then_given() -> None:
    values, problems = check({"holdDays": 3, "smokeChecksFile": "mine.yaml", "swapWithProduction": "TRUE"})
    assert problems == []
    assert values["holdDays"] == "3"
    assert values["smokeChecks"] == "file"  # the preset
    assert values["smokeChecksFile"] == "mine.yaml"  # given, over the preset
    assert values["appName"] == "app"  # bound
    assert values["timeoutMinutes"] == "30"  # task.json's default
    assert values["swapWithProduction"] == "true"
    assert set(values) == {i.name for i in SWAP.inputs}


def test_a_variable_is_always_allowed() -> None:
    values, problems = check({"swapAction": "$(Action)", "holdDays": "$(Days)", "preserveVnet": "$(Vnet)"})
    assert problems == []
    assert values["swapAction"] == "$(Action)"


def test_an_alias_and_its_input_given_together() -> None:
    _, problems = check({"azureSubscription": "x", "connectedServiceNameARM": "y"})
    assert problems == [
        "inputs.azureSubscription: 'azureSubscription' (Azure Resource Manager connection) is set by "
        "app.serviceConnection; remove it here",
        "inputs.connectedServiceNameARM: 'azureSubscription' (Azure Resource Manager connection) is set by "
        "app.serviceConnection; remove it here",
    ]


def test_numbers_must_not_be_negative_or_not_finite() -> None:
    _, problems = check({"holdDays": -1, "timeoutMinutes": "inf"})
    assert [p.split(":")[0] for p in problems] == ["inputs.holdDays", "inputs.timeoutMinutes"]


def test_required_inputs_are_demanded_only_when_shown() -> None:
    _, problems = check({"smokeChecks": "inline"})
    assert problems == [
        "inputs: slot-swap needs the input 'smokeChecksInline' (Checks (YAML)) when smokeChecks = inline; "
        "give it a value"
    ]
    _, problems = check({"smokeChecks": "none"})
    assert problems == []


def rule(expression: str) -> TaskInput:
    return TaskInput("x", "X", "string", True, "", visible_rule=expression)


@pytest.mark.parametrize(
    ("expression", "values", "shown"),
    [
        ("", {}, True),
        ("a = on", {"a": "on"}, True),
        ("a = on", {"a": "ON"}, True),
        ("a == on", {"a": "off"}, False),
        ("a != on", {"a": "off"}, True),
        ('a != ""', {"a": ""}, False),
        ("a = x || b = y", {"a": "n", "b": "y"}, True),
        ("a = x && b = y", {"a": "x", "b": "n"}, False),
        ("a = x || a = y && b = z", {"a": "y", "b": "z"}, True),
        ("Action = Swap Slots", {"Action": "Swap Slots"}, True),
        ("a NotEndsWith x", {"a": "y"}, None),
        ("missing = x", {"a": "x"}, None),
    ],
)
def test_visibility_rules(expression: str, values: dict[str, str], shown: bool | None) -> None:
    assert visible(rule(expression), values) is shown
