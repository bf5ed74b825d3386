"""The small JSON path language of smoke checks: ``$``, ``.name``, ``['name']``, ``[n]``.

``$`` is the document; ``.name`` (letters, digits, ``_``, ``-``, ``$``) or ``['any name']`` /
``["any name"]`` picks an object's field; ``[n]`` picks a list element, negative from the end. That
is all a smoke check needs to pin a value (``$.items[0].id``), so no library is pulled in for it:
no filters, wildcards or recursive descent, and mistakes are reported with their position.

Owns parsing (``parse_path``), looking up (``lookup``) and JSON-faithful equality (``json_equal``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Step = str | int

_NAME = re.compile(r"[A-Za-z0-9_$-]+")
_INDEX = re.compile(r"\[(-?\d+)\]")
_QUOTED = re.compile(r"""\[\s*(?P<q>['"])(?P<name>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*\]""")


def parse_path(text: str) -> tuple[Step, ...]:
    """The steps of ``text``; a ``ValueError`` says what is wrong and where."""
    if not text.startswith("$"):
        raise ValueError("a JSON path starts with '$' (the whole body), e.g. $.items[0].id")
    steps: list[Step] = []
    position = 1
    while position < len(text):
        char = text[position]
        if char == ".":
            name = _NAME.match(text, position + 1)
            if name is None:
                raise ValueError(f"expected a field name after '.' at position {position + 1} of {text!r}")
            steps.append(name.group())
            position = name.end()
        elif char == "[":
            index = _INDEX.match(text, position)
            quoted = _QUOTED.match(text, position)
            if index is not None:
                steps.append(int(index.group(1)))
                position = index.end()
            elif quoted is not None:
                steps.append(re.sub(r"\\(.)", r"\1", quoted.group("name")))
                position = quoted.end()
            else:
                raise ValueError(
                    f"expected [number] or ['name'] at position {position + 1} of {text!r} "
                    "(filters and wildcards are not supported)"
                )
        else:
            raise ValueError(f"unexpected {char!r} at position {position + 1} of {text!r}")
    return tuple(steps)


@dataclass(frozen=True)
class Lookup:
    """What a path found: the value, or the longest prefix that exists (``found`` False)."""

    found: bool
    value: Any = None
    missing_at: str = ""  # the first step that is missing, rendered as a path


def lookup(document: Any, steps: tuple[Step, ...]) -> Lookup:
    """Follow ``steps`` into ``document``."""
    value = document
    for depth, step in enumerate(steps):
        in_list = isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value)
        in_object = isinstance(step, str) and isinstance(value, dict) and step in value
        if in_list or in_object:
            value = value[step]
        else:
            return Lookup(False, missing_at=render(steps[: depth + 1]))
    return Lookup(True, value)


def render(steps: tuple[Step, ...]) -> str:
    """A path for people: ``$.items[0]['odd name']``."""
    parts = ["$"]
    for step in steps:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _NAME.fullmatch(step):
            parts.append(f".{step}")
        else:
            escaped = step.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f"['{escaped}']")
    return "".join(parts)


def json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON means it: ``1 == 1.0`` but ``true != 1``; objects and lists compared deeply."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and bool(left == right)
