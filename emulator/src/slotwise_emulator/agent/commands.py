"""``##vso`` logging commands as the agent reads them from a task's output, and the secret masker.

Owns: finding ``##vso[area.event key=value;...]message`` anywhere in a line (as the agent does, so
echoed remote text can inject commands), unescaping properties (``%AZP25`` ``%0D`` ``%0A`` ``%5D``
``%3B``) and the message (``%AZP25`` ``%0D`` ``%0A``), and masking registered secrets as ``***``.

Must not: act on a command (the task process does), run anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PREFIX = "##vso["
MASK = "***"
_PROPERTY_ESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%3B", ";"), ("%AZP25", "%"))
_MESSAGE_ESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%AZP25", "%"))


@dataclass(frozen=True)
class Command:
    """One logging command: ``area`` and ``event`` lower-cased, property keys lower-cased (the agent
    compares them ignoring case), values and message unescaped."""

    area: str
    event: str
    properties: dict[str, str] = field(default_factory=dict)
    message: str = ""

    @property
    def name(self) -> str:
        return f"{self.area}.{self.event}"

    def flag(self, key: str) -> bool:
        """A boolean property as the agent reads it (``true``, ignoring case)."""
        return self.properties.get(key, "").strip().lower() == "true"


class CommandError(ValueError):
    """A line holds ``##vso[`` but no well-formed command (the agent warns and goes on)."""


def parse(line: str) -> Command | None:
    """The command in ``line``, ``None`` when it holds none; ``CommandError`` when it is malformed."""
    start = line.find(PREFIX)
    if start < 0:
        return None
    body = line[start + len(PREFIX) :]
    end = body.find("]")
    if end < 0:
        raise CommandError("no ']' closes the command")
    head, message = body[:end], body[end + 1 :]
    name, _, rest = head.strip().partition(" ")
    area, dot, event = name.partition(".")
    if not dot or not area or not event:
        raise CommandError(f"'{name}' is not area.event")
    properties: dict[str, str] = {}
    for pair in rest.split(";"):
        if not pair.strip():
            continue
        key, equals, value = pair.partition("=")
        if equals and key.strip():
            properties[key.strip().lower()] = unescape_property(value)
    return Command(area.lower(), event.lower(), properties, unescape_message(message))


def unescape_property(value: str) -> str:
    for escaped, plain in _PROPERTY_ESCAPES:
        value = value.replace(escaped, plain)
    return value


def unescape_message(value: str) -> str:
    for escaped, plain in _MESSAGE_ESCAPES:
        value = value.replace(escaped, plain)
    return value


class SecretMasker:
    """The values to hide; ``mask`` replaces each (longest first) with ``***``. Empty values are
    ignored (the agent does too); a multi-line value is refused (as the agent refuses it)."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str) -> None:
        """Register a secret; ``ValueError`` for a multi-line one."""
        if "\n" in value or "\r" in value:
            raise ValueError("a secret may not span several lines")
        if value.strip():
            self._values.add(value)

    def mask(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text

    def __contains__(self, value: object) -> bool:
        return value in self._values
