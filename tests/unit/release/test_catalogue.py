"""The tasks specs may name: the extension's four from their task.json in tasks/ (one source of
truth), Microsoft's two from slotwise's own facts about them, which must agree with their task.json."""

from __future__ import annotations

import json
from itertools import product
from pathlib import Path

import pytest

from slotwise.release import catalogue as catalogue_module
from slotwise.release.catalogue import TaskDef, TaskInput, TaskSet, catalogue
from slotwise.release.inputs import visible
from tests.conftest import REFERENCE, REFERENCE_MISSING

ROOT = Path(__file__).resolve().parents[3]
MICROSOFTS = {
    "deploy-to-slot": "AzureFunctionAppV2.task.json",
    "slot-swap": "AzureAppServiceManageV0.task.json",
}


def test_the_slotwise_tasks_are_those_of_tasks_folder() -> None:
    tasks = catalogue(TaskSet.SLOTWISE)
    folders = sorted(
        p.parent.name for p in (ROOT / "tasks").glob("*/task.json") if not p.parent.name.startswith("_")
    )
    assert list(tasks) == folders == ["deploy-to-slot", "guard-against-overwrite", "slot-swap", "smoke-test"]
    for key, task in tasks.items():
        raw = json.loads((ROOT / "tasks" / key / "task.json").read_text(encoding="utf-8"))
        assert (task.id, task.name, task.major) == (raw["id"], raw["name"], raw["version"]["Major"])
        assert [i.name for i in task.inputs] == [i["name"] for i in raw["inputs"]]
        assert task.instance_name_format == raw["instanceNameFormat"]


def test_a_source_checkout_reads_tasks_from_the_checkout() -> None:
    """Here (an editable install) the package carries no copy: tasks/ itself is read."""
    assert catalogue_module.CHECKOUT_TASKS == ROOT / "tasks"
    assert not (ROOT / "src" / "slotwise" / catalogue_module.PACKAGED_TASKS).exists()


def test_builtin_tasks_are_microsofts_by_id_and_major() -> None:
    tasks = catalogue(TaskSet.BUILTIN)
    assert sorted(tasks) == ["deploy-to-slot", "slot-swap"]
    assert (tasks["deploy-to-slot"].reference, tasks["deploy-to-slot"].id) == (
        "AzureFunctionApp@2",
        "501dd25d-1785-43e4-b4e5-a5c78ccc0573",
    )
    assert (tasks["slot-swap"].reference, tasks["slot-swap"].id) == (
        "AzureAppServiceManage@0",
        "f045e430-8704-11e6-968f-e717e6411619",
    )


def test_the_builtin_facts_say_when_a_required_input_is_shown() -> None:
    deploy, swap = catalogue(TaskSet.BUILTIN)["deploy-to-slot"], catalogue(TaskSet.BUILTIN)["slot-swap"]
    target, action, stack = swap.input("TargetSlot"), swap.input("Action"), deploy.input("runtimeStack")
    assert target is not None
    assert action is not None
    assert stack is not None
    assert target.visible_rule == "SwapWithProduction = false"
    shown = [visible(target, {"SwapWithProduction": value}) for value in ("false", "true")]
    assert shown == [True, False]
    assert swap.input("azureSubscription") is swap.input("ConnectedServiceName")  # an alias
    assert action.fixed_options == ("Swap Slots", "Start Swap With Preview", "Complete Swap")
    assert stack.fixed_options == ()  # any text
    assert deploy.input("isFlexConsumption") is None  # Flex Consumption has no slots


def microsofts(key: str) -> TaskDef:
    raw = json.loads((REFERENCE / "pipeline-tasks" / MICROSOFTS[key]).read_text(encoding="utf-8-sig"))
    return TaskDef.parse(key, raw)


@pytest.mark.reference
@pytest.mark.skipif(not (REFERENCE / "pipeline-tasks").is_dir(), reason=REFERENCE_MISSING)
@pytest.mark.parametrize("key", sorted(MICROSOFTS))
def test_the_builtin_facts_agree_with_microsofts_task_json(key: str) -> None:
    ours, theirs = catalogue(TaskSet.BUILTIN)[key], microsofts(key)
    assert (ours.id, ours.name, ours.major) == (theirs.id, theirs.name, theirs.major)
    for spec in ours.inputs:
        their = theirs.input(spec.name)
        assert their is not None, spec.name
        assert their.name == spec.name  # not one of their aliases
        assert (spec.type, spec.required, spec.aliases, spec.numeric) == (
            their.type,
            their.required,
            their.aliases,
            their.numeric,
        ), spec.name
        if spec.fixed_options:  # ours may allow fewer (only the swap actions), never another
            assert set(spec.fixed_options) <= set(their.fixed_options), spec.name
        else:
            assert their.fixed_options == (), spec.name
        assert spec.default in ("", their.default), spec.name


@pytest.mark.reference
@pytest.mark.skipif(not (REFERENCE / "pipeline-tasks").is_dir(), reason=REFERENCE_MISSING)
@pytest.mark.parametrize("key", sorted(MICROSOFTS))
def test_the_builtin_facts_show_a_required_input_when_microsofts_editor_does(key: str) -> None:
    """For every combination of the allowed values of the pick lists and booleans a spec may set (the
    others at their defaults), a required input is shown by our rule exactly when by theirs."""
    ours, theirs = catalogue(TaskSet.BUILTIN)[key], microsofts(key)
    choices = {
        spec.name: spec.fixed_options or ("true", "false")
        for spec in ours.inputs
        if spec.fixed_options or spec.boolean
    }
    required = [spec for spec in ours.inputs if spec.required]
    assert any(spec.visible_rule for spec in required)  # the grid tells a missing rule from a present one
    for combination in product(*choices.values()):
        values = {spec.name: spec.default for spec in theirs.inputs} | dict(
            zip(choices, combination, strict=True)
        )
        for spec in required:
            their = theirs.input(spec.name)
            assert their is not None
            assert visible(spec, values) is visible(their, values), (spec.name, values)


@pytest.mark.parametrize(
    ("raw", "boolean", "fixed", "numeric", "connection"),
    [
        ({"name": "a", "type": "boolean", "defaultValue": True}, True, (), False, False),
        ({"name": "a", "type": "pickList", "options": {"x": "X", "y": "Y"}}, False, ("x", "y"), False, False),
        (
            {
                "name": "a",
                "type": "pickList",
                "options": {"x": "X"},
                "properties": {"EditableOptions": "True"},
            },
            False,
            (),
            False,
            False,
        ),
        (
            {"name": "a", "type": "string", "properties": {"isVariableOrNonNegativeNumber": "true"}},
            False,
            (),
            True,
            False,
        ),
        ({"name": "a", "type": "int"}, False, (), True, False),
        ({"name": "a", "type": "connectedService:AzureRM"}, False, (), False, True),
    ],
)
def test_an_input_knows_its_kind(
    raw: dict[str, object], boolean: bool, fixed: tuple[str, ...], numeric: bool, connection: bool
) -> None:
    spec = TaskInput.parse(raw)
    assert (spec.boolean, spec.fixed_options, spec.numeric, spec.connection) == (
        boolean,
        fixed,
        numeric,
        connection,
    )


def test_defaults_are_text_as_the_portal_stores_them() -> None:
    assert TaskInput.parse({"name": "a", "type": "boolean", "defaultValue": True}).default == "true"
    assert TaskInput.parse({"name": "a", "type": "string"}).default == ""
    swap = catalogue(TaskSet.SLOTWISE)["slot-swap"]
    assert swap.input("connectedServiceNameARM") is swap.input("azureSubscription")  # an alias
    assert swap.input("nothing") is None


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ({"a": "x", "b": "z"}, True),
        ({"a": "y", "b": "z"}, True),
        ({"a": "w", "b": "z"}, False),
        ({"a": "x"}, None),
    ],
)
def test_a_facts_condition_is_any_of_its_values_for_every_input_it_names(
    values: dict[str, str], shown: bool | None
) -> None:
    spec = TaskInput.from_facts(
        "c", {"type": "string", "required": True, "shownWhen": {"a": ["x", "y"], "b": ["z"]}}
    )
    assert (spec.name, spec.label, spec.required) == ("c", "c", True)
    assert visible(spec, values) is shown
