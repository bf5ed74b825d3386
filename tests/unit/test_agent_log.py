"""Task log lines as a person reads them (``releases.agent_log``)."""

from __future__ import annotations

import pytest

from slotwise.releases.agent_log import noteworthy, readable


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (
            "2026-12-02T14:42:10.1234567Z ##[error]1 of 2 smoke checks failed",
            "error: 1 of 2 smoke checks failed",
        ),
        ("##[warning]the slot was held", "warning: the slot was held"),
        ("##[command]/usr/bin/node shim.js", "> /usr/bin/node shim.js"),
        ("2026-12-02T14:42:10Z ##[section]Finishing: Deploy", "Finishing: Deploy"),
        ("Deployed build 3 to func-orders/staging", "Deployed build 3 to func-orders/staging"),
        ("a line mentioning ##[error] in the middle", "a line mentioning ##[error] in the middle"),
    ],
)
def test_a_line_without_its_timestamp_and_its_prefix_as_a_word(line: str, shown: str) -> None:
    assert readable(line) == shown


def test_the_agents_framing_lines_are_not_noteworthy() -> None:
    assert not noteworthy("2026-12-02T14:42:10.1Z ##[section]Starting: Smoke test")
    assert not noteworthy("##[debug]evaluating condition")
    assert not noteworthy("##[group]details")
    assert not noteworthy("2026-12-02T14:42:10.1Z ")
    assert noteworthy("##[error]it failed")
    assert noteworthy("4 checks passed against func-orders/staging")
