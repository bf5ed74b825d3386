"""Azure Pipelines logging commands (``##vso[area.action k=v;]message``), and the one writer of stdout.

Owns how a task talks to the agent: the agent's escaping (properties: ``%`` → ``%AZP25``, ``\\r`` →
``%0D``, ``\\n`` → ``%0A``, ``]`` → ``%5D``, ``;`` → ``%3B``; the message: ``%``, ``\\r``, ``\\n``,
as azure-pipelines-task-lib escapes them), the commands slotwise uses (``task.setsecret``,
``task.setvariable``, ``task.logissue``, ``task.setprogress``, ``task.uploadsummary``,
``task.complete``), ``neutral`` for text that came from elsewhere, and ``Vso``, through which every
line a task prints goes: masked by the run's ``SecretRegistry`` first, then neutralised, then written.

Why ``neutral``: the agent runs a logging command found *anywhere* in a line it reads, so a Kudu log
line, an HTTP body or an error message echoed as it came could set variables or complete the task.
Every ``##`` is broken up, control and invisible formatting characters are dropped (the agent's
culture-aware search skips zero-width characters, so ``#\\u200b#vso[`` would still match).

Must not: decide what to print (tasks and the reporter do), or print a secret: ``setsecret`` is the
only place a secret's value is written, and only to register it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Literal, TextIO

from slotwise.secrets import SecretRegistry
from slotwise.text import neutral as neutral  # re-exported: the agent's name for the shared rules

Result = Literal["Succeeded", "SucceededWithIssues", "Failed"]
IssueType = Literal["error", "warning"]
RESULT_RANK: dict[Result, int] = {"Succeeded": 0, "SucceededWithIssues": 1, "Failed": 2}
PEM_ARMOUR = "-----"  # BEGIN/END lines of a PEM block: public boilerplate, not worth masking


def escape_property(value: str) -> str:
    """A property value as the agent reads it back (``%`` first, so nothing is escaped twice)."""
    return (
        value.replace("%", "%AZP25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace("]", "%5D")
        .replace(";", "%3B")
    )


def escape_message(value: str) -> str:
    """A command's message (after ``]``) as the agent reads it back."""
    return value.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def format_command(command: str, properties: Mapping[str, str] | None = None, message: str = "") -> str:
    """``##vso[command k=v;k=v;]message``; each property ends with ``;`` as task-lib writes them."""
    props = "".join(f"{key}={escape_property(value)};" for key, value in (properties or {}).items())
    return f"##vso[{command}{' ' + props if props else ''}]{escape_message(message)}"


def neutral_lines(text: str) -> list[str]:
    """Each line of ``text`` neutralised (blank lines kept)."""
    return [neutral(line) for line in text.splitlines()] or [""]


def secret_parts(value: str) -> list[str]:
    """What to register for a secret: the agent refuses a multi-line secret, so each line of one
    (a PEM certificate) is registered on its own; PEM armour lines and blank lines are skipped."""
    lines = value.splitlines()
    if len(lines) <= 1:
        return [value] if value else []
    parts = (line.strip() for line in lines)
    return [part for part in parts if part and not part.startswith(PEM_ARMOUR)]


class Vso:
    """Writes a task's output: plain lines and logging commands, secrets masked, one line at a time.

    Owns the run's ``SecretRegistry``: a secret added to it (by the endpoint reader, or by an
    operation that learned a key) is registered with the agent at once, before it could be printed.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.secrets = SecretRegistry(on_add=self._register)

    # ---- writing -------------------------------------------------------------------------------------
    def _write(self, line: str) -> None:
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def line(self, text: str) -> None:
        """Plain text (one line or several): masked, then each line neutralised."""
        for part in neutral_lines(self.secrets.redact(text)):
            self._write(part)

    def command(self, command: str, properties: Mapping[str, str] | None = None, message: str = "") -> None:
        """A logging command; its properties and message are masked and its message neutralised
        (line by line: a multi-line message stays multi-line, escaped)."""
        redact = self.secrets.redact
        props = {key: redact(value) for key, value in (properties or {}).items()}
        text = "\n".join(neutral_lines(redact(message))) if message else ""
        self._write(format_command(command, props, text))

    # ---- secrets -------------------------------------------------------------------------------------
    def _register(self, value: str) -> None:
        parts = secret_parts(value)
        if parts == [value]:
            self._write(format_command("task.setsecret", message=value))
            return
        for part in parts:  # each line becomes a secret of its own, registered through this hook
            self.secrets.add(part)

    def setsecret(self, value: str) -> None:
        """Mask ``value`` here and in the agent's log from now on."""
        self.secrets.add(value)

    # ---- the commands slotwise uses -------------------------------------------------------------------
    def setvariable(self, name: str, value: str, *, output: bool = True, secret: bool = False) -> None:
        """A variable for later steps (``isOutput``: as ``<step>.<name>``). Values are masked and
        neutralised like any text: a later ``script`` step may echo them."""
        props = {"variable": name, "isOutput": _bool(output), "issecret": _bool(secret)}
        if secret:
            self.setsecret(value)
            self._write(format_command("task.setvariable", props, value))
            return
        self.command("task.setvariable", props, neutral(value))

    def logissue(self, kind: IssueType, message: str) -> None:
        self.command("task.logissue", {"type": kind}, message)

    def setprogress(self, percent: int, message: str = "") -> None:
        self.command("task.setprogress", {"value": str(max(0, min(100, percent)))}, message)

    def uploadsummary(self, path: str) -> None:
        """Attach a markdown file to the run's summary page (the agent uploads it)."""
        self.command("task.uploadsummary", message=path)

    def complete(self, result: Result, message: str) -> None:
        self.command("task.complete", {"result": result}, message)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def worst(a: Result, b: Result) -> Result:
    """The worse of two results."""
    return a if RESULT_RANK[a] >= RESULT_RANK[b] else b
