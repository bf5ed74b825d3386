"""Logging commands: the agent's escaping (checked by reading the output back with ``tests.vso``,
which unescapes as the agent does), neutralised remote text, masking, and multi-line secrets."""

from __future__ import annotations

import io

import pytest

from slotwise.agent.vso import (
    Vso,
    escape_message,
    escape_property,
    format_command,
    neutral,
    secret_parts,
    worst,
)
from tests import vso

TRICKY = ["plain", "50%", "a;b", "x]y", "two\nlines", "cr\rlf\r\n", "%0A literal", "%AZP25 literal", "%3B;]%"]
PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
    "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhxdXV4cXV1\n"
    "-----END PRIVATE KEY-----\n"
)


def written() -> tuple[Vso, io.StringIO]:
    stream = io.StringIO()
    return Vso(stream), stream


# ---- escaping --------------------------------------------------------------------------------------------
def test_escaping_follows_the_agent_rules() -> None:
    assert escape_property("%\r\n];") == "%AZP25%0D%0A%5D%3B"
    assert escape_message("%\r\n];") == "%AZP25%0D%0A];"
    assert escape_property("%3B") == "%AZP253B"  # a literal escape sequence survives the round trip


@pytest.mark.parametrize("value", TRICKY)
def test_properties_and_messages_round_trip(value: str) -> None:
    line = format_command("task.setvariable", {"variable": "X", "tricky": value}, value)
    assert "\n" not in line
    assert "\r" not in line
    parsed = vso.parse_line(line)
    assert parsed is not None
    assert parsed.name == "task.setvariable"
    assert parsed.properties == {"variable": "X", "tricky": value}
    assert parsed.message == value


def test_each_property_ends_with_a_semicolon_as_task_lib_writes_them() -> None:
    assert (
        format_command("task.complete", {"result": "Failed"}, "no") == "##vso[task.complete result=Failed;]no"
    )
    assert format_command("task.setsecret", None, "v") == "##vso[task.setsecret]v"


# ---- neutral -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "remote",
    [
        "##vso[task.complete result=Succeeded;]done",
        "log: ##vso[task.setvariable variable=X]evil",
        "##VSO[task.complete result=Succeeded;]upper case",
        "#\u200b#vso[task.complete result=Succeeded;]zero width",
        "#\u0301#vso[task.complete]combining mark",
        "#\u2066#vso[task.complete]bidi isolate",
        "###vso[task.complete]three",
        "##[error]a formatting command",
        "first\n##vso[task.complete result=Succeeded;]second line",
    ],
)
def test_remote_text_cannot_inject_a_command(remote: str) -> None:
    text = neutral(remote)
    assert "\n" not in text
    assert "##" not in text
    assert vso.parse(text) == []
    out, stream = written()
    out.line(remote)
    out.logissue("error", remote)
    commands = vso.parse(stream.getvalue())
    assert [c.name for c in commands] == ["task.logissue"]
    assert "##" not in commands[0].message


def test_neutral_drops_control_characters_and_keeps_words() -> None:
    assert neutral("\x1b[31mred\x1b[0m\tand\x00 bell\x07") == "[31mred[0m and bell"
    assert neutral("résumé 100% #1") == "résumé 100% #1"


# ---- the writer ------------------------------------------------------------------------------------------
def test_a_secret_is_registered_before_it_is_masked_everywhere() -> None:
    out, stream = written()
    out.setsecret("hunter2-very-secret")
    out.line("the key is hunter2-very-secret.")
    out.logissue("warning", "key=hunter2-very-secret")
    out.setvariable("Url", "https://x/?code=hunter2-very-secret")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "##vso[task.setsecret]hunter2-very-secret"
    assert all("hunter2" not in line for line in lines[1:])
    assert "the key is ***." in lines


def test_a_multi_line_secret_is_registered_line_by_line() -> None:
    out, stream = written()
    out.setsecret(PEM)
    registered = [c.message for c in vso.named(stream.getvalue(), "task.setsecret")]
    assert registered == [line for line in PEM.splitlines() if not line.startswith("-----")]
    assert all("\n" not in value for value in registered)
    body_line = PEM.splitlines()[1]
    out.line(f"oops: {body_line}")
    assert body_line not in stream.getvalue().split("oops:")[1]


def test_secret_parts() -> None:
    assert secret_parts("one-line") == ["one-line"]
    assert secret_parts("") == []
    assert secret_parts("a-long-line\n\n  another-line  \n") == ["a-long-line", "another-line"]


def test_output_variables_are_one_line_and_inert() -> None:
    out, stream = written()
    out.setvariable("HeldBuild", "build 7\n##vso[task.complete result=Succeeded]")
    (command,) = vso.parse(stream.getvalue())
    assert command.properties == {"variable": "HeldBuild", "isOutput": "true", "issecret": "false"}
    assert "\n" not in command.message
    assert "##vso[" not in command.message


def test_a_multi_line_issue_stays_multi_line_once_read_back() -> None:
    out, stream = written()
    out.logissue("error", "Kudu could not deploy. Kudu's log ends:\n    step 1\n    step 2 (50%)")
    (command,) = vso.parse(stream.getvalue())
    assert command.properties["type"] == "error"
    assert command.message.splitlines() == [
        "Kudu could not deploy. Kudu's log ends:",
        "    step 1",
        "    step 2 (50%)",
    ]


def test_progress_summary_and_completion() -> None:
    out, stream = written()
    out.setprogress(140, "Uploading")
    out.uploadsummary("/tmp/agent/summary.md")
    out.complete("SucceededWithIssues", "done; with issues")
    progress, summary, complete = vso.parse(stream.getvalue())
    assert (progress.properties["value"], progress.message) == ("100", "Uploading")
    assert summary.message == "/tmp/agent/summary.md"
    assert (complete.properties["result"], complete.message) == ("SucceededWithIssues", "done; with issues")


def test_worst_result() -> None:
    assert worst("Succeeded", "SucceededWithIssues") == "SucceededWithIssues"
    assert worst("Failed", "SucceededWithIssues") == "Failed"
    assert worst("Succeeded", "Succeeded") == "Succeeded"


def test_a_secret_output_variable_is_registered_first() -> None:
    out, stream = written()
    out.setvariable("Token", "a-secret-token-value", secret=True)
    register, variable = vso.parse(stream.getvalue())
    assert (register.name, register.message) == ("task.setsecret", "a-secret-token-value")
    assert variable.properties == {"variable": "Token", "isOutput": "true", "issecret": "true"}
    assert variable.message == "a-secret-token-value"
