"""The request log: every request the emulator served, for tests and the control plane.

Only method, host kind, path, query, status and timing are kept: never headers or bodies, so no
token or key is ever stored here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class LoggedRequest:
    time: float
    method: str
    host: str
    kind: str
    path: str
    query: str
    status: int
    duration_ms: float
    fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """A bounded log of served requests, oldest first."""

    def __init__(self, limit: int = 10_000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=limit)

    def add(self, entry: LoggedRequest) -> None:
        self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()
