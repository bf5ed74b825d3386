"""Where a problem in a release spec is, and what it is: ``Location``, ``Problem``, ``Problems``.

A problem names the file, the line and the field (``stages[1].approvals.before.required``) and says
what is wrong and what is allowed there; printed as ``file:line: field: message``. ``Problems``
collects them, so a command reports every problem of every file at once, and raises
``SpecInvalid`` (exit 2) when there is any. ``suggest`` finds near matches for a mistyped name.

Must not: read files, know the spec's schema or meaning, or print.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from slotwise.errors import SpecInvalid

Pointer = tuple[str | int, ...]


def field_name(pointer: Pointer) -> str:
    """``("stages", 1, "name")`` as people write it: ``stages[1].name``; the root: ``(top level)``."""
    text = ""
    for step in pointer:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text or "(top level)"


@dataclass(frozen=True)
class Location:
    """A place in a spec file: the file as the user named it, a 1-based line and the field."""

    file: str
    line: int
    pointer: Pointer = ()

    @property
    def field(self) -> str:
        return field_name(self.pointer)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}"


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake: ``file:line: field: message``."""

    file: str
    line: int
    field: str
    message: str

    @classmethod
    def at(cls, where: Location, message: str) -> Problem:
        return cls(where.file, where.line, where.field, message)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


def suggest(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` (case-insensitively), else ``""``."""
    options = list(choices)
    by_lower = {c.lower(): c for c in options}
    if name.lower() in by_lower:
        return f" (did you mean {by_lower[name.lower()]!r}?)"
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


def listed(choices: Iterable[object]) -> str:
    """``a, b, c``: the allowed values, in the order given."""
    return ", ".join(str(c) for c in choices)


class Problems:
    """The problems found so far; ``raise_if_any`` ends the command with all of them."""

    def __init__(self) -> None:
        self._found: dict[Problem, None] = {}  # ordered and without repeats

    def add(self, where: Location, message: str) -> None:
        self._found.setdefault(Problem.at(where, message), None)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self._found.setdefault(problem, None)

    def __bool__(self) -> bool:
        return bool(self._found)

    def __len__(self) -> int:
        return len(self._found)

    @property
    def sorted(self) -> list[Problem]:
        return sorted(self._found)

    def raise_if_any(self, files: Sequence[str] = ()) -> None:
        """``SpecInvalid`` listing every problem (sorted by file and line), if there is any."""
        if not self._found:
            return
        problems = self.sorted
        count = len(problems)
        involved = len({p.file for p in problems}) if problems else len(files)
        head = (
            f"{count} problem{'s' if count != 1 else ''} in "
            f"{involved} release spec file{'s' if involved != 1 else ''}:"
        )
        raise SpecInvalid("\n".join([head, *(str(p) for p in problems)]), problems=tuple(problems))
