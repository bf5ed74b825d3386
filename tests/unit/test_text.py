"""The one set of rules for remote text: one line, nothing invisible, no live logging command, bounded."""

from __future__ import annotations

import pytest

from slotwise.text import ELLIPSIS, MAX_CHARS, neutral, remote, shorten


@pytest.mark.parametrize(
    "hostile",
    [
        "##vso[task.setvariable variable=pwned]yes",
        "##VSO[task.complete result=Succeeded]",
        "##[error]fake",
        "###vso[task.complete]",
        "#\u200b#vso[task.complete]",  # the agent's search skips zero-width characters
        "#\u0301#vso[task.complete]",  # and combining marks stuck to the '#'
        "#\ufeff#[group]x",
        "#\r\n#vso[task.complete]",  # a break between the two: one line, one space, still split
    ],
)
def test_no_logging_command_survives(hostile: str) -> None:
    text = neutral(f"before {hostile} after")
    assert "##" not in text
    assert "##" not in remote(f"before {hostile} after")


def test_breaks_become_spaces_and_invisible_characters_go() -> None:
    text = "ok\x1b[31m red\r\nnext\u2028line\x85x\tend\x07 \u202eevil\x00"
    assert neutral(text) == "ok[31m red  next line x end evil"
    assert "\n" not in neutral("a\nb")
    assert "\r" not in neutral("a\rb")


def test_neutral_keeps_words_and_length_and_is_idempotent() -> None:
    words = "résumé 100% #1, C# and F#: 日本語 — ok"
    assert neutral(words) == words
    once = neutral("a ## b ### c\n##vso[x]")
    assert neutral(once) == once


def test_remote_is_one_folded_stripped_bounded_line() -> None:
    assert remote("  Refused on purpose.\n##vso[task.setvariable variable=pwned]yes  ") == (
        "Refused on purpose. # #vso[task.setvariable variable=pwned]yes"
    )
    assert remote(None) == ""
    assert remote("") == ""
    flood = remote("x" * (MAX_CHARS * 3))
    assert len(flood) == MAX_CHARS
    assert flood.endswith(ELLIPSIS)
    assert remote("abcdef", 4) == "abc" + ELLIPSIS


def test_shorten_leaves_short_text_alone() -> None:
    assert shorten("short", 5) == "short"
    assert shorten("a b c d", 4) == "a b" + ELLIPSIS
