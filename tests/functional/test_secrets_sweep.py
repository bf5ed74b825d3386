"""The secrets sweep sees every kind of output: a pytest run (pytester, in-process) whose tests leak
one issued secret each, in every place the sweep covers, fails each of them naming where and the
secret's kind and first 4 characters, and never prints a secret itself. Masking commands and clean
output pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytest_plugins = ("pytester",)

CONFTEST = """
from tests.conftest import arm_token, credential, emulator, function_app
from tests.secrets_sweep import pytest_runtest_makereport, secrets_witness, tmp_path
"""

LEAKING = '''
import logging
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner


def leak(value):
    """Note what this test leaks, for the outer test to check the run's output for it."""
    with Path("leaked.txt").open("a") as out:
        out.write(value + "\\n")
    return value


def test_stdout(emulator):
    print("the secret is", leak(emulator.client_secret))


def test_stderr_of_a_subprocess_on_the_inherited_descriptor(emulator):
    subprocess.run([sys.executable, "-c", f"import sys; sys.stderr.write({leak(emulator.client_secret)!r})"])


def test_captured_subprocess_output(emulator):
    code = f"print('##vso[task.setvariable variable=x]' + {leak(emulator.client_secret)!r})"
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_cli_output(emulator, arm_token):
    command = click.command()(lambda: click.echo(f"token: {leak(arm_token)}", err=True))
    CliRunner().invoke(command, [])


def test_log(emulator, function_app):
    key = emulator.call(lambda b: b.web.secrets()[0])
    logging.getLogger("slotwise").warning("key %s", leak(key))


def test_junit_file(emulator, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "junit.xml").write_text(f"<failure message='{leak(emulator.client_secret)}'/>")


def test_exception_message(emulator):
    raise RuntimeError(f"refused {leak(emulator.client_secret)}")


def test_url_encoded(emulator, function_app):
    from urllib.parse import quote

    key = next(k for k in emulator.call(lambda b: b.web.secrets()) if quote(k, safe="") != k)
    leak(quote(key, safe=""))
    print("https://x/?code=" + leak(quote(key, safe="")) + "&k=" + leak(key)[:4])


def test_masking_commands_are_not_leaks(emulator, arm_token):
    print(f"##vso[task.setsecret]{arm_token}")
    print(f"##vso[task.setvariable variable=t;issecret=true]{arm_token}")


def test_clean_output_passes(emulator, tmp_path):
    print("swapped staging with production")
    (tmp_path / "summary.md").write_text("# all good")
'''


def test_the_sweep_fails_every_leak_naming_where_and_never_prints_the_secret(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_leaks=LEAKING)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    # in a subprocess: an in-process run would log the inner tests' records into this test's capture
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    secret_lines = {
        "test_stdout": "client secret",
        "test_stderr_of_a_subprocess_on_the_inherited_descriptor": "client secret",
        "test_captured_subprocess_output": "client secret",
        "test_cli_output": "token",
        "test_log": "key",
        "test_junit_file": "client secret",
        "test_exception_message": "client secret",
        "test_url_encoded": "key",
    }
    result.assert_outcomes(failed=len(secret_lines), passed=2)
    output = result.stdout.str()
    leaked = (pytester.path / "leaked.txt").read_text().split()
    for name, kind in secret_lines.items():
        assert f"FAILED test_leaks.py::{name}" in output
        section = re.split(r"\n_{3,} \S+ _{3,}\n", output.split(f" {name} ___", 1)[1])[0]
        assert f"secrets sweep: {kind} " in section, name
    places = [
        "Captured stdout call",
        "Captured stderr call",
        "output of subprocess python",
        "CliRunner output of",
        "Captured log call",
        "the file out/junit.xml (in tmp_path)",
        "the failure's message",
    ]
    for place in places:
        assert f"appeared in {place}" in output, place
    for kind in ("client secret", "token", "key"):
        assert f"secrets sweep: {kind} " in output
    for value in leaked:
        assert value not in output  # named by 4 characters, redacted everywhere else
