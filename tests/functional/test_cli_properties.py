"""Any command line of ``slotwise slot <command>`` ends with a documented exit code and no traceback:
options generated from each command's own click parameters, run through CliRunner against the live
emulator (loopback only), one emulator per command, a few dozen command lines each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise.cli.main import cli
from slotwise.cli.slot import COMMANDS, slot
from slotwise_emulator import Emulator
from tests.functional.deploying import deploy_build
from tests.packages import SMOKE_CHECKS, broken_build, good_build

# README "Exit codes"; 1 (generic) and 9 (emulator) are not answers to a command line's values
DOCUMENTED = {0, 2, 3, 4, 5, 6, 7, 8, 10}
FEW = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# "nan" is pinned below (test_not_a_number...), not drawn: it fails today, outside this helper's files
NUMBERS = (["1", "2.5", "30"], ["0", "-1", "abc", "", "1e-9", "1e400"])
NAMES = ["", "no-such", "a/b", "a b", "%2e%2e", "..", "x" * 300, "Ünïcode", "-g", "staging?x=1", "#", "\n"]
VALID = {"resource_group": ["rg-demo"], "app": ["func-demo"], "slot": ["staging", "production"],
         "target": ["production", "staging"], "park_slot": ["park"],
         "subscription": ["00000000-0000-0000-0000-000000000000"]}  # fmt: skip
VALID_FILES = {"smoke_checks": ["checks"], "checks": ["checks"], "package": ["good", "broken", "folder"],
               "junit": ["out"], "markdown": ["out"]}  # fmt: skip
SKIPPED = {"help", "version"}
# a real wait on the wall clock (a hold lasts days): the property is about values, not about waiting
NOT_GENERATED = {("guard", "mode"): ["wait"]}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    checks = tmp_path / "checks.yaml"
    checks.write_text(SMOKE_CHECKS, encoding="utf-8")
    broken = tmp_path / "bad.yaml"
    broken.write_text("checks:\n  - name: x\n    pathh: /\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "readme.txt").write_text("not an app", encoding="utf-8")
    return {
        "checks": str(checks),
        "bad": str(broken),
        "good": str(good_build(tmp_path / "good.zip", "7")),
        "broken": str(broken_build(tmp_path / "broken.zip", "8")),
        "folder": str(tmp_path / "folder"),
        "missing": str(tmp_path / "missing.zip"),
        "dir": str(tmp_path),
        "out": str(tmp_path / "out" / "report.xml"),
    }


@pytest.fixture
def app_in_emulator(emulator: Emulator, slot_env: dict[str, str], arm_token: str, tmp_path: Path) -> None:
    """func-demo running build 1 in production and build 2 in staging."""
    emulator.create_function_app("rg-demo", "func-demo", slots=("staging",))
    deploy_build(emulator, arm_token, tmp_path, "production", "1")
    deploy_build(emulator, arm_token, tmp_path, "staging", "2")


def value_of(command: str, param: click.Parameter, files: dict[str, str]) -> tuple[list[Any], list[Any]]:
    """(valid values, wrong values) for one option: each kind of wrong one its type allows."""
    kind, name = param.type, param.name or ""
    if isinstance(param, click.Option) and param.is_flag:
        return [True, False], []
    if isinstance(kind, click.Choice):
        left_out = NOT_GENERATED.get((command, name), [])
        return [c for c in kind.choices if c not in left_out], ["bogus", ""]
    if isinstance(kind, (click.FloatRange, click.IntRange)):
        return list(NUMBERS[0]), list(NUMBERS[1])
    if isinstance(kind, click.Path):
        valid = [files[key] for key in VALID_FILES.get(name, [])]
        return valid or list(files.values()), [v for v in files.values() if v not in valid]
    if name == "subscription":
        return VALID[name], ["not-a-guid", ""]
    return VALID.get(name, ["x1"]), NAMES


@st.composite
def option_value(draw: st.DrawFn, valid: list[Any], wrong: list[Any]) -> Any:
    """Mostly a valid value (so that commands get far), sometimes a wrong one or any text."""
    roll = draw(st.integers(0, 9))
    if roll < 8 or not wrong:
        return draw(st.sampled_from(valid))
    if roll == 8:
        return draw(st.sampled_from(wrong))
    return draw(st.text(st.characters(blacklist_characters="\x00"), max_size=12))


@st.composite
def command_lines(draw: st.DrawFn, command: str, files: dict[str, str]) -> list[str]:
    found = slot.get_command(click.Context(slot), command)
    assert found is not None
    args = ["slot", command]
    for param in found.params:
        if not isinstance(param, click.Option) or param.name in SKIPPED:
            continue
        present = draw(st.integers(0, 19)) < (19 if param.required else 6)
        if not present:
            continue
        value = draw(option_value(*value_of(command, param, files)))
        flag = param.opts[-1]
        if value is True:
            args.append(flag)
        elif value is not False:
            args += [flag, value]
    return args


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_any_command_line_ends_with_a_documented_exit_code_and_no_traceback(
    command: str, app_in_emulator: None, files: dict[str, str]
) -> None:
    @FEW
    @given(command_lines(command, files))
    def run(args: list[str]) -> None:
        result = CliRunner().invoke(cli, args)
        where = f"slotwise {' '.join(args)}\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), where
        assert result.exit_code in DOCUMENTED, where
        assert "Traceback" not in result.output, where

    run()


# Found by the property above: click's FloatRange accepts "nan" (every comparison with NaN is false),
# so NaN reached the operations; every number option is now cli.context.Number, which refuses it.
NOT_A_NUMBER = [
    ["swap", "-s", "staging", "--hold-days", "nan"],  # swapped, then ValueError: the hold is never recorded
    ["smoke", "-s", "staging", "--checks", "CHECKS", "--timeout", "nan"],  # ValueError from the HTTP client
    ["swap", "-s", "staging", "--timeout", "nan"],  # exit 0: the timeout is silently "never"
    ["deploy", "-s", "staging", "--package", "GOOD", "--timeout", "nan"],  # exit 0, likewise
    ["status", "--hold-days", "nan"],  # exit 0: holds of other tools' swaps never expire
]


@pytest.mark.parametrize("args", NOT_A_NUMBER, ids=lambda a: " ".join(a[:1] + a[-2:]))
def test_not_a_number_is_refused_as_a_bad_option(
    args: list[str], app_in_emulator: None, files: dict[str, str]
) -> None:
    line = [files["checks"] if a == "CHECKS" else files["good"] if a == "GOOD" else a for a in args]
    result = CliRunner().invoke(cli, ["slot", *line, "-g", "rg-demo", "-n", "func-demo"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2, result.output
    assert "nan" in result.output.lower()
