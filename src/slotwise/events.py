"""How operations tell the person or pipeline running them what is happening.

A ``Reporter`` receives steps ("Deploying build 42 to staging"), details, byte progress and
warnings. The CLI prints them; the pipeline face turns them into ``##vso`` commands. Operations never
print. ``NullReporter`` swallows everything; ``RecordingReporter`` keeps it (tests, summaries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Reporter(Protocol):
    def step(self, message: str) -> None:
        """A new phase of the operation."""

    def detail(self, message: str) -> None:
        """Something worth knowing inside the current phase."""

    def progress(self, done: int, total: int | None, unit: str = "bytes") -> None:
        """How far a long transfer or wait has come."""

    def warning(self, message: str) -> None:
        """Something went wrong but the operation goes on."""


class NullReporter:
    def step(self, message: str) -> None:
        pass

    def detail(self, message: str) -> None:
        pass

    def progress(self, done: int, total: int | None, unit: str = "bytes") -> None:
        pass

    def warning(self, message: str) -> None:
        pass


@dataclass
class RecordingReporter:
    """Keeps every event, in order, as ``(kind, text)``."""

    events: list[tuple[str, str]] = field(default_factory=list)

    def step(self, message: str) -> None:
        self.events.append(("step", message))

    def detail(self, message: str) -> None:
        self.events.append(("detail", message))

    def progress(self, done: int, total: int | None, unit: str = "bytes") -> None:
        self.events.append(("progress", f"{done}/{total if total is not None else '?'} {unit}"))

    def warning(self, message: str) -> None:
        self.events.append(("warning", message))

    def texts(self, kind: str | None = None) -> list[str]:
        return [text for k, text in self.events if kind is None or k == kind]
