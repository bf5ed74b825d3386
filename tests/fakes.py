"""Fakes shared by tests (never patches of our own modules)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from slotwise.azure.models import SlotInfo, SlotRef, SwapStatus


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


def slot_info(
    ref: SlotRef,
    *,
    swap: SwapStatus | None = None,
    target: str | None = None,
    operation: str | None = None,
    tags: dict[str, str] | None = None,
) -> SlotInfo:
    """A running function app's slot as ARM describes it, for tests of pure rules: its last swap
    (``swap``), the swap running or prepared on it (``target``, ``operation``) and its tags; the host
    names are placeholders (nothing is called)."""
    return SlotInfo(
        ref=ref,
        kind="functionapp",
        state="Running",
        default_host_name=f"{ref.app}-{ref.slot}.app.test",
        scm_host_name=f"{ref.app}-{ref.slot}.scm.app.test",
        deployment_id=None,
        last_modified=None,
        swap_status=swap,
        target_swap_slot=target,
        tags=tags or {},
        in_progress_operation_id=operation,
    )
