"""The summaries a stage uploaded, as an approver reads them in a terminal (``releases.summary_screen``)."""

from __future__ import annotations

from slotwise.releases.summary_screen import screen


def summary(title: str, own: str, slots: str) -> str:
    return (
        f"## slotwise: {title}\n\n**Result: succeeded**\n\n{own}\n\n"
        f"### What runs where: func-orders\n\n| Slot | Build |\n|---|---|\n{slots}\n\n"
        "### Rollback\n\nNo slot holds production\\_s previous build.\n"
    )


def test_each_tasks_part_once_and_the_shared_sections_as_the_last_task_left_them() -> None:
    lines = screen(
        [
            ("guard.md", summary("guard staging", "| Mode | park |", "| staging | nothing |")),
            ("deploy.md", summary("deployed build 1", "| Build | 1 |", "| staging | build 1 |")),
            ("smoke.md", summary("smoke test staging", "| Checks | 4 passed |", "| staging | build 1 |")),
        ]
    )
    assert [line for line in lines if line.startswith("  ---")] == [
        "  --- slotwise: guard staging ---",
        "  --- slotwise: deployed build 1 ---",
        "  --- slotwise: smoke test staging ---",
    ]
    assert lines.count("  What runs where: func-orders:") == 1
    assert "    | staging | nothing |" not in lines  # the guard's moment is past
    assert lines.index("    | staging | build 1 |") > lines.index("  --- slotwise: smoke test staging ---")
    assert "  Result: succeeded" in lines  # bold as plain words
    assert "    No slot holds production_s previous build." in lines  # escapes undone outside tables
    assert "  | Mode | park |" in lines
    assert not [line for line in lines if "#" in line]  # no heading marks for a log reader to trip on


def test_a_summary_without_headings_is_titled_by_its_name_and_kept_whole() -> None:
    lines = screen([("Smoke", "| check | result |\n|---|---|\n| GET /api/health | 200 |")])
    assert lines == ["  --- Smoke ---", "  | check | result |", "  |---|---|", "  | GET /api/health | 200 |"]
    assert screen([]) == []
