"""Remedies and their two wordings: the CLI's (a command to paste) and the pipeline tasks' (task inputs
by label and YAML name, never a CLI option), and that no operation's own words name a CLI option.

The pipeline wording's names and labels are checked against tasks/*/task.json; every message and hint
string in the operations (slots/, azure/, agent/, errors.py) is read from the source and checked for
options of the command line, so a new one cannot slip in.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from slotwise.agent import remedies as pipeline
from slotwise.agent.remedies import TaskWording
from slotwise.azure.models import SlotRef
from slotwise.cli import remedies as cli
from slotwise.errors import (
    Action,
    HeldSlotError,
    NotFoundError,
    OperationTimeout,
    Remedy,
    SlotwiseError,
    UsageError,
    advice,
)
from tests import vso

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "slotwise"
COMMANDS = sorted(pipeline.TASKS)
STAGING = SlotRef("rg-demo", "func-demo", "staging")
EVERY = [Remedy(action) for action in Action] + [Remedy.at(action, STAGING, "qa") for action in Action]


def task_json(command: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "tasks" / command / "task.json").read_text(encoding="utf-8"))
    return data


# ---- the two wordings ------------------------------------------------------------------------------------
@pytest.mark.parametrize("remedy", EVERY, ids=str)
def test_the_cli_words_every_remedy_as_a_sentence(remedy: Remedy) -> None:
    said = cli.word(remedy)
    assert said[:1].isupper() or said.startswith("`"), said
    assert said.endswith("."), said


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("remedy", EVERY, ids=str)
def test_the_tasks_word_every_remedy_without_a_cli_option(command: str, remedy: Remedy) -> None:
    said = TaskWording(command)(remedy)
    assert said[:1].isupper(), said
    assert said.endswith("."), said
    assert vso.cli_words(said) == [], said
    assert not re.search(r"(?<![\w-])-[a-z] ", said), said  # nor a short one (-g, -s)


def test_the_cli_names_the_app_and_slot_it_knows() -> None:
    park = Remedy.at(Action.PARK_HELD_BUILD, STAGING, "park")
    assert cli.word(park) == (
        "Keep it and free the slot: `slotwise slot guard -g rg-demo -n func-demo -s staging --mode park` "
        "(moves it to slot 'park'; add --create-park-slot if that slot does not exist)."
    )
    assert cli.word(Remedy(Action.RELEASE_HOLD)) == "Not needed any more: `slotwise slot release-hold`."
    assert cli.word(Remedy.at(Action.COMPLETE_SWAP, STAGING, "production")) == (
        "Complete it: `slotwise slot swap -g rg-demo -n func-demo -s staging --complete`."
    )  # production is the target by default: no --target
    assert cli.word(Remedy.at(Action.COMPLETE_SWAP, STAGING, "qa")).endswith(
        "-s staging --target qa --complete`."
    )
    assert cli.word(Remedy.at(Action.LOOK_AT_SLOTS, STAGING)) == (
        "`slotwise slot status -g rg-demo -n func-demo` shows the slots."
    )


def test_the_tasks_say_this_task_for_its_own_inputs_and_name_the_task_for_others() -> None:
    park = Remedy.at(Action.PARK_HELD_BUILD, STAGING, "park")
    in_guard = TaskWording("guard-against-overwrite")(park)
    assert in_guard.startswith(
        "Keep it and free the slot: set *When the slot is held* to *Park the held build in another slot* "
        "(`mode: park`) on this task."
    )
    assert (
        "check *Create the park slot if it does not exist* (`createParkSlot: true`) on this task" in in_guard
    )
    in_deploy = TaskWording("deploy-to-slot")(park)
    assert in_deploy.startswith(
        "Keep it and free the slot: run the *slotwise: Guard against overwrite* task "
        "(`SlotwiseGuardAgainstOverwrite@1`) for slot 'staging' before this one and set *When the slot is "
        "held* to *Park the held build in another slot* (`mode: park`)."
    )
    overwrite = Remedy.at(Action.ALLOW_OVERWRITE, STAGING)
    assert "(`allowOverwrite: true`) on this task;" in TaskWording("deploy-to-slot")(overwrite)
    assert "on the *slotwise: Deploy to slot* task (`SlotwiseDeployToSlot@1`)" in TaskWording(
        "guard-against-overwrite"
    )(overwrite)


def test_the_swap_task_words_the_phases_as_its_action_input() -> None:
    swap = TaskWording("slot-swap")
    assert swap(Remedy.at(Action.COMPLETE_SWAP, STAGING, "qa")) == (
        "Complete it: set *Action* to *Complete swap with preview* (`swapAction: complete`) on this task "
        "for source slot 'staging' and target slot 'qa'."
    )
    assert swap(Remedy.at(Action.CANCEL_SWAP, STAGING, "production")) == (
        "Cancel it: set *Action* to *Cancel swap with preview* (`swapAction: cancel`) on this task for "
        "source slot 'staging'."
    )
    assert swap(Remedy.at(Action.ROLL_BACK, STAGING)) == (
        "Roll back: swap slot 'staging' with production again, with this task with `sourceSlot: staging` "
        "and *Action* *Swap* (`swapAction: swap`)."
    )
    assert "(`rollbackOnFailure: true`) on this task" in swap(Remedy(Action.ROLLBACK_ON_FAILURE))


@pytest.mark.parametrize(
    ("command", "name"),
    [("deploy-to-slot", "timeoutMinutes"), ("slot-swap", "timeoutMinutes"),
     ("guard-against-overwrite", "waitTimeoutMinutes"), ("smoke-test", "timeoutSeconds")],
)  # fmt: skip
def test_more_time_is_the_running_task_s_own_timeout(command: str, name: str) -> None:
    assert f"(`{name}`) of this task" in TaskWording(command)(Remedy(Action.RAISE_TIMEOUT))


def test_the_names_and_labels_are_those_of_task_json() -> None:
    for command, (name, friendly) in pipeline.TASKS.items():
        task = task_json(command)
        assert (task["name"], task["friendlyName"]) == (name, friendly)
    for (command, name), label in pipeline.INPUTS.items():
        (spec,) = [spec for spec in task_json(command)["inputs"] if spec["name"] == name]
        assert spec["label"] == label, (command, name)
    for (command, name, option), label in pipeline.OPTIONS.items():
        (spec,) = [spec for spec in task_json(command)["inputs"] if spec["name"] == name]
        assert spec["options"][option] == label, (command, name, option)
    for command, name in [*pipeline.SLOT_INPUT.items(), *pipeline.TIMEOUTS.items()]:
        assert (command, name) in pipeline.INPUTS


# ---- advice: the hint, then the remedies ----------------------------------------------------------------
def test_advice_is_the_hint_then_each_remedy_in_the_face_s_words() -> None:
    error = SlotwiseError("x", hint="Do not run it again.", remedies=(Remedy.at(Action.ROLL_BACK, STAGING),))
    assert (
        cli.advice(error)
        == "Do not run it again. Roll back: `slotwise slot rollback -g rg-demo -n func-demo`."
    )
    assert pipeline.advice(error, "slot-swap").startswith(
        "Do not run it again. Roll back: swap slot 'staging'"
    )
    assert advice(SlotwiseError("x"), cli.word) == ""


def test_a_class_s_advice_stands_unless_the_raiser_gives_its_own() -> None:
    held = HeldSlotError("held")
    assert [r.action for r in held.remedies] == [
        Action.PARK_HELD_BUILD,
        Action.RELEASE_HOLD,
        Action.ALLOW_OVERWRITE,
    ]
    assert held.hint == ""
    assert OperationTimeout("slow").hint == "It may still be going on."
    assert [r.action for r in UsageError("bad").remedies] == [Action.SEE_USAGE]
    own = NotFoundError("no park slot", remedies=(Remedy(Action.CREATE_PARK_SLOT),))
    assert (own.hint, own.remedies) == ("", (Remedy(Action.CREATE_PARK_SLOT),))  # not "Check the names"
    assert NotFoundError("gone", hint="Look.").remedies == ()


# ---- no operation names a CLI option ---------------------------------------------------------------------
CLI_FACE_ONLY = {
    # what only the CLI face ever says: the emulator's port, `python -m slotwise.agent`'s usage
    ("errors.py", "Pick another port with --port, or check that the state directory is writable."),
    ("agent/__main__.py", "} [<taskDir>] | --version"),
}


def _strings(path: Path) -> list[str]:
    """Every string literal (f-string parts joined) of ``path`` but docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append("".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.append(node.value)
    return found


@pytest.mark.parametrize(
    "path",
    [p for part in ("slots", "azure", "agent") for p in sorted((SRC / part).glob("*.py"))]
    + [SRC / "errors.py"],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_no_message_or_hint_of_an_operation_names_a_cli_option(path: Path) -> None:
    where = str(path.relative_to(SRC))
    told = [
        text
        for text in _strings(path)
        if vso.cli_words(text)
        and not any(where == file and fragment in text for file, fragment in CLI_FACE_ONLY)
        and text != "--version"  # python -m slotwise.agent --version
    ]
    assert told == [], f"{where} names CLI options outside cli/remedies.py: {told}"
