"""Time for slotwise's operations: the one place that reads the clock and sleeps.

Operations never call ``time.sleep`` or ``datetime.now``; they get a ``Clock``. Tests pass a fake
that moves instantly, so waiting, polling and timeouts are exercised without waiting.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    """Wall time (for records people read), monotonic time (for timeouts) and sleeping."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
