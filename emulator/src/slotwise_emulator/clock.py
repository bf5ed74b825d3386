"""Time for the emulator: the one place that reads the wall clock.

Backends never call ``time.time()``; they get a ``Clock``. Tests pass a ``ManualClock`` and move
time themselves, so long-running operations (swaps, deployments) finish exactly when a test says.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    """Seconds since the epoch, as a float."""

    def now(self) -> float: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        return time.time()


@dataclass
class ManualClock:
    """A clock that only moves when told to (for unit tests)."""

    current: float = field(default=1_767_225_600.0)  # 2026-01-01T00:00:00Z

    def now(self) -> float:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += seconds


def iso(ts: float, *, precision: int = 7) -> str:
    """Format a timestamp the way App Service does: ``2025-01-02T17:40:29.5750000Z``."""
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    digits = f"{moment.microsecond:06d}0"[:precision]
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{digits}Z" if precision else f"{base}Z"


@dataclass
class Speed:
    """How long the emulated long-running operations take, in seconds (0 = finish on first poll).

    ``swap_seconds`` is the time between a swap being accepted and it being applied (the real
    service takes about a minute); ``deploy_seconds`` is the time a zip deployment spends building.
    """

    swap_seconds: float = 0.0
    deploy_seconds: float = 0.0
    restart_seconds: float = 0.0

    @classmethod
    def instant(cls) -> Speed:
        return cls()

    @classmethod
    def realistic(cls) -> Speed:
        return cls(swap_seconds=8.0, deploy_seconds=4.0, restart_seconds=1.0)
