"""Reading a task's stdout as the Azure Pipelines agent does: the ``##vso[...]`` logging commands.

Independent of ``slotwise.agent.vso`` on purpose (tests must not check the writer with itself): the
agent finds ``##vso[`` anywhere in a line, reads ``area.action`` up to the first space or ``]``,
then ``k=v`` properties separated by ``;`` up to the first ``]``, and the rest of the line is the
message. Escapes are undone as the agent does (``%AZP25`` last, so ``%AZP250A`` stays ``%0A``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PREFIX = "##vso["
_PROPERTY_ESCAPES = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%AZP25", "%"))
_MESSAGE_ESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%AZP25", "%"))


def unescape(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for escaped, plain in escapes:
        text = text.replace(escaped, plain)
    return text


@dataclass(frozen=True)
class Command:
    """One logging command: ``task.setvariable``, its properties and its message, unescaped."""

    name: str
    properties: dict[str, str] = field(default_factory=dict)
    message: str = ""
    line: str = ""


def parse_line(line: str) -> Command | None:
    """The command in ``line``, or None if it has none (the agent looks anywhere in the line)."""
    start = line.find(PREFIX)
    if start < 0:
        return None
    rest = line[start + len(PREFIX) :]
    end = rest.find("]")
    if end < 0:
        return None
    head, message = rest[:end], rest[end + 1 :]
    name, _, props = head.partition(" ")
    properties: dict[str, str] = {}
    for item in props.split(";"):
        if not item.strip():
            continue
        key, _, value = item.partition("=")
        properties[key.strip()] = unescape(value, _PROPERTY_ESCAPES)
    return Command(name.strip().lower(), properties, unescape(message, _MESSAGE_ESCAPES), line)


def parse(stdout: str) -> list[Command]:
    """Every logging command in ``stdout``, in order (lines split as the agent reads them)."""
    found = (parse_line(line) for line in stdout.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return [command for command in found if command is not None]


def named(stdout: str, name: str) -> list[Command]:
    return [command for command in parse(stdout) if command.name == name.lower()]


def outputs(stdout: str) -> dict[str, str]:
    """The output variables set (``task.setvariable`` with ``isOutput=true``), last value wins."""
    return {
        c.properties["variable"]: c.message
        for c in named(stdout, "task.setvariable")
        if c.properties.get("isOutput", "").lower() == "true"
    }


def issues(stdout: str, kind: str) -> list[str]:
    return [c.message for c in named(stdout, "task.logissue") if c.properties.get("type") == kind]


def completion(stdout: str) -> Command:
    """The one ``task.complete``, which must be the last logging command."""
    commands = parse(stdout)
    completes = [c for c in commands if c.name == "task.complete"]
    assert len(completes) == 1, f"expected one task.complete, got {len(completes)}"
    assert commands[-1] is completes[0], "task.complete must be the last logging command"
    return completes[0]


def plain_lines(stdout: str) -> list[str]:
    """The lines that are not logging commands."""
    return [line for line in stdout.splitlines() if PREFIX not in line]


# A command line of the CLI face in a task's log: an option (``--complete``, ``--mode``) or a
# ``slotwise <command>``. Pipeline users are told task inputs instead (``slotwise.agent.remedies``).
_CLI_WORDS = re.compile(r"(?<![\w-])--[a-z][a-z-]*|\bslotwise (?:slot|emulator|demo)\b")


def cli_words(stdout: str) -> list[str]:
    """The CLI options and commands a task's log shows (``task.setsecret`` lines aside: values)."""
    shown = (line for line in stdout.splitlines() if "##vso[task.setsecret" not in line)
    return [f"{match.group(0)!r} in: {line.strip()}" for line in shown for match in _CLI_WORDS.finditer(line)]
