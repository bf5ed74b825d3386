"""Secrets a run learned (keys, tokens, client secrets): registered once, masked everywhere.

Everything slotwise prints goes through ``SecretRegistry.redact``. The pipeline face also tells the
agent about each secret (``##vso[task.setsecret]``) as soon as it is registered, through ``on_add``.
"""

from __future__ import annotations

from collections.abc import Callable

MASK = "***"
_MIN_LENGTH = 4  # masking shorter strings would garble ordinary text


class SecretRegistry:
    """The secrets known so far, longest first so overlapping values mask fully."""

    def __init__(self, on_add: Callable[[str], None] | None = None) -> None:
        self._values: list[str] = []
        self._on_add = on_add

    def add(self, value: str | None) -> None:
        if not value or len(value) < _MIN_LENGTH or value in self._values:
            return
        self._values.append(value)
        self._values.sort(key=len, reverse=True)
        if self._on_add is not None:
            self._on_add(value)

    def redact(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def __contains__(self, value: object) -> bool:
        return value in self._values

    def __len__(self) -> int:
        return len(self._values)
