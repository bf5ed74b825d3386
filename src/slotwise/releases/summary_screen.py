"""The summaries a stage's tasks uploaded (``##vso[task.uploadsummary]`` markdown), for a terminal.

A stage of the article's flow uploads one summary per task (guard, deploy, smoke test), and each
ends with the same sections about the app ("What runs where", "Rollback"), true at the moment that
task ended. An approver needs each task's own part once, and those shared sections once, as the
last task left them. ``screen`` splits each summary at its headings, keeps of every section title
only its last occurrence across the stage's summaries, and writes markdown as plain text: headings
as titles (no ``#``, which a log reader would take for the start of a command), ``**bold**`` as
plain words, ``\\_`` escapes undone; tables stay as they are (they read well as text).

Must not: read anything (the summaries are given), or change the words of a summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")


@dataclass(frozen=True)
class _Section:
    level: int  # 0: the text before the first heading
    title: str
    body: tuple[str, ...]


def _sections(markdown: str) -> list[_Section]:
    sections: list[_Section] = []
    level, title, body = 0, "", []
    for line in markdown.splitlines():
        found = _HEADING.match(line)
        if found is None:
            body.append(line)
            continue
        if title or any(b.strip() for b in body):
            sections.append(_Section(level, title, tuple(body)))
        level, title, body = len(found.group(1)), found.group(2), []
    if title or any(b.strip() for b in body):
        sections.append(_Section(level, title, tuple(body)))
    return sections


def _plain(line: str) -> str:
    if line.lstrip().startswith("|"):
        return line  # a table row: its escapes keep the cells apart
    return _ESCAPE.sub(r"\1", _BOLD.sub(r"\1", line))


def _trimmed(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def screen(summaries: Sequence[tuple[str, str]]) -> list[str]:
    """The stage's summaries ``(name, markdown)``, in upload order, as lines for a terminal: each
    summary's title, then its sections; a section whose title a later summary repeats is left to
    that one."""
    parsed = [(name, _sections(markdown)) for name, markdown in summaries]
    last: dict[str, int] = {}
    for index, (_, sections) in enumerate(parsed):
        for section in sections:
            if section.level > 2:
                last[section.title] = index
    lines: list[str] = []
    for index, (name, sections) in enumerate(parsed):
        if not any(s.level and s.level <= 2 for s in sections):
            lines.append(f"  --- {name} ---")  # no title of its own: its attachment's name
        for section in sections:
            if section.level > 2 and last[section.title] != index:
                continue
            body = _trimmed([_plain(line) for line in section.body])
            if section.level > 2:
                lines += [f"  {_plain(section.title)}:", *(f"    {line}" if line else "" for line in body)]
                continue
            if section.level:
                lines.append(f"  --- {_plain(section.title)} ---")
            lines += [f"  {line}" if line else "" for line in body]
    return lines
