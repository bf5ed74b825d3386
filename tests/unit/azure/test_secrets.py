"""The secret registry masks every secret a run learned, longest first, and reports each once."""

from __future__ import annotations

from slotwise.secrets import MASK, SecretRegistry


def test_registered_secrets_are_masked_longest_first() -> None:
    seen: list[str] = []
    registry = SecretRegistry(on_add=seen.append)
    registry.add("abcd")
    registry.add("abcdefgh")
    registry.add("abcd")  # once only
    registry.add("")  # nothing
    registry.add("abc")  # too short to mask safely
    assert seen == ["abcd", "abcdefgh"]
    assert registry.redact("key=abcdefgh and abcd, abc") == f"key={MASK} and {MASK}, abc"
