"""PLACEHOLDER — being written (Kudu deployments backend). See helper brief."""

from __future__ import annotations

from pathlib import Path

from slotwise.emulator.backends.web import WebBackend
from slotwise.emulator.clock import Clock, Speed


class KuduBackend:
    def __init__(self, clock: Clock, speed: Speed, web: WebBackend, content_dir: Path) -> None:
        self._clock = clock
        self._speed = speed
        self._web = web
        self._content_dir = content_dir

    def tick(self) -> None:
        pass
