"""Any ``INPUT_*`` value gives a typed value or one clear error naming the input: properties of
``TaskInputs`` over every input of the four task.json files, read as the tasks read them.

Values are what the agent can pass: any text without NUL (an environment variable cannot hold one).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from slotwise.agent.inputs import TaskInputs, input_variable
from slotwise.agent.taskdef import TaskDefinition
from slotwise.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]
DEFINITIONS = {
    folder.name: TaskDefinition.load(folder)
    for folder in sorted((ROOT / "tasks").iterdir())
    if (folder / "task.json").is_file()
}
INPUTS = sorted((task, found.name) for task, d in DEFINITIONS.items() for found in d.inputs.values())
FEW = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VALUES = st.text(st.characters(blacklist_characters="\x00"), max_size=40) | st.sampled_from(
    ["true", "TRUE", "False", "1", "0", "-1", "1e999", "nan", "inf", "-0", "0.5", "1440", "1441", "٣",
     "~", "~nobody-at-all/x.zip", "x" * 5000, "a/**b", "**", "[", "[!", "*.zip", "**/*.zip", "..", "/",
     "$(System.DefaultWorkingDirectory)", "line one\nline two", "\n##vso[task.setvariable variable=x]y"]
)  # fmt: skip


def outcome(read: Callable[[], Any]) -> Any:
    """What a reader gives: its value or its UsageError (anything else fails the test)."""
    try:
        return read()
    except UsageError as error:
        return error


Reader = tuple[Callable[[], Any], Callable[[Any], bool]]


def _text(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == value.strip() and value != "")


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def readers(found: TaskInputs, name: str, kind: str, options: tuple[str, ...]) -> list[Reader]:
    """Every way a task reads an input of this type (numbers: as the tasks read their number inputs),
    each with what its value must be."""
    common: list[Reader] = [
        (lambda: found.string(name), _text),
        (lambda: found.required(name), lambda v: _text(v) and v is not None),
    ]
    if kind == "boolean":
        is_bool = lambda v: isinstance(v, bool)  # noqa: E731
        return [*common, (lambda: found.boolean(name), is_bool), (lambda: found.boolean(name, True), is_bool)]
    if kind == "filePath":
        is_file = lambda v: isinstance(v, Path) and v.is_file()  # noqa: E731
        return [
            *common,
            (lambda: found.path(name), is_file),
            (lambda: found.path(name, folder=True), Path.exists),
        ]
    if kind == "multiLine":
        return [
            *common,
            (lambda: found.text(name), lambda v: v is None or (isinstance(v, str) and v.endswith("\n"))),
            (lambda: found.lines(name), lambda v: all(line and line == line.strip() for line in v)),
        ]
    if options:
        return [*common, (lambda: found.choice(name, options), lambda v: v in options)]
    return [
        *common,
        (lambda: found.number(name, default=20, minimum=1, maximum=1440), lambda v: _finite(v) and v <= 1440),
        (lambda: found.number(name, default=30, minimum=0.1, maximum=230), lambda v: _finite(v) and v <= 230),
        (lambda: found.integer(name, default=16, minimum=1, maximum=256), lambda v: type(v) is int),
        (lambda: found.number(name, default=7, minimum=0), lambda v: _finite(v) and v >= 0),
    ]  # fmt: skip


@FEW
@given(st.sampled_from(INPUTS), VALUES)
@example(("deploy-to-slot", "package"), "~nobody-at-all/x.zip")
@example(("deploy-to-slot", "package"), "x" * 5000)
@example(("smoke-test", "checksFile"), "x" * 300 + "/" + "y" * 300)
def test_any_value_of_any_input_is_typed_or_one_error_naming_the_input(
    tmp_path_factory: pytest.TempPathFactory, which: tuple[str, str], value: str
) -> None:
    task, name = which
    definition = DEFINITIONS[task]
    found_def = definition.get(name)
    assert found_def is not None
    work = tmp_path_factory.mktemp("work")
    (work / "drop").mkdir()
    (work / "drop" / "app.zip").write_bytes(b"PK")
    env = {input_variable(name): value, "SYSTEM_DEFAULTWORKINGDIRECTORY": str(work)}
    found = TaskInputs(env, definition)
    for read, typed in readers(found, name, found_def.type, found_def.options):
        result = outcome(read)
        if isinstance(result, UsageError):
            assert definition.describe(name) in result.message
            assert len(result.message) < 1000
        else:
            assert typed(result), result


@pytest.mark.parametrize("value", ["~nobody-at-all/app.zip", "x" * 5000, "d/" + "x" * 300 + "/app.zip"])
def test_a_path_that_cannot_be_looked_at_is_one_error_naming_the_input(tmp_path: Path, value: str) -> None:
    found = TaskInputs({"INPUT_PACKAGE": value, "SYSTEM_DEFAULTWORKINGDIRECTORY": str(tmp_path)})
    with pytest.raises(UsageError) as raised:
        found.path("package", folder=True)
    assert "The input 'package'" in raised.value.message
    assert len(raised.value.message) < 1000
