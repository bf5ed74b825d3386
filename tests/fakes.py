"""Fakes shared by tests (never patches of our own modules)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class FastClock:
    """A clock for running real operations against the emulator without waiting out their sleeps.

    ``sleep`` records what was asked and sleeps only ``real_cap`` seconds (enough for the emulator's
    own wall clock to move a little); ``monotonic`` and ``now`` advance by the full asked time, so
    timeouts and "waited N s" messages behave as if the time had passed.
    """

    def __init__(self, real_cap: float = 0.02) -> None:
        self.sleeps: list[float] = []
        self._real_cap = real_cap
        self._skipped = 0.0

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self._skipped)

    def monotonic(self) -> float:
        return time.monotonic() + self._skipped

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        real = min(max(seconds, 0.0), self._real_cap)
        time.sleep(real)
        self._skipped += max(seconds - real, 0.0)
