"""The four task.json files, the manifest and the README agree with each other and with the contract.

- GUIDs never change (the map below is the record: a task whose id changes is a *different* task to
  Azure DevOps, and every pipeline using it breaks);
- names, inputs (type, required, default) and output variables are those of docs/tasks-contract.md,
  which the Python agent is written against;
- the README's table for each task lists exactly its inputs, labels, defaults and required flags;
- versions agree with pyproject.toml's, the one place the version is kept;
- the editor conventions of Microsoft's own tasks: pick lists fed by the same data sources,
  editable, fixed lists with options, Node20_1 + Node24 handlers running the shim;
- with ``../shared/reference`` present: valid against the official task schema (draft-04) and the
  manifest against the schemastore schema (draft-07).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from slotwise_build.checks import check_task
from slotwise_build.project import project_version, task_folders, task_version
from tests.tasks.handlers import AGENT_VARIABLES, env_name, first_agent_running, handler_for

ROOT = Path(__file__).resolve().parents[3]
REFERENCE_TASKS = ROOT.parent / "shared" / "reference" / "pipeline-tasks"
REFERENCE_MISSING = "../shared/reference is absent (CI has it; a user's clone does not)"
README = ROOT / "README.md"
CONTRACT = ROOT / "docs" / "tasks-contract.md"
SHIM = ROOT / "tasks" / "_shim" / "shim.js"

# Generated once (uuid4) and never to change.
GUIDS = {
    "deploy-to-slot": "3ffff18b-7efe-4c67-a3aa-e5cf44b4e6fd",
    "slot-swap": "681788cf-8be7-4c97-ab3a-cbbf53eec79c",
    "smoke-test": "97b94350-e3fc-4d52-8ce7-655fa33b9a0e",
    "guard-against-overwrite": "dbf9882e-6435-4545-b074-9bea66825c77",
}
FOLDERS = sorted(GUIDS)
SLOT_PICKERS = {
    "deploy-to-slot": {"slotName"},
    "slot-swap": {"sourceSlot", "targetSlot"},
    "smoke-test": {"slotName"},
    "guard-against-overwrite": {"slotName"},
}
SLOTS_BINDING = '{"Value":"{{{ #extractResource slots}}}","DisplayValue":"{{{ #extractResource slots}}}"}'


def load(folder: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "tasks" / folder / "task.json").read_text(encoding="utf-8"))
    return data


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "vss-extension.json").read_text(encoding="utf-8"))
    return data


def section(text: str, heading: str) -> str:
    """The text under ``heading`` (a whole line) up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(heading + "\n") + len(heading) + 1
    end = re.search(rf"^#{{1,{level}}} ", text[start:], re.M)
    return text[start : start + end.start()] if end else text[start:]


def first_table(text: str) -> list[dict[str, str]]:
    """The rows of the first markdown table in ``text``, keyed by its header (``\\|`` is a pipe)."""

    def cells(line: str) -> list[str]:
        return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]

    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    header = cells(lines[start])
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(header, cells(line), strict=True)))
    return rows


def ticked(cell: str) -> list[str]:
    """The `code` spans of a cell."""
    return re.findall(r"`([^`]*)`", cell)


def output_names(text: str) -> list[str]:
    """The output variables a section declares: ``Outputs: `A`, `B` (`value`, ...)`` (values: lower-case)."""
    found = re.search(r"^Outputs: (.*?)(?:\n\n|\Z)", text, re.M | re.S)
    assert found is not None, "no 'Outputs:' paragraph"
    return re.findall(r"`([A-Z][A-Za-z0-9]*)`", found.group(1))


# ------------------------------------------------------------------------------------ identity


def test_the_task_folders_are_the_four_of_the_contract() -> None:
    assert task_folders(ROOT) == FOLDERS


@pytest.mark.parametrize("folder", FOLDERS)
def test_guid_is_stable(folder: str) -> None:
    assert load(folder)["id"] == GUIDS[folder], "a task's id must never change: pipelines know it by id"


def test_names_are_those_of_the_contract() -> None:
    rows = first_table(CONTRACT.read_text(encoding="utf-8"))
    contract = {ticked(row["folder"])[0]: ticked(row[next(k for k in row if "name" in k)])[0] for row in rows}
    assert contract == {f"tasks/{folder}": load(folder)["name"] for folder in FOLDERS}


@pytest.mark.parametrize("folder", FOLDERS)
def test_identity_and_editor_fields(folder: str) -> None:
    task = load(folder)
    assert re.fullmatch(r"[A-Za-z0-9-]+", task["name"])
    assert 0 < len(task["friendlyName"]) <= 40
    assert task["category"] == ("Test" if folder == "smoke-test" else "Deploy")
    assert task["author"]
    assert task["instanceNameFormat"]
    for used in re.findall(r"\$\(([^)]+)\)", task["instanceNameFormat"]):
        assert used in {spec["name"] for spec in task["inputs"]}, used


@pytest.mark.parametrize("folder", FOLDERS)
def test_help_links_to_the_tasks_readme_section(folder: str) -> None:
    task = load(folder)
    assert re.search(rf"\]\(https://[^)]+README\.md#{re.escape(folder)}\)", task["helpMarkDown"])
    assert f"\n### {folder}\n" in section(README.read_text(encoding="utf-8"), "## For pipeline authors")


@pytest.mark.parametrize("folder", FOLDERS)
def test_execution_is_the_shim_on_node20_1_and_node24(folder: str) -> None:
    assert load(folder)["execution"] == {
        "Node20_1": {"target": "shim.js", "argumentFormat": ""},
        "Node24": {"target": "shim.js", "argumentFormat": ""},
    }


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_minimum_agent_is_the_first_that_knows_a_declared_handler(folder: str) -> None:
    """Not the newest handler's first agent (Node24: 4.265.1) but the oldest one's (Node20_1: 3.232.1):
    an agent that does not know Node24 ignores the key and runs Node20_1 (tests/tasks/handlers.py)."""
    task = load(folder)
    assert task["minimumAgentVersion"] == first_agent_running(task) == "3.232.1"
    assert handler_for(task, "3.232.0") is None  # "A supported task execution handler was not found"


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize(
    ("agent", "handler"),
    [("3.232.1", "Node20_1"), ("3.236.1", "Node20_1"), ("4.264.2", "Node20_1"), ("4.265.1", "Node24"),
     ("4.278.0", "Node24")],
)  # fmt: skip
def test_every_agent_from_the_minimum_runs_the_shim(folder: str, agent: str, handler: str) -> None:
    task = load(folder)
    assert handler_for(task, agent) == handler
    assert task["execution"][handler]["target"] == "shim.js"


def test_the_variables_the_shim_reads_are_given_by_the_node20_1_agent() -> None:
    """Every ``env.NAME`` the shim reads is an input of every task, an agent variable agent 3.232.1
    sets for every job (tests/tasks/handlers.py names where), or a setting the user may give."""
    read = set(re.findall(r"\benv\.([A-Z][A-Z0-9_]*)", SHIM.read_text(encoding="utf-8")))
    inputs = set.intersection(*({f"INPUT_{env_name(i['name'])}" for i in load(f)["inputs"]} for f in FOLDERS))
    given = {env_name(name) for name in AGENT_VARIABLES} | inputs | {"SLOTWISE_PYTHON"}
    assert read, "the shim reads no variable: the pattern is wrong"
    assert read <= given, sorted(read - given)
    assert {"AGENT_TOOLSDIRECTORY", "INPUT_PYTHONPATH"} <= read


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_problem_packaging_would_report(folder: str, tmp_path: Path) -> None:
    """The checks scripts/package runs (what tfx only warns about), with the shim in place."""
    staged = tmp_path / folder
    shutil.copytree(ROOT / "tasks" / folder, staged)
    (staged / "shim.js").write_text("// the shim\n")
    assert check_task(load(folder), staged) == []


# ------------------------------------------------------------------------------------ versions


def test_versions_agree_with_pyproject() -> None:
    """pyproject.toml's [project] version is the one source; scripts/package stamps it into what it
    stages. The committed copies carry it too and must say the same (the task's Major is the
    ``@1`` that YAML pipelines name)."""
    version = project_version(ROOT)
    disagree = {
        f"tasks/{folder}/task.json": load(folder)["version"]
        for folder in FOLDERS
        if load(folder)["version"] != task_version(version)
    }
    if manifest()["version"] != version:
        disagree["vss-extension.json"] = manifest()["version"]
    assert not disagree, f"pyproject.toml says {version}; these say otherwise: {disagree}"


# ------------------------------------------------------------------------------------ contract


def contract_inputs(folder: str) -> list[dict[str, str]]:
    text = CONTRACT.read_text(encoding="utf-8")
    common = first_table(section(text, "## Inputs common to all four"))
    own = first_table(section(text, f"## {folder}"))
    return common + own


@pytest.mark.parametrize("folder", FOLDERS)
def test_inputs_are_those_of_the_contract(folder: str) -> None:
    task = load(folder)
    specs = {spec["name"]: spec for spec in task["inputs"]}
    rows = contract_inputs(folder)
    assert sorted(specs) == sorted(ticked(row["name"])[0] for row in rows)
    for row in rows:
        name = ticked(row["name"])[0]
        spec = specs[name]
        assert spec["type"] == ticked(row["type"])[0], name
        assert spec.get("required", False) is (row["required"] == "yes"), name
        assert str(spec.get("defaultValue", "")) == (ticked(row["default"]) or [""])[0], name
        assert spec.get("aliases", []) == ticked(row.get("aliases", "")), name
        if "(editable)" in row["type"]:
            assert spec["properties"]["EditableOptions"] == "True", name
        group = re.search(r"group `([a-z]+)`", row["notes"])
        if group:
            assert spec.get("groupName") == group.group(1), name
        rule = re.search(r"visibleRule `([^`]+)`", row["notes"])
        assert spec.get("visibleRule") == (rule.group(1) if rule else None), name
        if spec.get("options"):  # the notes list the values, besides any visibleRule
            listed = ticked(re.sub(r"visibleRule `[^`]+`", "", row["notes"]))
            assert sorted(spec["options"]) == sorted(listed), name


@pytest.mark.parametrize("folder", FOLDERS)
def test_output_variables_are_those_of_the_contract(folder: str) -> None:
    task = load(folder)
    text = section(CONTRACT.read_text(encoding="utf-8"), f"## {folder}")
    assert [output["name"] for output in task["outputVariables"]] == output_names(text)
    assert all(output["description"] for output in task["outputVariables"])


# ------------------------------------------------------------------------------------ editor


@pytest.mark.parametrize("folder", FOLDERS)
def test_pick_lists_use_microsofts_data_sources(folder: str) -> None:
    task = load(folder)
    bindings = {binding["target"]: binding for binding in task["dataSourceBindings"]}
    assert bindings["appName"] == {
        "target": "appName",
        "endpointId": "$(azureSubscription)",
        "dataSourceName": "AzureRMWebAppNames",
    }
    assert bindings["resourceGroupName"]["dataSourceName"] == "AzureRMWebAppResourceGroup"
    assert bindings["resourceGroupName"]["parameters"] == {"WebAppName": "$(appName)"}
    for name in SLOT_PICKERS[folder]:
        assert bindings[name]["dataSourceName"] == "AzureRMWebAppSlotsId", name
        assert bindings[name]["endpointId"] == "$(azureSubscription)"
        assert bindings[name]["parameters"] == {
            "WebAppName": "$(appName)",
            "ResourceGroupName": "$(resourceGroupName)",
        }
        assert bindings[name]["resultTemplate"] == SLOTS_BINDING
    assert set(bindings) == {"appName", "resourceGroupName"} | SLOT_PICKERS[folder]
    for spec in task["inputs"]:
        if spec["type"] != "pickList":
            continue
        if spec["name"] in bindings:
            assert spec["properties"] == {"EditableOptions": "True"}, spec["name"]
        else:
            assert spec["options"], spec["name"]
            assert spec["defaultValue"] in spec["options"], spec["name"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_input_explains_itself(folder: str) -> None:
    for spec in load(folder)["inputs"]:
        assert spec["label"], spec["name"]
        assert len(spec["helpMarkDown"]) >= 40, spec["name"]
        default = str(spec.get("defaultValue", ""))
        if default and spec["type"] != "connectedService:AzureRM":
            worded = {"true": "Checked", "false": "unchecked"}.get(default, default)
            assert worded.lower() in spec["helpMarkDown"].lower(), f"{spec['name']}: say the default"


def test_the_safety_inputs_say_what_they_cost() -> None:
    specs = {spec["name"]: spec for spec in load("deploy-to-slot")["inputs"]}
    assert specs["allowOverwrite"]["groupName"] == "safety"
    assert "destroys that rollback build" in specs["allowOverwrite"]["helpMarkDown"]
    assert "`production` here explicitly" in specs["slotName"]["helpMarkDown"]
    groups = {group["name"]: group for group in load("deploy-to-slot")["groups"]}
    assert groups["safety"]["isExpanded"] is True  # never hidden behind a collapsed section


# ------------------------------------------------------------------------------------ README


def readme_rows(folder: str) -> list[dict[str, str]]:
    tasks = section(README.read_text(encoding="utf-8"), "## For pipeline authors")
    return first_table(section(tasks, f"### {folder}"))


@pytest.mark.parametrize("folder", FOLDERS)
def test_readme_table_lists_exactly_the_inputs(folder: str) -> None:
    task = load(folder)
    documented = [
        {
            "name": ticked(row["input"])[0],
            "aliases": ticked(row["input"])[1:],
            "label": row["label"],
            "default": (ticked(row["default"]) or [""])[0],
            "required": row["required"],
        }
        for row in readme_rows(folder)
    ]
    declared = [
        {
            "name": spec["name"],
            "aliases": spec.get("aliases", []),
            "label": spec["label"],
            "default": str(spec.get("defaultValue", "")),
            "required": "yes" if spec.get("required") else "no",
        }
        for spec in task["inputs"]
    ]
    assert documented == declared
    assert all(row["what it does"] for row in readme_rows(folder))


@pytest.mark.parametrize("folder", FOLDERS)
def test_readme_has_a_yaml_snippet_and_the_outputs(folder: str) -> None:
    task = load(folder)
    text = section(section(README.read_text(encoding="utf-8"), "## For pipeline authors"), f"### {folder}")
    assert f"- task: {task['name']}@{task['version']['Major']}\n" in text
    outputs = re.search(r"^Output variables: (.*?)\.$", text, re.M | re.S)
    assert outputs is not None
    assert ticked(outputs.group(1)) == [output["name"] for output in task["outputVariables"]]


# ------------------------------------------------------------------------------------ manifest


def test_manifest_has_one_contribution_per_task_folder() -> None:
    data = manifest()
    assert (data["manifestVersion"], data["id"]) == (1, "slotwise")
    assert data["categories"] == ["Azure Pipelines"]
    assert data["targets"] == [{"id": "Microsoft.VisualStudio.Services"}]
    assert sorted(entry["path"] for entry in data["files"]) == sorted(f"tasks/{f}" for f in FOLDERS)
    assert sorted(data["contributions"], key=lambda c: c["id"]) == [
        {
            "id": folder,
            "description": next(c["description"] for c in data["contributions"] if c["id"] == folder),
            "type": "ms.vss-distributed-task.task",
            "targets": ["ms.vss-distributed-task.tasks"],
            # tfx and the service find the task at this path inside the staged tree / the .vsix
            "properties": {"name": f"tasks/{folder}"},
        }
        for folder in FOLDERS
    ]


def test_the_marketplace_files_exist_and_the_icon_is_128px() -> None:
    data = manifest()
    extension = ROOT / "tasks" / "_extension"
    assert (extension / data["icons"]["default"]).is_file()
    for entry in data["content"].values():
        assert (extension / entry["path"]).is_file()
    png = (extension / data["icons"]["default"]).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (128, 128)
    overview = (extension / data["content"]["details"]["path"]).read_text(encoding="utf-8")
    for folder in FOLDERS:
        assert f"- task: {load(folder)['name']}@1" in overview


# ------------------------------------------------------------------------------------ schemas


@pytest.mark.reference
@pytest.mark.skipif(not REFERENCE_TASKS.is_dir(), reason=REFERENCE_MISSING)
@pytest.mark.parametrize("folder", FOLDERS)
def test_valid_against_the_official_task_schema(folder: str) -> None:
    schema = json.loads((REFERENCE_TASKS / "tasks.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"].startswith("http://json-schema.org/draft-04/")
    jsonschema.Draft4Validator.check_schema(schema)
    errors = [error.message for error in jsonschema.Draft4Validator(schema).iter_errors(load(folder))]
    assert errors == []


@pytest.mark.reference
@pytest.mark.skipif(not REFERENCE_TASKS.is_dir(), reason=REFERENCE_MISSING)
def test_manifest_valid_against_the_schemastore_schema() -> None:
    schema = json.loads((REFERENCE_TASKS / "vss-extension.schemastore.json").read_text(encoding="utf-8"))
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/")
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    assert [error.message for error in validator.iter_errors(manifest())] == []
