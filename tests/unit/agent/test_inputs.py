"""Task inputs from ``INPUT_*``: the agent's name normalisation, task-lib's booleans, defaults and labels
from task.json, numbers and choices with clear errors, multi-line text, and file paths with globs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slotwise.agent.inputs import TaskInputs, find_matches, input_variable
from slotwise.agent.taskdef import TaskDefinition, env_name, expand
from slotwise.errors import UsageError

DEFINITION = {
    "name": "SlotwiseDeployToSlot",
    "inputs": [
        {"name": "azureSubscription", "label": "Azure subscription", "aliases": ["connectedServiceNameARM"],
         "type": "connectedService:AzureRM", "required": True},
        {"name": "appName", "label": "App name", "type": "pickList", "required": True},
        {"name": "slotName", "label": "Slot", "type": "pickList", "defaultValue": "staging"},
        {"name": "createSlot", "label": "Create the slot", "type": "boolean", "defaultValue": False},
        {"name": "package", "label": "Package or folder", "type": "filePath",
         "defaultValue": "$(System.DefaultWorkingDirectory)/**/*.zip"},
    ],
}  # fmt: skip


@pytest.fixture
def definition(tmp_path: Path) -> TaskDefinition:
    folder = tmp_path / "task"
    folder.mkdir()
    (folder / "task.json").write_text("\ufeff" + json.dumps(DEFINITION), encoding="utf-8")
    return TaskDefinition.load(folder)


def inputs(definition: TaskDefinition | None = None, **env: str) -> TaskInputs:
    return TaskInputs(env, definition)


# ---- names and raw values ----------------------------------------------------------------------------------
def test_names_are_normalised_as_the_agent_does() -> None:
    assert input_variable("appName") == "INPUT_APPNAME"
    assert input_variable("my.input name") == "INPUT_MY_INPUT_NAME"
    assert input_variable("keep-dash") == "INPUT_KEEP-DASH"
    assert env_name("System.DefaultWorkingDirectory") == "SYSTEM_DEFAULTWORKINGDIRECTORY"


def test_values_are_trimmed_and_empty_means_not_given() -> None:
    found = inputs(INPUT_APPNAME="  func-demo \n", INPUT_SLOTNAME="   ")
    assert found.string("appName") == "func-demo"
    assert found.string("slotName") is None
    assert found.string("slotName", "staging") == "staging"


def test_task_json_defaults_fill_absent_inputs_with_macros_expanded(definition: TaskDefinition) -> None:
    found = inputs(definition, SYSTEM_DEFAULTWORKINGDIRECTORY="/agent/_work/r1/a")
    assert found.string("slotName") == "staging"
    assert found.raw("package") == "/agent/_work/r1/a/**/*.zip"
    assert found.boolean("createSlot", default=True) is False
    given = inputs(definition, INPUT_SLOTNAME="")  # given empty: stays empty, no default
    assert given.string("slotName") is None


def test_an_alias_is_read_when_the_name_is_absent(definition: TaskDefinition) -> None:
    found = inputs(definition, INPUT_CONNECTEDSERVICENAMEARM="abc")
    assert found.required("azureSubscription") == "abc"


def test_expand_leaves_unknown_macros() -> None:
    assert expand("$(A.B)/$(Missing.Var)/x", {"A_B": "/a"}) == "/a/$(Missing.Var)/x"


# ---- required and labels -----------------------------------------------------------------------------------
def test_a_missing_required_input_is_named_by_its_label(definition: TaskDefinition) -> None:
    with pytest.raises(UsageError) as caught:
        inputs(definition, INPUT_APPNAME="").required("appName")
    assert caught.value.message == "The input 'App name' (appName) is required."


def test_without_task_json_the_name_is_used(tmp_path: Path) -> None:
    missing = TaskDefinition.load(tmp_path / "nowhere")
    assert missing.problem is not None
    with pytest.raises(UsageError) as caught:
        inputs(missing).required("appName")
    assert caught.value.message == "The input 'appName' is required."


def test_a_damaged_task_json_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "task.json").write_text("{ not json", encoding="utf-8")
    damaged = TaskDefinition.load(tmp_path)
    assert damaged.problem is not None
    assert "not a valid task.json" in damaged.problem
    assert damaged.inputs == {}


# ---- booleans, numbers, choices, text ----------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [("true", True), ("True", True), ("TRUE", True),
                                                 ("false", False), ("yes", False), ("1", False)])  # fmt: skip
def test_booleans_follow_task_lib(value: str, expected: bool) -> None:
    assert inputs(INPUT_FLAG=value).boolean("flag", default=not expected) is expected


def test_an_empty_boolean_is_its_default() -> None:
    assert inputs(INPUT_FLAG="").boolean("flag", default=True) is True
    assert inputs().boolean("flag") is False


def test_numbers_in_range() -> None:
    found = inputs(INPUT_MINUTES="20", INPUT_SECONDS="0.5", INPUT_EMPTY="")
    assert found.integer("minutes", default=1, minimum=1, maximum=60) == 20
    assert found.number("seconds", default=30, minimum=0.1) == 0.5
    assert found.integer("empty", default=16) == 16
    assert inputs(INPUT_N="20.0").integer("n", default=1) == 20


@pytest.mark.parametrize("value", ["abc", "0", "61", "2.5", "nan", "inf"])
def test_a_bad_number_says_what_is_expected(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        inputs(INPUT_MINUTES=value).integer("minutes", default=1, minimum=1, maximum=60)
    assert caught.value.message == f"The input 'minutes' must be a whole number from 1 to 60, not '{value}'."


def test_choices_are_case_insensitive_and_listed_when_wrong() -> None:
    assert inputs(INPUT_MODE="Park").choice("mode", ["fail", "wait", "park"]) == "park"
    assert inputs().choice("mode", ["fail", "wait", "park"], "fail") == "fail"
    with pytest.raises(UsageError) as caught:
        inputs(INPUT_MODE="later").choice("mode", ["fail", "wait", "park"])
    assert caught.value.message == "The input 'mode' must be one of fail, wait, park, not 'later'."


def test_multi_line_text_keeps_indentation() -> None:
    value = "\n\ncheck:\n  - name: a   \n    path: /\n\n"
    found = inputs(INPUT_CHECKS=value, INPUT_BLANK="  \n ")
    assert found.text("checks") == "check:\n  - name: a\n    path: /\n"
    assert found.text("blank") is None
    assert found.lines("checks") == ["check:", "- name: a", "path: /"]
    with pytest.raises(UsageError, match="is required"):
        found.text("blank", required=True)


# ---- file paths --------------------------------------------------------------------------------------------
def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"zip")
    return path


def test_a_glob_with_one_match(tmp_path: Path) -> None:
    package = touch(tmp_path / "drop" / "build" / "app.zip")
    touch(tmp_path / "drop" / "notes.txt")
    found = inputs(INPUT_PACKAGE=f"{tmp_path}/**/*.zip")
    assert found.path("package") == package


def test_globstar_matches_the_top_folder_and_hidden_folders(tmp_path: Path) -> None:
    top = touch(tmp_path / "top.zip")
    assert find_matches(f"{tmp_path}/**/*.zip", tmp_path) == (tmp_path, [top])
    hidden = touch(tmp_path / "a" / ".hidden" / "deep.zip")
    assert find_matches("**/*.zip", tmp_path)[1] == sorted([top, hidden])


def test_a_glob_with_no_match_says_where_it_looked(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    found = inputs(INPUT_PACKAGE="**/*.zip", SYSTEM_DEFAULTWORKINGDIRECTORY=str(tmp_path / "work"))
    with pytest.raises(UsageError) as caught:
        found.path("package")
    assert caught.value.message == (
        f"The input 'package' matches no file: nothing matches '**/*.zip' (looked in {tmp_path / 'work'})."
    )


def test_a_glob_with_many_matches_lists_them(tmp_path: Path) -> None:
    first, second = touch(tmp_path / "a" / "one.zip"), touch(tmp_path / "b" / "two.zip")
    with pytest.raises(UsageError) as caught:
        inputs(INPUT_PACKAGE=f"{tmp_path}/**/*.zip").path("package")
    assert f"matches 2: {first}, {second}." in caught.value.message


def test_many_matches_are_listed_up_to_ten(tmp_path: Path) -> None:
    for i in range(12):
        touch(tmp_path / f"p{i:02}.zip")
    with pytest.raises(UsageError, match=r"matches 12: .* and 2 more\."):
        inputs(INPUT_PACKAGE=f"{tmp_path}/*.zip").path("package")


def test_a_folder_is_allowed_only_where_asked(tmp_path: Path) -> None:
    publish = tmp_path / "publish"
    touch(publish / "host.json")
    found = inputs(INPUT_PACKAGE=str(publish), INPUT_CHECKS=str(publish))
    assert found.path("package", folder=True) == publish
    with pytest.raises(UsageError, match=r"must name a file, but .* is a folder"):
        found.path("checks")


def test_relative_paths_start_at_the_default_working_directory(tmp_path: Path) -> None:
    checks = touch(tmp_path / "checks" / "smoke.yaml")
    found = inputs(INPUT_CHECKS="checks/smoke.yaml", SYSTEM_DEFAULTWORKINGDIRECTORY=str(tmp_path))
    assert found.path("checks") == checks


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        inputs(INPUT_CHECKS=str(tmp_path / "nope.yaml")).path("checks")


def test_an_empty_file_path_arrives_as_the_sources_folder_and_means_not_given(
    tmp_path: Path, definition: TaskDefinition
) -> None:
    touch(tmp_path / "app.zip")
    found = inputs(definition, INPUT_PACKAGE=f"{tmp_path}/", BUILD_SOURCESDIRECTORY=str(tmp_path))
    assert found.path_given("package") is None
    with pytest.raises(UsageError) as caught:
        found.path("package", folder=True)
    assert caught.value.message == "The input 'Package or folder' (package) is required."
