"""The tasks specs may name come from task.json: the extension's four from tasks/ (one source of
truth), Microsoft's two from their task.json copied verbatim into the package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slotwise.release import catalogue as catalogue_module
from slotwise.release.catalogue import BUILTIN_FILES, TaskInput, TaskSet, catalogue
from tests.conftest import REFERENCE, REFERENCE_MISSING

ROOT = Path(__file__).resolve().parents[3]
BUILTIN_DIR = ROOT / "src" / "slotwise" / "release" / "builtin"


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


@pytest.mark.reference
@pytest.mark.skipif(not (REFERENCE / "pipeline-tasks").is_dir(), reason=REFERENCE_MISSING)
def test_the_builtin_task_json_files_are_the_reference_copies() -> None:
    for name in BUILTIN_FILES.values():
        assert (BUILTIN_DIR / name).read_bytes() == (REFERENCE / "pipeline-tasks" / name).read_bytes(), name


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
