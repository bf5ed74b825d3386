"""The markdown summary for release approvers: what runs where, the hold and how to roll back, the smoke
table, the problem when a task failed; remote text escaped so it cannot become a link or HTML; masked
when written. Pure: slots' states are built here, not read."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from slotwise.agent.remedies import DEPLOY, SWAP, accept_finding
from slotwise.agent.summary import FindingsSection, Summary, finding_rows, link, md, render, rows, write
from slotwise.azure.models import SlotInfo, SlotRef
from slotwise.builds import BuildInfo
from slotwise.secrets import SecretRegistry
from slotwise.slots.content import Content
from slotwise.slots.findings import Finding, Severity
from slotwise.slots.holds import Assessment
from slotwise.slots.model import Hold
from slotwise.slots.smoke_report import CheckResult, SmokeReport, WarmupResult
from slotwise.slots.status import AppStatus, SlotStatus

NOW = datetime(2026, 1, 2, 10, 30, tzinfo=timezone.utc)
PRODUCTION = SlotRef("rg-demo", "func-demo")
STAGING = PRODUCTION.other("staging")


def slot(ref: SlotRef, build: BuildInfo | None, hold: Hold | None = None) -> SlotStatus:
    host = f"func-demo{'' if ref.is_production else '-' + ref.slot}.azurewebsites.net"
    info = SlotInfo(ref, "functionapp", "Running", host, None, None, None, None, None)
    content = Content("d" * 32, NOW - timedelta(hours=1), build) if build else None
    return SlotStatus(info, content, Assessment(ref, hold))


def status(*, held: bool) -> AppStatus:
    hold = Hold(STAGING, "build 41", NOW, by="Ada", expires=NOW + timedelta(days=7)) if held else None
    return AppStatus(
        "rg-demo",
        "func-demo",
        [
            slot(STAGING, BuildInfo(build_number="41"), hold),
            slot(PRODUCTION, BuildInfo(build_number="42", release="Release-42")),
        ],
    )


def test_what_runs_where_lists_production_first_with_builds_and_urls() -> None:
    found = rows(status(held=False))
    assert [(r.slot, r.build) for r in found] == [
        ("production", "build 42 (Release-42)"),
        ("staging", "build 41"),
    ]
    assert found[0].url == "https://func-demo.azurewebsites.net"
    text = render(Summary(title="deployed build 42", status=status(held=False)))
    production = "| **production** | build 42 (Release-42) | 2026-01-02 09:30 UTC |"
    assert f"{production} <https://func-demo.azurewebsites.net> |  |" in text
    assert "there is no instant rollback" in text


def test_a_hold_says_until_when_and_how_to_roll_back() -> None:
    text = render(Summary(title="swapped staging with production", status=status(held=True)))
    assert "holds production's previous build until 2026-01-09 10:30 UTC" in text
    assert "`sourceSlot: staging`" in text
    assert "slotwise slot" not in text  # pipeline users are told the task's inputs, not the CLI
    assert "by Ada" in text


def test_facts_result_and_problem() -> None:
    summary = Summary(
        title="deploy build 42 to slot staging", result="Failed", problem="It is held.", hint="Park it."
    )
    summary.fact("Slot", "staging")
    summary.fact("URL", "https://func-demo-staging.azurewebsites.net")
    summary.fact("Empty", None)
    summary.fact("Slot", "staging (created)")
    text = render(summary)
    assert "**Result: FAILED**" in text
    assert "> It is held." in text
    assert "> What to do: Park it." in text
    assert "| Slot | staging (created) |" in text
    assert text.count("| Slot |") == 1
    assert "| URL | <https://func-demo-staging.azurewebsites.net> |" in text
    assert "Empty" not in text


def test_remote_text_cannot_become_a_link_html_or_a_column() -> None:
    assert md("[click](https://evil.example) <img src=x> a|b") == (
        "\\[click\\](https://evil.example) \\<img src=x\\> a\\|b"
    )
    assert link("https://func-demo.azurewebsites.net") == "<https://func-demo.azurewebsites.net>"
    assert link("https://evil.example/?q=<script>") == "https://evil.example/?q=\\<script\\>"
    summary = Summary(title="x")
    summary.fact("Build", "build [7](https://evil.example)\n| injected | row |")
    line = next(line for line in render(summary).splitlines() if line.startswith("| Build"))
    assert line == "| Build | build \\[7\\](https://evil.example) \\| injected \\| row \\| |"


def test_the_smoke_table_is_included_one_level_down() -> None:
    report = SmokeReport(
        STAGING,
        "https://func-demo-staging.azurewebsites.net",
        NOW,
        1.5,
        WarmupResult("GET /", True, 1, 0.2, 200),
        (
            CheckResult("health", "GET /api/health", True, 200, 12.0),
            CheckResult("hello", "GET /api/hello", False, 500, 30.0, failures=("expected 2xx, got 500",)),
        ),
    )
    text = render(Summary(title="smoke test", smoke=report))
    assert "### Smoke tests FAILED: func-demo/staging" in text
    assert "#### Failures" in text
    assert "| health | passed | 200 |" in text


def test_a_missing_smoke_report_is_explained() -> None:
    text = render(Summary(title="swap", smoke_problem="The checks failed; see the log."))
    assert "### Smoke tests" in text
    assert "The checks failed; see the log." in text


def test_written_masked(tmp_path: Path) -> None:
    secrets = SecretRegistry()
    secrets.add("key-that-leaked")
    summary = Summary(title="x")
    summary.fact("Oops", "key-that-leaked")
    path = write(render(summary), tmp_path / "agent-temp", "smoke-test", secrets)
    assert path.parent == tmp_path / "agent-temp"
    assert path.name.startswith("slotwise-smoke-test-")
    assert "key-that-leaked" not in path.read_text(encoding="utf-8")
    assert "| Oops | *** |" in path.read_text(encoding="utf-8")


MOVES = Finding(
    "connection-moves",
    Severity.ERROR,
    ("Orders_Db (connection string)",),
    "staging's moves.",
    "Mark them sticky.",
)
TRIGGER = Finding(
    "trigger-runs-in-staging", Severity.WARNING, ("<b>Nightly</b>",), "They compete.", "Disable."
)


def test_findings_are_a_table_of_names_with_what_to_do_accepted_errors_marked() -> None:
    rows = finding_rows((MOVES, TRIGGER), frozenset({"connection-moves"}), lambda f: f"do: {f.advice}")
    text = render(
        Summary(title="swap", findings=[FindingsSection("Preflight", "What the swap changes.", rows)])
    )
    assert "### Preflight\n\nWhat the swap changes.\n" in text
    assert (
        "| error (accepted) | connection-moves | Orders\\_Db (connection string) | staging's moves. |" in text
    )
    assert "\\<b\\>Nightly\\</b\\>" in text  # a name from Azure cannot become HTML
    assert "| do: Disable. |" in text


def test_an_error_not_accepted_is_bold_and_nothing_found_or_unreadable_is_said() -> None:
    (row,) = finding_rows((MOVES,), frozenset(), lambda f: f.advice)
    assert (
        render(Summary(title="x", findings=[FindingsSection("P", "i", (row,))])).count("| **error** |") == 1
    )
    assert "Nothing found." in render(Summary(title="x", findings=[FindingsSection("P", "i")]))
    unread = render(Summary(title="x", findings=[FindingsSection("P", "i", problem="no permission")]))
    assert "Could not read the slots to tell: no permission" in unread
    assert "| Severity |" not in unread


def test_accepting_a_finding_is_worded_as_the_swap_task_s_input() -> None:
    assert accept_finding(SWAP, "host-id-collision") == (
        "If the change is meant, accept it: add `host-id-collision` to *Accept preflight findings* "
        "(`acceptFindings`) of this task (`acceptFindings: host-id-collision`)."
    )
    assert "of the *slotwise: Swap slots* task (`SlotwiseSlotSwap@1`)" in accept_finding(DEPLOY, "x")
