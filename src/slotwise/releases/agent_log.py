"""A task's log line as a person reads it in a terminal.

The Azure Pipelines agent writes each line of a task's log with a timestamp
(``2026-12-02T14:42:10.1234567Z ``) and marks some with a format prefix: ``##[section]`` (the agent's
"Starting:"/"Finishing:" lines), ``##[command]``, ``##[error]``, ``##[warning]``, ``##[debug]``,
``##[group]``/``##[endgroup]``. Printed as they are, the prefixes read as noise (and slotwise's output
neutralises ``##`` so a log reader never takes them for commands). ``readable`` turns a line into
words: ``error: ...``, ``warning: ...``, ``> command``, the section's text; ``noteworthy`` says
whether a line is worth one of the few lines ``--watch`` shows (not the agent's own section, group
and debug lines).

Must not: read anything, or drop words of a line it keeps.
"""

from __future__ import annotations

import re

_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ")
_PREFIX = re.compile(r"^##\[(section|command|error|warning|debug|group|endgroup)\]", re.IGNORECASE)
_WORDS = {"error": "error: ", "warning": "warning: ", "command": "> ", "debug": "debug: "}
_QUIET = frozenset({"section", "debug", "group", "endgroup"})


def _split(line: str) -> tuple[str, str]:
    text = _STAMP.sub("", line, count=1)
    found = _PREFIX.match(text)
    if found is None:
        return "", text
    return found.group(1).lower(), text[found.end() :]


def readable(line: str) -> str:
    """The line without its timestamp, its format prefix as a word (``##[error]x`` → ``error: x``)."""
    kind, text = _split(line)
    return _WORDS.get(kind, "") + text


def noteworthy(line: str) -> bool:
    """Whether the line says something about the task itself (not the agent's framing lines)."""
    kind, text = _split(line)
    return kind not in _QUIET and bool(text.strip())
